"""A broadcast that starts wakes the Zalo delivery worker as well as Telegram's: its Zalo rows
go out at once, not at the worker's next look at the outbox (kept as a safety net, made an hour
long here so that only the wake-up can send them). Real SQLite, the fake Zalo over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.delivery import Delivery
from bot.broadcasts.scheduling import Scheduler
from bot.channels.zalo.app import build_client
from bot.channels.zalo.sender import ZaloSender
from bot.channels.zalo.tokens import Tokens
from bot.config import Config
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions
from tests.auxil.chat import eventually
from tests.fakes import FakeZalo

HOUR = 3600.0
WAIT = 10.0  # a bound on waiting, far under the hour-long poll


@dataclass
class Parts:
    zalo: FakeZalo
    db: Database
    broadcasts: Broadcasts
    subscriptions: Subscriptions
    delivery: Delivery  # the Zalo worker, running, its poll an hour long


@pytest_asyncio.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    zalo = FakeZalo()
    await zalo.start()
    db = await Database.open(tmp_path / "wake.sqlite3")
    config = Config(token="1:fake", zalo_api_url=zalo.api_url, zalo_oauth_url=zalo.oauth_url,
                    zalo_business_url=zalo.business_url, zalo_app_id=zalo.app_id,
                    zalo_app_secret=zalo.app_secret)
    client = build_client(config)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        await Tokens(db, client, None, zalo.refresh_token).load()
        areas = AreaCatalog.load(data_dir("content") / "areas.toml")
        subscriptions = Subscriptions(db, areas)
        broadcasts = Broadcasts(db, areas)
        sender = ZaloSender(subscriptions, client, billable=False, template_id="")
        # `closes`: this worker also marks broadcasts done, the sign that it has gone idle.
        delivery = Delivery(db, broadcasts, sender, rate=50, tz=ZoneInfo("Asia/Ho_Chi_Minh"),
                            channel="zalo", closes=True, poll_seconds=HOUR)
        task = asyncio.create_task(delivery.run(stop))
        yield Parts(zalo, db, broadcasts, subscriptions, delivery)
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait({task}, timeout=WAIT)
        await client.close()
        await db.close()
        await zalo.stop()


async def follower(parts: Parts, user_id: str, area: str) -> None:
    chat_id = await parts.subscriptions.channel_chat("zalo", user_id)
    await parts.subscriptions.subscribe(chat_id, area)
    await parts.subscriptions.touch(chat_id, datetime.now(UTC).isoformat(timespec="seconds"))
    parts.zalo.add_follower(user_id)


async def sent_and_done(parts: Parts, scheduler: Scheduler, text: str, user_id: str,
                        area: str) -> None:
    b = await parts.broadcasts.create(text, targets=[area], created_by="cli")
    assert await scheduler.reconcile() == [b.id]
    await parts.zalo.wait_message(user_id, contains=text, timeout=WAIT)

    async def done() -> bool:
        return (await parts.broadcasts.get(b.id)).status == "done"

    await eventually(done, timeout=WAIT)


async def test_a_started_broadcast_wakes_the_zalo_worker(parts: Parts) -> None:
    telegram_woken: list[bool] = []
    scheduler = Scheduler(parts.broadcasts, grace_seconds=600,
                          wake=lambda: telegram_woken.append(True))
    scheduler.also_wake(parts.delivery.wake)
    # Two followers in two areas: the second broadcast's row is due at once (one chat's second
    # message within a second would be postponed, and only a poll picks a postponed row up).
    first, second = parts.zalo.new_user_id(), parts.zalo.new_user_id()
    await follower(parts, first, "an-bien")
    await follower(parts, second, "cat-dai")
    # The first broadcast sent and closed: the worker found the outbox empty and now waits.
    await sent_and_done(parts, scheduler, "Bản tin thứ nhất", first, "an-bien")
    # Only the wake-up can send the second one within WAIT: the next poll is an hour away.
    await sent_and_done(parts, scheduler, "Bản tin thứ hai", second, "cat-dai")
    assert parts.zalo.texts_to(first) == ["Bản tin thứ nhất"]
    assert parts.zalo.texts_to(second) == ["Bản tin thứ hai"]
    assert len(telegram_woken) == 2  # the Telegram worker is woken as before
