"""A fake Telegram Bot API server over real HTTP (aiohttp on 127.0.0.1).

It ships inside the `bot` package because `sansang shell` runs the bot against it; the tests
import it from `tests.fakes`.
"""

from bot.fakeapi.records import ApiError, Call
from bot.fakeapi.server import FakeBotAPI

__all__ = ["ApiError", "Call", "FakeBotAPI"]
