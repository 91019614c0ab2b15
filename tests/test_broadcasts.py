"""Broadcasts end to end: the real PTB client against the fake Bot API, a real SQLite outbox."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.delivery import Delivery
from bot.channels.telegram.sender import TelegramSender
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ensure, update
from bot.subscriptions.areas import AreaCatalog
from tests.auxil.chat import eventually
from tests.conftest import TOKEN
from tests.fakes import FakeBotAPI

AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")
STAFF_TEXT = "Mực nước > 1m & đang lên <b>nhanh</b>"


async def subscribe(db: Database, api: FakeBotAPI, chat_id: int, area: str | None,
                    kind: str = "private", lang: str = "vi", subscribed: bool = True) -> None:
    api.add_chat(chat_id, kind)
    await ensure(db, chat_id, kind, lang, None)
    await update(db, chat_id, area_id=area, subscribed=int(subscribed))


def sends(api: FakeBotAPI, since: int = 0) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls[since:]
                   if c.method == "sendMessage" and c.status == 200)


async def finished(service: Broadcasts, broadcast_id: int) -> None:
    async def done() -> bool:
        b = await service.get(broadcast_id)
        return b is not None and b.status == "done"

    await eventually(done, timeout=30)


async def test_a_broadcast_reaches_exactly_its_areas_subscribers_once_with_text_intact(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    for chat in (101, 102, 103):
        await subscribe(svc.db, api, chat, "an-bien")
    await subscribe(svc.db, api, 104, "an-bien", lang="en")
    await subscribe(svc.db, api, -500, "an-bien", kind="group")
    await subscribe(svc.db, api, 201, "ho-nam")  # another area
    await subscribe(svc.db, api, 105, "an-bien", subscribed=False)  # unsubscribed
    mark = api.mark()
    b = await svc.broadcasts.create(STAFF_TEXT, text_en="Water > 1m & rising", created_by="cli",
                                    targets=["an-bien", "g-an-bien"])  # an-bien twice
    await bot.bot_data["scheduler"].reconcile()
    await finished(svc.broadcasts, b.id)
    assert sends(api, mark) == {101: 1, 102: 1, 103: 1, 104: 1, -500: 1}
    assert api.last_message(101)["visible_text"] == STAFF_TEXT
    assert api.last_message(104)["visible_text"] == "Water > 1m & rising"
    counts = await svc.broadcasts.counts(b.id)
    assert (counts.recipients, counts.sent, counts.pending) == (5, 5, 0)


async def test_at_is_not_sent_early_and_is_sent_on_time(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc, scheduler = bot.bot_data["services"], bot.bot_data["scheduler"]
    await subscribe(svc.db, api, 301, "lam-son")
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    b = await svc.broadcasts.create("Bão số 5", targets=["lam-son"], send_at=at,
                                    created_by="cli")
    assert await scheduler.reconcile(at - timedelta(seconds=1)) == []
    assert (await svc.broadcasts.get(b.id)).status == "scheduled"
    assert sends(api)[301] == 0
    assert await scheduler.reconcile(at) == [b.id]
    await finished(svc.broadcasts, b.id)
    assert sends(api)[301] == 1


async def test_late_within_grace_is_sent_at_start_and_older_is_missed_and_told(
    api: FakeBotAPI, db_path: Path
) -> None:
    from bot.channels.telegram.app import build_application, running
    from tests.conftest import LEAD_ID, make_config

    api.add_chat(LEAD_ID, "private")
    db = await Database.open(db_path)
    await subscribe(db, api, 401, "cat-dai")
    service = Broadcasts(db, AREAS)
    now = datetime.now(UTC)
    late = await service.create("trễ 1 giờ", targets=["cat-dai"], send_at=now - timedelta(hours=1),
                                created_by="cli")
    old = await service.create("trễ 7 giờ", targets=["cat-dai"], send_at=now - timedelta(hours=7),
                               created_by="cli")
    await db.close()
    mark = api.mark()
    async with running(build_application(make_config(api, db_path)), poll_timeout=1) as app:
        svc = app.bot_data["services"]
        await finished(svc.broadcasts, late.id)
        assert (await svc.broadcasts.get(old.id)).status == "missed"
        told = await api.wait_message(LEAD_ID, since=mark, contains=f"#{old.id}")
        assert "chưa được gửi" in told.params["text"]
    assert sends(api, mark)[401] == 1


@pytest_asyncio.fixture
async def delivery_parts(
    api: FakeBotAPI, tmp_path: Path
) -> AsyncIterator[tuple[Database, Broadcasts, Bot]]:
    db = await Database.open(tmp_path / "d.sqlite3")
    tg = Bot(TOKEN, base_url=f"{api.url}/bot",
             request=HTTPXRequest(connection_pool_size=32, read_timeout=1.0))
    await tg.initialize()
    try:
        yield db, Broadcasts(db, AREAS), tg
    finally:
        await tg.shutdown()
        await db.close()


async def run_until_done(delivery: Delivery, service: Broadcasts, broadcast_id: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run(stop))
    try:
        await finished(service, broadcast_id)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_429_403_500_drops_and_timeouts_lose_nothing(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    db, service, tg = delivery_parts
    chats = list(range(1001, 1041))
    for chat in chats:
        await subscribe(db, api, chat, "vinh-niem")
    api.fail_next("sendMessage", status=429, retry_after=1)
    api.fail_next("sendMessage", status=500, chat_id=1005, times=2)
    api.fail_next("sendMessage", status=502, chat_id=1006)
    api.drop_next("sendMessage")
    api.slow_next("sendMessage", 3.0)  # longer than the client's 1 s read timeout
    api.block(1010)
    b = await service.create("Cảnh báo", targets=["vinh-niem"], created_by="cli")
    await service.start(b.id)
    delivery = Delivery(db, service, TelegramSender(tg, paid=False), rate=200, tz=UTC,
                        backoff=(0.2, 0.4, 0.8, 1.6))
    await run_until_done(delivery, service, b.id)
    got = sends(api)
    lost = [c for c in chats if c != 1010 and got[c] == 0]
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    assert lost == []
    assert duplicates <= 1  # only the timed-out request, which Telegram did deliver
    counts = await service.counts(b.id)
    assert (counts.blocked, counts.failed, counts.pending) == (1, 0, 0)
    assert counts.sent == len(chats) - 1
    row = await db.fetchone("SELECT blocked FROM chats WHERE chat_id = 1010")
    assert row is not None and row[0] == 1


async def test_a_permanent_error_is_recorded_with_its_reason(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    db, service, tg = delivery_parts
    await subscribe(db, api, 2001, "nghia-xa")
    await subscribe(db, api, 2002, "nghia-xa")
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found",
                  chat_id=2002)
    b = await service.create("x", targets=["nghia-xa"], created_by="cli")
    await service.start(b.id)
    await run_until_done(Delivery(db, service, TelegramSender(tg, paid=False), rate=50, tz=UTC),
                         service, b.id)
    row = await db.fetchone("SELECT status, error FROM outbox WHERE chat_id = 2002")
    assert row is not None and row[0] == "failed" and "chat not found" in row[1].lower()


async def test_a_migrated_group_gets_it_at_its_new_id(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    db, service, tg = delivery_parts
    await subscribe(db, api, -3001, "du-hang", kind="group")
    api.migrate(-3001, -1003001)
    b = await service.create("x", targets=["du-hang"], created_by="cli")
    await service.start(b.id)
    await run_until_done(Delivery(db, service, TelegramSender(tg, paid=False), rate=50, tz=UTC),
                         service, b.id)
    assert sends(api)[-1003001] == 1
    row = await db.fetchone("SELECT kind FROM chats WHERE chat_id = -1003001")
    assert row is not None and row[0] == "supergroup"


async def test_urgent_goes_first_and_night_is_silent_unless_urgent(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    from zoneinfo import ZoneInfo

    from bot.broadcasts.delivery import Night

    db, service, tg = delivery_parts
    for chat in range(4001, 4011):
        await subscribe(db, api, chat, "kenh-duong")
    normal = await service.create("thường", targets=["kenh-duong"], created_by="cli")
    urgent = await service.create("khẩn", targets=["kenh-duong"], created_by="cli", urgent=True)
    await service.start(normal.id)
    await service.start(urgent.id)
    always_night = Night(start=datetime.min.time(), end=datetime.min.time())
    delivery = Delivery(db, service, TelegramSender(tg, paid=False), rate=100,
                        tz=ZoneInfo("Asia/Ho_Chi_Minh"), night=always_night)
    mark = api.mark()
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run(stop))
    await finished(service, normal.id)
    stop.set()
    await asyncio.wait_for(task, 10)
    texts = [c.params["text"] for c in api.calls[mark:] if c.method == "sendMessage"]
    assert texts[0] == "khẩn"
    position = {t: sum(i for i, x in enumerate(texts) if x == t) / 10 for t in ("khẩn", "thường")}
    assert position["khẩn"] < position["thường"]
    silent = {c.params["text"]: c.params.get("disable_notification")
              for c in api.calls[mark:] if c.method == "sendMessage"}
    assert silent["khẩn"] in (None, False) and silent["thường"] is True


async def test_one_chat_gets_at_most_one_message_a_second_without_a_429(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    db, service, tg = delivery_parts
    api.enforce_limits = True  # the fake answers 429 if we break Telegram's limits
    await subscribe(db, api, -7001, "ho-nam", kind="group")
    for i in range(6):
        b = await service.create(f"tin {i}", targets=["ho-nam"], created_by="cli")
        await service.start(b.id)
    delivery = Delivery(db, service, TelegramSender(tg, paid=False), rate=25, tz=UTC)
    started = asyncio.get_running_loop().time()
    for _ in range(15):  # about 3 seconds, bounded
        await delivery.step()
        await asyncio.sleep(0.2)
    await delivery.drain()
    elapsed = asyncio.get_running_loop().time() - started
    assert 2 <= sends(api)[-7001] <= int(elapsed) + 1
    assert api.stats["429"] == 0
    pending = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
    assert pending is not None and pending[0] == 6 - sends(api)[-7001]  # postponed, not lost


async def test_a_group_gets_at_most_20_messages_a_minute_and_loses_none(
    api: FakeBotAPI, delivery_parts: tuple[Database, Broadcasts, Bot]
) -> None:
    """25 broadcasts to one school group: 20 go out a second apart, the rest wait for the
    minute to pass. Delivery's clocks are moved a second per step instead of waiting a minute."""
    db, service, tg = delivery_parts
    await subscribe(db, api, -7002, "ho-nam", kind="group")
    ids = []
    for i in range(25):
        b = await service.create(f"tin {i}", targets=["ho-nam"], created_by="cli")
        await service.start(b.id)
        ids.append(b.id)
    seconds = [0.0]
    base = datetime.now(UTC)
    delivery = Delivery(db, service, TelegramSender(tg, paid=False), rate=25, tz=UTC,
                        clock=lambda: seconds[0],
                        now=lambda: base + timedelta(seconds=seconds[0]))
    sent_at: list[float] = []
    for _ in range(90):  # 90 s of the moved clock, one step each; bounded
        mark = api.mark()
        await delivery.step()
        await delivery.drain()
        sent_at += [seconds[0]] * sends(api, mark)[-7002]
        seconds[0] += 1.0
    assert len(sent_at) == 25  # every one of them, once
    assert sent_at[:20] == [float(s) for s in range(20)]  # a second apart
    assert all(later - first >= 60 for first, later in zip(sent_at, sent_at[20:], strict=False))
    assert sent_at[20] == 60.0  # not held longer than the minute
    done = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
    assert done is not None and done[0] == 25
