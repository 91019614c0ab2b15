"""One domain, two channels (issue 16): chats keyed by channel and a text address, an outbox and
an outreach log that say which channel, one delivery worker per channel, and the unreachable
counted everywhere staff and the lead office look.

Real SQLite files throughout; Telegram through the fake Bot API. Zalo itself is outside this
file: its worker gets a small Sender written here (a test double of the outside service).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from telegram.ext import Application

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.delivery import Delivery, Outcome, SendResult
from bot.paths import data_dir
from bot.reports.export import CSV_COLUMNS, to_csv
from bot.reports.stats import Period, report
from bot.store import Database
from bot.store.chats import ZALO_CHAT_BASE, by_address, channel_chat, ensure, update
from bot.subscriptions.subscriptions import Subscriptions
from tests.auxil.chat import eventually
from tests.conftest import LEAD_ID
from tests.fakes import FakeBotAPI
from tests.test_broadcasts import AREAS, finished, sends, subscribe
from tests.test_cli import sansang

BIG_ID = "8937462910384756123"  # a Zalo user id: more than 2^53, so a float would change it


class ZaloDouble:
    """Stands in for Zalo's service behind the Sender protocol: sends to every chat except
    those it is told are silent for more than 7 days, which it answers as unreachable."""

    def __init__(self, silent: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.silent = set(silent)
        self.sent: list[tuple[int, str]] = []

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
        if chat_id in self.silent:
            return SendResult(Outcome.UNREACHABLE, reason="no interaction for 7 days, no phone")
        self.sent.append((chat_id, text))
        return SendResult(Outcome.SENT)


async def zalo_follower(db: Database, address: str, area: str | None, lang: str = "vi") -> int:
    chat_id = await channel_chat(db, "zalo", address, lang)
    if area is not None:
        await Subscriptions(db, AREAS).subscribe(chat_id, area)
    return chat_id


async def run_for(delivery: Delivery, until: asyncio.Future[None] | asyncio.Task[None]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run(stop))
    try:
        await asyncio.wait_for(until, 30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_migrating_an_existing_database_keeps_every_row_as_telegram(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    before = sorted(p for p in (data_dir("db") / "migrations").glob("*.sql") if p.name < "0012")
    await db.migrate(before)
    # The rows as the previous version wrote them (its own SQL: today's functions read 0012's).
    await db.execute("INSERT INTO chats (chat_id, kind, lang, area_id, subscribed, created_at, "
                     "updated_at) VALUES (7001, 'private', 'vi', 'an-bien', 1, ?, ?)",
                     ("2026-10-01T00:00:00+00:00",) * 2)
    await db.execute("INSERT INTO events (at, day, kind, area_id, lang, chat_kind, active) "
                     "VALUES ('2026-10-01T00:00:00+00:00', '2026-10-01', 'subscribe', "
                     "'an-bien', 'vi', 'private', 1)")
    b = await Broadcasts(db, AREAS).create("Tin", targets=["an-bien"], created_by="cli")
    await db.execute("INSERT INTO outbox (broadcast_id, chat_id, lang, area_id, chat_kind, "
                     "status, sent_at) VALUES (?, 7001, 'vi', 'an-bien', 'private', 'sent', ?)",
                     (b.id, "2026-10-01T00:00:00+00:00"))
    events_before = (await db.fetchone("SELECT COUNT(*) FROM events"))[0]  # type: ignore[index]
    await db.close()

    db = await Database.open(path)  # migrates to 0012
    try:
        chat = await Subscriptions(db, AREAS).get(7001)
        assert chat is not None and chat.subscribed and chat.area_id == "an-bien"
        assert (chat.channel, chat.address, chat.phone, chat.phone_asked,
                chat.last_interaction_at) == ("telegram", None, None, False, None)
        row = await db.fetchone("SELECT channel, status FROM outbox WHERE chat_id = 7001")
        assert tuple(row) == ("telegram", "sent")  # type: ignore[arg-type]
        assert [tuple(r) for r in await db.fetchall(
            "SELECT channel, COUNT(*) FROM events GROUP BY channel")] == [
            ("telegram", events_before)]
        counts = await Broadcasts(db, AREAS).counts(b.id)
        assert (counts.recipients, counts.sent, counts.unreachable) == (1, 1, 0)
        assert counts.by_channel["telegram"]["sent"] == 1
        assert counts.by_channel["zalo"] == dict.fromkeys(counts.by_channel["zalo"], 0)
    finally:
        await db.close()


async def test_a_zalo_chat_is_made_once_even_when_two_connections_ask_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "z.sqlite3"
    one = await Database.open(path)
    two = await Database.open(path)  # as the CLI and the bot, or two processes
    try:
        made = await asyncio.gather(*(channel_chat(db, "zalo", "5001", "vi")
                                      for db in (one, two) for _ in range(5)))
        assert len(set(made)) == 1 and made[0] > ZALO_CHAT_BASE
        assert await channel_chat(one, "zalo", "5001", "en") == made[0]  # get, not create
        other = await channel_chat(two, "zalo", "5002", "en")
        assert other not in made and other > ZALO_CHAT_BASE
        rows = await one.fetchall("SELECT address FROM chats WHERE channel = 'zalo'")
        assert sorted(r[0] for r in rows) == ["5001", "5002"]
        chat = await by_address(one, "zalo", "5002")
        assert chat is not None and chat.chat_id == other and chat.lang == "en"
        assert chat.kind == "private" and chat.channel == "zalo"
        assert await by_address(one, "zalo", "5003") is None
        # inside a caller's transaction too
        async with one.transaction() as conn:
            inside = await channel_chat(conn, "zalo", "5003", "vi")
        assert (await by_address(one, "zalo", "5003")).chat_id == inside  # type: ignore[union-attr]
    finally:
        await one.close()
        await two.close()


async def test_a_zalo_id_past_2_53_round_trips_exactly(tmp_path: Path) -> None:
    assert int(float(BIG_ID)) != int(BIG_ID)  # what a float would do to it
    db = await Database.open(tmp_path / "big.sqlite3")
    try:
        chat_id = await channel_chat(db, "zalo", BIG_ID, "vi")
        chat = await by_address(db, "zalo", BIG_ID)
        assert chat is not None and chat.chat_id == chat_id
        assert chat.address == BIG_ID and isinstance(chat.address, str)
        stored = await db.fetchone("SELECT typeof(address), address FROM chats "
                                   "WHERE chat_id = ?", (chat_id,))
        assert tuple(stored) == ("text", BIG_ID)  # type: ignore[arg-type]
        assert await by_address(db, "zalo", str(int(BIG_ID) + 1)) is None
        assert BIG_ID not in repr(chat)  # never in a log line
        try:
            await channel_chat(db, "zalo", int(BIG_ID), "vi")  # type: ignore[arg-type]
        except TypeError:
            pass
        else:
            raise AssertionError("a numeric address must be refused")
    finally:
        await db.close()


async def test_a_broadcast_writes_one_row_per_chat_with_its_channel(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "b.sqlite3")
    try:
        await ensure(db, 7001, "private", "vi", None)
        await update(db, 7001, area_id="an-bien", subscribed=1)
        zalo = await zalo_follower(db, BIG_ID, "an-bien")
        await zalo_follower(db, "42", "ho-nam")  # another area
        service = Broadcasts(db, AREAS)
        b = await service.create("Tin", targets=["an-bien"], created_by="cli")
        assert await service.recipients_now(b) == 2
        assert await service.start(b.id) == 2
        rows = await db.fetchall("SELECT chat_id, channel, status FROM outbox "
                                 "WHERE broadcast_id = ? ORDER BY chat_id", (b.id,))
        assert [tuple(r) for r in rows] == [(7001, "telegram", "pending"),
                                            (zalo, "zalo", "pending")]
        counts = await service.counts(b.id)
        assert counts.by_channel["telegram"]["pending"] == 1
        assert counts.by_channel["zalo"]["recipients"] == 1
    finally:
        await db.close()


async def test_each_channel_worker_sends_only_its_rows_and_unreachable_is_counted(
    bot: Application, api: FakeBotAPI, db_path: Path  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    api.add_chat(LEAD_ID, "private")
    for chat in (101, 102):
        await subscribe(svc.db, api, chat, "an-bien")
    reached = await zalo_follower(svc.db, BIG_ID, "an-bien")
    silent = await zalo_follower(svc.db, "777", "an-bien", lang="en")
    elsewhere = await zalo_follower(svc.db, "888", "ho-nam")
    zalo = ZaloDouble(silent={silent})
    zalo_delivery = Delivery(svc.db, svc.broadcasts, zalo, rate=5, tz=UTC, channel="zalo")
    mark = api.mark()
    b = await svc.broadcasts.create("Nước lên & mưa <to>", text_en="Water rising",
                                    targets=["an-bien"], created_by=str(LEAD_ID),
                                    notify_chat=LEAD_ID)
    await bot.bot_data["scheduler"].reconcile()  # starts it; Telegram's worker sends its part
    await run_for(zalo_delivery, asyncio.ensure_future(finished(svc.broadcasts, b.id)))

    assert sends(api, mark) == {101: 1, 102: 1, LEAD_ID: 1}  # plus the lead's summary
    assert zalo.sent == [(reached, "Nước lên &amp; mưa &lt;to&gt;")]  # as Telegram's HTML
    assert elsewhere not in {c for c, _t in zalo.sent}
    counts = await svc.broadcasts.counts(b.id)
    assert (counts.recipients, counts.sent, counts.unreachable, counts.pending) == (4, 3, 1, 0)
    assert counts.by_channel == {
        "telegram": {"recipients": 2, "sent": 2, "failed": 0, "blocked": 0, "pending": 0,
                     "unreachable": 0},
        "zalo": {"recipients": 2, "sent": 1, "failed": 0, "blocked": 0, "pending": 0,
                 "unreachable": 1},
    }
    # The silent follower is still subscribed: unreachable is not blocked.
    assert (await svc.subscriptions.get(silent)).subscribed  # type: ignore[union-attr]
    # Staff are told how many could not be reached, and why.
    told = await api.wait_message(LEAD_ID, since=mark, contains="Không gửi được: 1")
    assert "7 ngày" in told.params["text"]
    # The outreach log says which channel each delivery went through.
    logged = await svc.db.fetchall(
        "SELECT kind, channel, COUNT(*) FROM events WHERE kind LIKE 'delivery_%' "
        "GROUP BY kind, channel ORDER BY kind, channel")
    assert [tuple(r) for r in logged] == [("delivery_sent", "telegram", 2),
                                          ("delivery_sent", "zalo", 1),
                                          ("delivery_unreachable", "zalo", 1)]

    shown = sansang("broadcast", "show", str(b.id), "--json",
                    env={"SANSANG_DB": str(db_path)})
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["recipients"], data["sent"], data["unreachable"]) == (4, 3, 1)
    assert data["by_channel"] == counts.by_channel
    assert BIG_ID not in shown.stdout and str(reached) not in shown.stdout


async def test_an_unreachable_row_is_never_retried_and_the_broadcast_still_finishes(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "u.sqlite3")
    try:
        silent = await zalo_follower(db, "9001", "cat-dai")
        service = Broadcasts(db, AREAS)
        zalo = ZaloDouble(silent={silent})
        b = await service.create("Tin", targets=["cat-dai"], created_by="cli")
        assert await service.start(b.id) == 1
        # A Zalo worker alone never closes a broadcast (Telegram's does, where staff are)...
        await run_for(Delivery(db, service, zalo, rate=5, tz=UTC, channel="zalo"),
                      asyncio.ensure_future(_until_unreachable(db, b.id)))
        assert (await service.get(b.id)).status == "sending"  # type: ignore[union-attr]
        # ...which has no row of its own to send, and closes it: nothing is pending anywhere.
        telegram = ZaloDouble()
        await run_for(Delivery(db, service, telegram, rate=5, tz=UTC),
                      asyncio.ensure_future(finished(service, b.id)))
        assert telegram.sent == [] and zalo.sent == []
        row = await db.fetchone("SELECT status, attempts, error FROM outbox")
        assert tuple(row) == ("unreachable", 1,  # type: ignore[arg-type]
                              "no interaction for 7 days, no phone")
    finally:
        await db.close()


async def _until_unreachable(db: Database, broadcast_id: int) -> None:
    async def recorded() -> bool:
        return await db.fetchone("SELECT 1 FROM outbox WHERE broadcast_id = ? "
                                 "AND status = 'unreachable'", (broadcast_id,)) is not None

    await eventually(recorded, timeout=30)


async def test_zalo_settings_forget_and_events_carry_the_channel(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        subs = Subscriptions(db, AREAS)
        chat_id = await subs.channel_chat("zalo", BIG_ID)
        await subs.subscribe(chat_id, "lam-son")
        # The last interaction only moves forward.
        await subs.touch(chat_id, "2026-10-02T08:00:00+00:00")
        await subs.touch(chat_id, "2026-10-01T08:00:00+00:00")
        assert (await subs.get(chat_id)).last_interaction_at == (  # type: ignore[union-attr]
            "2026-10-02T08:00:00+00:00")
        # Asked for a phone once, even when two events ask at once.
        assert sorted(await asyncio.gather(subs.mark_phone_asked(chat_id),
                                           subs.mark_phone_asked(chat_id))) == [False, True]
        assert not await subs.mark_phone_asked(chat_id)
        await subs.set_phone(chat_id, "84912345678")
        chat = await subs.get(chat_id)
        assert chat is not None and chat.phone == "84912345678" and chat.phone_asked
        assert "84912345678" not in repr(chat)
        await subs.set_phone(chat_id, None)
        assert (await subs.get(chat_id)).phone is None  # type: ignore[union-attr]
        await subs.set_phone(chat_id, "84912345678")
        # unfollow on Zalo: unsubscribed, counted once however often it comes
        await asyncio.gather(subs.unsubscribe(chat_id, "unfollow"),
                             subs.unsubscribe(chat_id, "unfollow"))
        assert await subs.forget(chat_id)
        assert await by_address(db, "zalo", BIG_ID) is None
        left = await db.fetchone("SELECT COUNT(*) FROM chats WHERE phone IS NOT NULL "
                                 "OR address IS NOT NULL")
        assert left[0] == 0  # type: ignore[index]
        logged = await db.fetchall("SELECT kind, channel, active FROM events ORDER BY id")
        assert [tuple(r) for r in logged] == [("subscribe", "zalo", 1),
                                              ("unsubscribe", "zalo", -1),
                                              ("forget", "zalo", 0)]
        # Telegram's events stay Telegram's.
        await ensure(db, 7001, "private", "vi", None)
        await subs.subscribe(7001, "lam-son")
        last = await db.fetchone("SELECT channel FROM events ORDER BY id DESC LIMIT 1")
        assert last[0] == "telegram"  # type: ignore[index]
    finally:
        await db.close()


async def test_the_report_counts_zalo_reach_and_unreachable_per_area(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.sqlite3")
    try:
        await ensure(db, 7001, "private", "vi", None)
        subs = Subscriptions(db, AREAS)
        await subs.subscribe(7001, "an-bien")
        reached = await zalo_follower(db, "1001", "an-bien")
        silent = await zalo_follower(db, "1002", "an-bien")
        await zalo_follower(db, "1003", "ho-nam")
        gone = await zalo_follower(db, "1004", "ho-nam")
        await subs.unsubscribe(gone, "unfollow")
        service = Broadcasts(db, AREAS)
        b = await service.create("Tin", targets=["an-bien"], created_by="cli")
        await service.start(b.id)
        await run_for(Delivery(db, service, ZaloDouble(silent={silent}), rate=5, tz=UTC,
                               channel="zalo"),
                      asyncio.ensure_future(_until_unreachable(db, b.id)))
        await run_for(Delivery(db, service, ZaloDouble(), rate=5, tz=UTC),
                      asyncio.ensure_future(finished(service, b.id)))
        month = datetime.now(db.tz).strftime("%Y-%m")
        found = await report(db, AREAS, Period.parse(month=month))
        areas = {f.area_id: f for f in found.areas}
        assert (areas["an-bien"].zalo_active, areas["an-bien"].unreachable) == (2, 1)
        assert (areas["ho-nam"].zalo_active, areas["ho-nam"].unreachable) == (1, 0)
        assert (found.total.zalo_active, found.total.unreachable) == (3, 1)
        assert found.total.subscribers_active == 4
        assert found.by_channel["zalo"].active == 3 and found.by_channel["zalo"].sent == 1
        assert found.by_channel["telegram"].active == 1
        assert found.by_channel["telegram"].sent == 1 and found.by_channel["zalo"].unreachable == 1
        assert reached  # sent to, counted in messages_sent

        text = to_csv(found).decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        assert header == list(CSV_COLUMNS)
        assert header[-4:] == ["flood_reports", "flooding_points", "zalo_active", "unreachable"]
        rows = {r["area_id"]: r for r in csv.DictReader(io.StringIO(text))}
        assert (rows["an-bien"]["zalo_active"], rows["an-bien"]["unreachable"]) == ("2", "1")
        assert (rows["TOTAL"]["zalo_active"], rows["TOTAL"]["unreachable"]) == ("3", "1")
        for private in ("1001", "1002", "1003", str(reached), str(silent), "84"):
            assert private not in text.replace(",", " ").split()
    finally:
        await db.close()


async def test_questions_views_and_flood_reports_from_zalo_are_logged_as_zalo(
    tmp_path: Path,
) -> None:
    from bot.floods.reports import FloodReports
    from bot.guides.answers import Answers
    from bot.guides.library import Library

    db = await Database.open(tmp_path / "q.sqlite3")
    try:
        answers = Answers(db, Library.load(data_dir("content")))
        found = await answers.ask("ngập lụt", "vi", area_id="an-bien", chat_kind="private",
                                  channel="zalo")
        assert found.guide is not None
        await answers.ask("ngập lụt", "vi", area_id="an-bien", chat_kind="private")
        zalo_chat = await channel_chat(db, "zalo", BIG_ID, "vi")
        saved = await FloodReports(db, AREAS).submit(zalo_chat, "vi", 20.85, 106.68, "knee")
        assert saved.report is not None, saved
        logged = await db.fetchall("SELECT kind, channel, COUNT(*) FROM events "
                                   "GROUP BY kind, channel ORDER BY kind, channel")
        assert [tuple(r) for r in logged] == [
            ("flood_report", "zalo", 1), ("guide_view", "telegram", 1),
            ("guide_view", "zalo", 1), ("question", "telegram", 1), ("question", "zalo", 1)]
    finally:
        await db.close()
