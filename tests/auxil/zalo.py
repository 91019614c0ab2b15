"""The bot with its Zalo channel on, as the tests run it: the real Telegram application against
the fake Bot API (tests/conftest.py), SANSANG_ZALO=on with every Zalo root pointing at the fake
Zalo server (tests/fakes/zalo.py), the webhook on 127.0.0.1 at a free port. A `Follower` is a
Zalo user talking to the bot through the fake, as a phone would.

Import `zalo_fixture` and `zalo_bot_fixture` into a test module to use `zalo` and `zalo_bot`.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio
from telegram.ext import Application

from bot.channels.telegram.app import build_application, running
from tests.conftest import make_config
from tests.fakes import FakeBotAPI, FakeZalo
from tests.fakes.zalo import Posted, Sent

TEMPLATE = "356789"  # the id of the fake's approved warning template
WAIT = 10.0  # a bound on waiting, not a speed check


def free_port() -> int:
    """A port nothing listens on now (the webhook binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture(name="zalo")
async def zalo_fixture() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    fake.approve_template(TEMPLATE)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def zalo_env(zalo: FakeZalo, **extra: str) -> dict[str, str]:
    """The variables of a bot with its Zalo channel on this fake (and its webhook set)."""
    port = free_port()
    zalo.webhook = f"http://127.0.0.1:{port}/zalo/webhook"
    return {"SANSANG_ZALO": "on", "SANSANG_ZALO_WEBHOOK": f"127.0.0.1:{port}",
            "SANSANG_ZALO_TEMPLATE": TEMPLATE, **zalo.env(), **extra}


@pytest_asyncio.fixture(name="zalo_bot")
async def zalo_bot_fixture(api: FakeBotAPI, zalo: FakeZalo, db_path: Path
                           ) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = build_application(make_config(api, db_path, **zalo_env(zalo)))
    async with running(app, poll_timeout=1):
        yield app


@dataclass
class Follower:
    """A Zalo user of the OA: follows, taps, types, shares a location or a phone number."""

    zalo: FakeZalo
    user_id: str

    async def follow(self) -> Sent:
        """Follow the OA; the bot's greeting (with the language buttons)."""
        mark = self.zalo.mark()
        posted = await self.zalo.follow(self.user_id)
        assert posted.status == 200, posted
        return await self.zalo.wait_for(self._with_buttons, since=mark, timeout=WAIT)

    async def say(self, text: str, contains: str | None = None) -> Sent:
        """Send a text; the bot's first answer (containing `contains`, if given)."""
        mark = self.zalo.mark()
        posted = await self.zalo.user_text(self.user_id, text)
        assert posted.status == 200, posted
        return await self.zalo.wait_message(self.user_id, since=mark, contains=contains,
                                            timeout=WAIT)

    async def press(self, label: str, contains: str | None = None) -> Sent:
        """Tap a button of the latest message with buttons; the bot's first answer."""
        mark = self.zalo.mark()
        posted = await self.zalo.press(self.user_id, label)
        assert posted.status == 200, posted
        return await self.zalo.wait_message(self.user_id, since=mark, contains=contains,
                                            timeout=WAIT)

    async def onboard(self, area: str, language: str = "Tiếng Việt") -> Sent:
        """Follow, choose the language, then the area; the confirmation naming the area."""
        await self.follow()
        mark = self.zalo.mark()
        await self.zalo.press(self.user_id, language)
        await self.zalo.wait_for(lambda s: self._with_buttons(s) and s.text != "…",
                                 since=mark, timeout=WAIT)
        for _page in range(10):
            titles = list(self.zalo.buttons(self.user_id))
            if any(area in title for title in titles):
                break
            await self.press(titles[-1])  # "more": the next page of neighbourhoods
        mark = self.zalo.mark()
        confirmed = await self.press(area, contains=area)
        # Onboarding ends with Zalo's form asking (once) for a phone number.
        await self.zalo.wait_for(lambda s: s.user_id == self.user_id and s.asks_for_info,
                                 since=mark, timeout=WAIT)
        return confirmed

    async def share_location(self, lat: float, lon: float) -> Sent:
        mark = self.zalo.mark()
        posted = await self.zalo.user_location(self.user_id, lat, lon)
        assert posted.status == 200, posted
        return await self.zalo.wait_for(self._with_buttons, since=mark, timeout=WAIT)

    async def share_phone(self, phone: str) -> Posted:
        posted = await self.zalo.user_submit_phone(self.user_id, phone)
        assert posted.status == 200, posted
        return posted

    def texts(self) -> list[str]:
        return self.zalo.texts_to(self.user_id)

    def _with_buttons(self, sent: Sent) -> bool:
        return sent.kind == "cs" and sent.error == 0 and sent.user_id == self.user_id \
            and bool(sent.buttons)


async def zalo_chat(app: Application, user_id: str) -> Any:  # type: ignore[type-arg]
    """The follower's row in `chats` (None: the bot made none)."""
    return await app.bot_data["services"].db.fetchone(
        "SELECT * FROM chats WHERE channel = 'zalo' AND address = ?", (user_id,))
