"""A fake Telegram Bot API server. It ships inside `bot` because `sansang shell` runs on it;
the tests import it from `tests.fakes`."""

from bot.fakeapi.records import ApiError, Call
from bot.fakeapi.server import FakeBotAPI

__all__ = ["ApiError", "Call", "FakeBotAPI"]
