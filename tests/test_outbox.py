"""Writing a big outbox: chunks of their own transactions (the bot's one connection answers
residents between them), still the recipients of the moment sending starts, and a crash
mid-way resumes cleanly."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import pytest
from telegram import Bot

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.delivery import BATCH, Delivery
from bot.channels.telegram.aiohttp_request import AiohttpRequest
from bot.channels.telegram.sender import TelegramSender
from bot.store import Database, outbox
from bot.store.chats import ensure, update
from tests.conftest import TOKEN
from tests.fakes import FakeBotAPI
from tests.test_broadcasts import AREAS, run_until_done


async def subscribed(db: Database, chats: range, area: str = "an-bien") -> None:
    for chat in chats:
        await ensure(db, chat, "private", "vi", None)
        await update(db, chat, area_id=area, subscribed=1)


async def test_the_outbox_is_written_in_chunks_that_let_other_writes_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "CHUNK_ROWS", 5)
    db = await Database.open(tmp_path / "o.sqlite3")
    try:
        await subscribed(db, range(1, 24))
        service = Broadcasts(db, AREAS)
        b = await service.create("x", targets=["an-bien"], created_by="cli")
        seen: list[tuple[int, str]] = []

        async def resident_writes() -> None:  # e.g. someone subscribing meanwhile
            while not seen or seen[-1][1] != "sending":
                async with db.transaction() as conn, conn.execute(
                    "SELECT (SELECT COUNT(*) FROM outbox WHERE broadcast_id = ?), "
                    "(SELECT status FROM broadcasts WHERE id = ?)", (b.id, b.id)
                ) as cur:
                    row = await cur.fetchone()
                assert row is not None
                seen.append((row[0], row[1]))

        writer = asyncio.create_task(resident_writes())
        await asyncio.sleep(0)
        assert await service.start(b.id) == 23
        await asyncio.wait_for(writer, 10)
        between = [(n, status) for n, status in seen if 0 < n < 23]
        assert between, seen  # another write got in between two chunks...
        assert all(status == "scheduled" for _n, status in between)  # ...before sending began
        assert seen[-1] == (23, "sending")
    finally:
        await db.close()


async def test_a_crash_mid_way_resumes_with_the_recipients_of_the_moment_sending_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "CHUNK_ROWS", 4)
    db = await Database.open(tmp_path / "o.sqlite3")
    try:
        await subscribed(db, range(10, 30))
        service = Broadcasts(db, AREAS)
        b = await service.create("x", targets=["an-bien"], created_by="cli")
        # A start that died after its first chunks (kill -9): still 'scheduled', part written.
        stopped = asyncio.create_task(outbox.write_recipients(
            db, b.id, "SELECT chat_id, lang, area_id, kind, channel FROM chats "
            "WHERE subscribed = 1 AND blocked = 0 AND area_id IN (?)", ("an-bien",)))
        for _ in range(10_000):  # bounded: until two chunks are written
            row = await db.fetchone("SELECT COUNT(*) FROM outbox")
            if row is not None and row[0] >= 8:
                break
            await asyncio.sleep(0)
        stopped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopped
        assert (await service.get(b.id)).status == "scheduled"  # type: ignore[union-attr]
        # Meanwhile: a chat already written unsubscribes, a new one (lower id) subscribes.
        await update(db, 10, subscribed=0)
        await subscribed(db, range(5, 6))
        assert await service.start(b.id) == 20
        rows = await db.fetchall("SELECT chat_id FROM outbox WHERE broadcast_id = ?", (b.id,))
        assert sorted(r[0] for r in rows) == [5, *range(11, 30)]
        assert (await service.get(b.id)).status == "sending"  # type: ignore[union-attr]
        assert await service.start(b.id) is None  # started once only
    finally:
        await db.close()


async def test_delivery_memory_does_not_grow_with_the_recipients(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """Per-chat send times are kept for the last second only (groups: the last minute)."""
    db = await Database.open(tmp_path / "m.sqlite3")
    tg = Bot(TOKEN, base_url=f"{api.url}/bot", request=AiohttpRequest(connections=64))
    await tg.initialize()
    try:
        chats = range(9_000_001, 9_000_001 + 3 * BATCH)
        for chat in chats:
            api.add_chat(chat, "private")
        await subscribed(db, chats, "cat-dai")
        service = Broadcasts(db, AREAS)
        b = await service.create("x", targets=["cat-dai"], created_by="cli")
        await service.start(b.id)
        delivery = Delivery(db, service, TelegramSender(tg, paid=True), rate=1000, tz=UTC)
        await run_until_done(delivery, service, b.id)
        assert (await service.counts(b.id)).sent == len(chats)
        assert len(delivery._chat_last) <= 2 * BATCH  # not one entry per recipient
        assert not delivery._flying and not delivery._buffered and not delivery._tally
    finally:
        await tg.shutdown()
        await db.close()


async def test_a_broadcast_ended_while_its_outbox_is_written_leaves_nothing_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missed (the bot was down too long after a crash mid-write) or its campaign paused: the
    rows written so far are cancelled with it, never pending for ever."""
    from bot.store import broadcasts as broadcast_store
    from bot.store import utcnow

    monkeypatch.setattr(outbox, "CHUNK_ROWS", 5)
    db = await Database.open(tmp_path / "m.sqlite3")
    try:
        await subscribed(db, range(1, 24))
        service = Broadcasts(db, AREAS)
        for end in ("missed", "paused"):
            b = await service.create("x", targets=["an-bien"], created_by="cli",
                                     campaign="storm-season" if end == "paused" else None)
            sql, params = broadcast_store.recipients_query(("an-bien",))
            # A first chunk written, as a crash mid-write leaves it.
            async with db.transaction() as conn:
                select = f"SELECT ?, chat_id, lang, area_id, kind FROM ({sql}) LIMIT 5"  # noqa: S608
                insert = "INSERT INTO outbox (broadcast_id, chat_id, lang, area_id, chat_kind) "
                await conn.execute(insert + select, (b.id, *params))
            if end == "missed":
                await service.mark_missed(b.id)
            else:
                async with db.transaction() as conn:
                    await broadcast_store.cancel_scheduled_of_campaign(
                        conn, "storm-season", utcnow())
            counts = await service.counts(b.id)
            assert (counts.pending, counts.cancelled) == (0, 5), end
    finally:
        await db.close()


