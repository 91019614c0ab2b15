"""Test doubles. The fake Telegram Bot API the tests run the real bot against lives in
`bot.fakeapi` (not here) because `sansang shell` needs it at run time; it is re-exported here.
The fake Zalo server (tests/fakes/zalo.py) is the tests' own.
"""

from bot.fakeapi import Call, FakeBotAPI
from tests.fakes.zalo import FakeZalo

__all__ = ["Call", "FakeBotAPI", "FakeZalo"]
