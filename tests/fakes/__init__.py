"""Test doubles. The fake Telegram Bot API the tests run the real bot against lives in
`bot.fakeapi` (not here) because `sansang shell` needs it at run time; it is re-exported here.
"""

from bot.fakeapi import Call, FakeBotAPI

__all__ = ["Call", "FakeBotAPI"]