async def test_two_reconciles_at_once_start_a_broadcast_once_and_report_nothing_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job and a staff member's "send now" reconcile together: one writes the outbox, the
    other must not tell staff the broadcast found no recipient."""
    from bot.broadcasts.scheduling import Scheduler

    monkeypatch.setattr(outbox, "CHUNK_ROWS", 5)
    db = await Database.open(tmp_path / "r.sqlite3")
    try:
        await subscribed(db, range(1, 41))
        service = Broadcasts(db, AREAS)
        b = await service.create("x", targets=["an-bien"], created_by="cli")
        empty: list[int] = []

        async def on_empty(broadcast: object) -> None:
            empty.append(getattr(broadcast, "id", 0))

        scheduler = Scheduler(service, grace_seconds=3600, wake=lambda: None,
                              on_empty=on_empty)
        first, second = await asyncio.gather(scheduler.reconcile(), scheduler.reconcile())
        assert sorted(first + second) == [b.id]
        assert empty == []
        assert (await service.counts(b.id)).recipients == 40
    finally:
        await db.close()


async def test_a_broadcast_starts_together_with_its_outreach_event_or_not_at_all(
    tmp_path: Path,
) -> None:
    """The status 'sending' and the 'broadcast' event are one transaction: when the event cannot
    be written, the broadcast is not started (before, it was sent and the report never knew)."""
    import sqlite3

    db = await Database.open(tmp_path / "e.sqlite3")
    try:
        await subscribed(db, range(1, 4))
        service = Broadcasts(db, AREAS)
        b = await service.create("x", targets=["an-bien"], created_by="cli")
        await db.conn.execute(
            "CREATE TEMP TRIGGER no_broadcast_event BEFORE INSERT ON main.events "
            "WHEN NEW.kind = 'broadcast' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        with pytest.raises(sqlite3.IntegrityError):
            await service.start(b.id)
        assert (await service.get(b.id)).status == "scheduled"
        await db.conn.execute("DROP TRIGGER no_broadcast_event")
        assert await service.start(b.id) == 3
        rows = await db.fetchall("SELECT detail, area_id FROM events WHERE kind = 'broadcast'")
        assert [(r["detail"], r["area_id"]) for r in rows] == [(f"{b.id}:3", "an-bien")]
    finally:
        await db.close()
