"""Fixtures: a fake Telegram Bot API on 127.0.0.1, and the real bot (PTB) polling it."""

from __future__ import annotations

import os

# PTB 22 warns that RetryAfter.retry_after becomes a timedelta; opt in now (warnings are errors).
os.environ.setdefault("PTB_TIMEDELTA", "1")

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.channels.telegram.app import build_application, running
from bot.config import Config
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI

TOKEN = "7000000001:TEST-token-for-the-fake-api-000000000"
LEAD_ID, STAFF_ID = 900001, 900002


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection to a non-loopback address fails the test at once."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"tests must not reach the network ({host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(token=TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def make_config(api: FakeBotAPI, db_path: Path, **extra: str) -> Config:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "SANSANG_DB": str(db_path),
        "SANSANG_LEAD_IDS": str(LEAD_ID),
        "SANSANG_STAFF_IDS": str(STAFF_ID),
        "SANSANG_WEATHER": "off",
        **extra,
    }
    return Config.from_env(env)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sansang.sqlite3"


@pytest_asyncio.fixture
async def bot(api: FakeBotAPI, db_path: Path) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = build_application(make_config(api, db_path))
    async with running(app, poll_timeout=1):
        yield app


@pytest.fixture
def resident(api: FakeBotAPI) -> Person:
    api.add_chat(5550001, "private", first_name="Lan")
    return Person(api, 5550001)


@pytest.fixture
def lead(api: FakeBotAPI) -> Person:
    api.add_chat(LEAD_ID, "private", first_name="Hoa")
    return Person(api, LEAD_ID)


@pytest.fixture
def staff(api: FakeBotAPI) -> Person:
    api.add_chat(STAFF_ID, "private", first_name="Minh")
    return Person(api, STAFF_ID)
