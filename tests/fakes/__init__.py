"""The fake Telegram Bot API the tests run the real bot against (real HTTP on 127.0.0.1).

Its implementation lives in `bot/fakeapi/` because `sansang shell` uses it at run time.
"""

from bot.fakeapi import Call, FakeBotAPI

__all__ = ["Call", "FakeBotAPI"]
