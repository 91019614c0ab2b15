"""The CLI and a running bot share one database: cancels are atomic, reads never migrate, writes
refuse an old schema, and the campaigns folder is configured, never guessed."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.broadcasts.broadcasts import Broadcast, BroadcastError, Broadcasts, Counts
from bot.broadcasts.campaigns import STAFF_PREFIX, Campaign, Campaigns
from bot.broadcasts.delivery import Delivery, Outcome, SendResult
from bot.config import Config
from bot.errors import ConfigError
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ensure, update
from bot.subscriptions.areas import AreaCatalog
from tests.test_broadcasts import AREAS
from tests.test_cli import sansang

TZ_NAME = "Asia/Ho_Chi_Minh"
TZ = ZoneInfo(TZ_NAME)
OLD_SCHEMA = ["0001_chats_and_events.sql", "0002_roles.sql", "0003_broadcasts.sql",
              "0004_report_indexes.sql", "0005_event_days.sql", "0006_active_changes.sql"]


async def chats_in(db: Database, area: str, ids: range) -> None:
    for chat in ids:
        await ensure(db, chat, "private", "vi", None)
        await update(db, chat, area_id=area, subscribed=1)


class Recorder:
    """A channel that answers 'sent' and remembers to whom."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
        self.sent.append(chat_id)
        return SendResult(Outcome.SENT)


async def test_cancelling_a_sending_broadcast_stops_it_and_counts_the_rest_cancelled(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.sqlite3"
    db = await Database.open(path)
    service = Broadcasts(db, AREAS)
    await chats_in(db, "an-bien", range(8001, 8006))
    b = await service.create("Tin", targets=["an-bien"], created_by="cli")
    assert await service.start(b.id) == 5  # sending: five rows pending in the outbox
    await db.close()

    env = {"SANSANG_DB": str(path)}
    result = sansang("broadcast", "cancel", str(b.id), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{b.id}\tcancelled"
    shown = json.loads(sansang("broadcast", "show", str(b.id), "--json", env=env).stdout)
    assert shown["status"] == "cancelled"
    assert (shown["recipients"], shown["pending"], shown["cancelled"], shown["sent"]) == (
        5, 0, 5, 0)
    assert {"id", "failed", "blocked", "send_at", "target", "text_vi"} <= set(shown)

    db = await Database.open(path)
    try:
        sender = Recorder()
        delivery = Delivery(db, Broadcasts(db, AREAS), sender, rate=100, tz=TZ)
        assert await delivery.step() is False  # nothing of a cancelled broadcast is sent
        assert sender.sent == []
        assert (await Broadcasts(db, AREAS).get(b.id)).status == "cancelled"
    finally:
        await db.close()
    again = sansang("broadcast", "cancel", str(b.id), env=env)
    assert again.returncode == 1 and "is cancelled" in again.stderr


async def test_a_row_in_flight_when_cancelled_is_not_counted_twice_nor_resent(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "f.sqlite3")
    try:
        service = Broadcasts(db, AREAS)
        await chats_in(db, "cat-dai", range(8101, 8103))
        b = await service.create("Tin", targets=["cat-dai"], created_by="cli")
        await service.start(b.id)
        gate, both_flying = asyncio.Event(), asyncio.Event()
        sent: list[int] = []

        class Slow:
            async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
                sent.append(chat_id)
                if len(sent) == 2:
                    both_flying.set()
                await gate.wait()  # the request is in flight while staff cancel
                return SendResult(Outcome.SENT)

        delivery = Delivery(db, service, Slow(), rate=1000, tz=TZ, in_flight=4)
        stepping = asyncio.create_task(delivery.step())
        await asyncio.wait_for(both_flying.wait(), timeout=10)
        await service.cancel(b.id, actor="cli")
        gate.set()
        await asyncio.wait_for(stepping, timeout=10)
        await delivery.drain(timeout=10)
        counts = await service.counts(b.id)
        assert (counts.pending, counts.cancelled, counts.recipients) == (0, 2, 2)
        assert (await service.get(b.id)).status == "cancelled"  # not turned into done
        assert await delivery.step() is False and len(sent) == 2
    finally:
        await db.close()


async def test_a_finish_committed_first_wins_over_a_cancel(tmp_path: Path) -> None:
    """The cancel reads the status inside its own transaction: a broadcast another connection
    (the bot) marked done while the cancel waited is never overwritten."""
    path = tmp_path / "race.sqlite3"
    bot_db = await Database.open(path)
    cli_db = await Database.open(path)
    try:
        await chats_in(bot_db, "ho-nam", range(8201, 8202))
        b = await Broadcasts(bot_db, AREAS).create("Tin", targets=["ho-nam"], created_by="cli")
        await Broadcasts(bot_db, AREAS).start(b.id)
        async with bot_db.transaction() as conn:
            await conn.execute("UPDATE outbox SET status = 'sent' WHERE broadcast_id = ?",
                               (b.id,))
            await conn.execute("UPDATE broadcasts SET status = 'done' WHERE id = ?", (b.id,))
            cancel = asyncio.create_task(Broadcasts(cli_db, AREAS).cancel(b.id, actor="cli"))
            await asyncio.sleep(0.3)  # the cancel is now waiting for the write lock
        with pytest.raises(BroadcastError, match="is done"):
            await asyncio.wait_for(cancel, timeout=15)
        assert (await Broadcasts(bot_db, AREAS).get(b.id)).status == "done"
        counts = await Broadcasts(bot_db, AREAS).counts(b.id)
        assert (counts.sent, counts.cancelled) == (1, 0)
    finally:
        await cli_db.close()
        await bot_db.close()


async def test_two_weekly_broadcasts_made_at_once_get_their_own_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "w.sqlite3")
    try:
        service = Campaigns(db, Broadcasts(db, AREAS), TZ)
        weekly = Campaign(STAFF_PREFIX + "new", "Họp", "Meeting", (1, 1), (12, 31), 0,
                          time(7, 30), ("an-bien",), False, "Họp tổ", None, None)
        made = await asyncio.gather(*(service.add_weekly(weekly, actor="1") for _ in range(4)))
        keys = {c.key for c in made}
        assert len(keys) == 4 and all(k.startswith(STAFF_PREFIX) for k in keys)
        assert {c.key for c in await service.all()} == keys
    finally:
        await db.close()


async def old_database(path: Path) -> None:
    """A database of the previous version (before migration 0008), with a role and a
    broadcast, and its roll-up counted in the ward's zone."""
    db = await Database.open(path, migrate=False)
    await db.migrate([data_dir("db") / "migrations" / name for name in OLD_SCHEMA])
    await db.execute("INSERT INTO settings (key, value) VALUES ('rollup_zone', ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (TZ_NAME,))
    await db.execute("INSERT INTO roles (user_id, role, source, added_at, added_by) "
                     "VALUES (555, 'staff', 'cli', '2026-01-01', 'cli')")
    await db.execute(
        "INSERT INTO broadcasts (status, text_vi, target_all, areas, send_at, created_by, "
        "created_at) VALUES ('scheduled', 'Tin cũ', 1, '[]', '2030-01-01T00:00:00+00:00', "
        "'cli', '2026-01-01T00:00:00+00:00')")
    await db.close()


async def schema_state(path: Path) -> tuple[list[str], str]:
    db = await Database.open(path, migrate=False)
    try:
        applied = [r[0] for r in await db.fetchall("SELECT name FROM schema_migrations")]
        zone = await db.fetchone("SELECT value FROM settings WHERE key = 'rollup_zone'")
        return sorted(applied), zone[0]
    finally:
        await db.close()


async def test_reads_never_migrate_and_writes_refuse_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await old_database(path)
    before = await schema_state(path)
    env = {"SANSANG_DB": str(path), "SANSANG_TIMEZONE": "Europe/Paris"}  # another zone too

    listed = sansang("staff", "list", env=env)
    assert listed.returncode == 0 and listed.stdout.startswith("555\tstaff"), listed.stderr
    broadcasts = sansang("broadcast", "list", env=env)
    assert broadcasts.returncode == 0 and "\tscheduled\t" in broadcasts.stdout
    shown = sansang("broadcast", "show", "1", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "scheduled"
    assert sansang("campaign", "list", env=env).returncode == 0
    assert sansang("areas", env=env).returncode == 0
    assert await schema_state(path) == before  # nothing migrated, nothing recounted

    for write in (("staff", "add", "777", "--role", "lead"), ("broadcast", "cancel", "1"),
                  ("broadcast", "create", "--all", "--text", "x"),
                  ("campaign", "pause", "heat")):
        refused = sansang(*write, env=env)
        assert refused.returncode == 2, (write, refused.stderr)
        assert "needs migrating" in refused.stderr and "sansang db migrate" in refused.stderr
    assert await schema_state(path) == before
    assert "777" not in sansang("staff", "list", env=env).stdout

    assert sansang("db", "migrate", env={"SANSANG_DB": str(path)}).returncode == 0
    assert sansang("staff", "add", "777", "--role", "lead", env=env).returncode == 0


def test_a_read_without_a_database_says_what_to_run_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none" / "x.sqlite3"
    result = sansang("staff", "list", env={"SANSANG_DB": str(path)})
    assert result.returncode == 2 and "sansang db migrate" in result.stderr
    assert not path.exists() and not path.parent.exists()


def test_a_missing_campaigns_folder_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(ConfigError, match="SANSANG_CAMPAIGNS") as caught:
        Config.from_env({"SANSANG_CAMPAIGNS": str(missing)}, require_token=False)
    assert "Example of a right value: SANSANG_CAMPAIGNS=" in str(caught.value)
    assert Config.from_env({}, require_token=False).campaigns_dir == data_dir("broadcasts")
    db = tmp_path / "run.sqlite3"
    result = sansang("run", env={
        "TELEGRAM_BOT_TOKEN": "7000000001:TEST-token-for-the-fake-api-000000000",
        "TELEGRAM_API_URL": "http://127.0.0.1:9", "SANSANG_DB": str(db),
        "SANSANG_CAMPAIGNS": str(missing)}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "SANSANG_CAMPAIGNS" in result.stderr and str(missing) in result.stderr
    assert not db.exists()  # nothing touched


async def test_a_broadcast_to_fifty_areas_counts_once_in_each_of_them(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    ids = [f"to-dan-pho-{n:02d}" for n in range(1, 51)]
    (content / "areas.toml").write_text("".join(
        f'[[area]]\nid = "{i}"\nvi = "Tổ dân phố {i[-2:]}"\nen = "Block {i[-2:]}"\n\n'
        for i in ids), encoding="utf-8")
    catalog = AreaCatalog.load(content / "areas.toml")
    path = tmp_path / "fifty.sqlite3"
    db = await Database.open(path)
    try:
        await chats_in(db, ids[-1], range(8301, 8302))
        service = Broadcasts(db, catalog)
        b = await service.create("Tin cho 50 tổ", targets=ids, created_by="cli")
        assert await service.start(b.id) == 1
    finally:
        await db.close()
    out = tmp_path / "report.csv"
    today = datetime.now(UTC).astimezone(TZ).date()
    result = sansang("export", "--from", today.isoformat(), "--to", today.isoformat(),
                     "--format", "csv", "--out", str(out),
                     env={"SANSANG_DB": str(path), "SANSANG_CONTENT": str(content)})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    per_area = {r["area_id"]: int(r["broadcasts"]) for r in rows}
    assert [per_area[i] for i in ids] == [1] * 50
    assert per_area["TOTAL"] == 1


async def test_a_database_of_a_newer_version_is_read_but_never_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "newer.sqlite3"
    db = await Database.open(path)
    await db.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                     ("9999_from_the_future.sql", "2030-01-01"))
    await db.close()
    env = {"SANSANG_DB": str(path)}
    assert sansang("staff", "list", env=env).returncode == 0
    result = sansang("staff", "add", "1", "--role", "staff", env=env)
    assert result.returncode == 2 and "9999_from_the_future.sql" in result.stderr
    assert sansang("staff", "list", env=env).stdout == ""


async def test_cancelling_a_broadcast_being_sent_tells_its_progress_message_once(
    tmp_path: Path,
) -> None:
    """The staff member who started it sees "cancelled", not "sending…" for ever."""
    db = await Database.open(tmp_path / "p.sqlite3")
    try:
        service = Broadcasts(db, AREAS)
        await chats_in(db, "cat-dai", range(8201, 8204))
        b = await service.create("Tin", targets=["cat-dai"], created_by="cli")
        await service.start(b.id)
        told: list[tuple[str, str]] = []

        class Watcher:
            async def progress(self, broadcast: Broadcast, counts: Counts) -> None:
                told.append(("progress", broadcast.status))

            async def finished(self, broadcast: Broadcast, counts: Counts) -> None:
                told.append(("finished", broadcast.status))

        first = asyncio.Event()

        class OneThenCancel:
            async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
                if not first.is_set():
                    first.set()
                    await service.cancel(b.id, actor="cli")  # cancelled while it sends
                return SendResult(Outcome.SENT)

        delivery = Delivery(db, service, OneThenCancel(), rate=1000, tz=TZ, reporter=Watcher())
        await delivery.step()
        await delivery.drain(timeout=10)
        await delivery.step()
        assert told.count(("finished", "cancelled")) == 1
        assert ("finished", "done") not in told
    finally:
        await db.close()


async def test_a_cancel_stops_the_batch_being_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of up to 500 rows lasts 20 s at 25 a second: a cancel takes effect at the next
    send, not after the batch (the check is made every send here; every 0.25 s in the bot)."""
    from bot.broadcasts import delivery as delivery_module

    monkeypatch.setattr(delivery_module, "SENDING_RECHECK", 0.0, raising=False)
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        service = Broadcasts(db, AREAS)
        await chats_in(db, "an-bien", range(8301, 8361))
        b = await service.create("Tin", targets=["an-bien"], created_by="cli")
        await service.start(b.id)
        sent: list[int] = []

        class CancelAtFive:
            async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
                sent.append(chat_id)
                if len(sent) == 5:
                    await service.cancel(b.id, actor="cli")
                return SendResult(Outcome.SENT)

        delivery = Delivery(db, service, CancelAtFive(), rate=50, tz=TZ)
        await asyncio.wait_for(delivery.step(), timeout=20)
        await delivery.drain(timeout=10)
        assert 5 <= len(sent) <= 7, len(sent)  # the fifth, and at most what was already flying
        counts = await service.counts(b.id)
        assert (counts.pending, counts.cancelled + counts.sent) == (0, 60)
    finally:
        await db.close()


async def test_results_that_could_not_be_written_are_written_later_not_lost(
    tmp_path: Path,
) -> None:
    """A flush that fails (the database refuses writes for a moment) keeps its answers: the
    rows are recorded at the next flush, and nothing is sent twice."""
    db = await Database.open(tmp_path / "w.sqlite3")
    try:
        service = Broadcasts(db, AREAS)
        await chats_in(db, "an-bien", range(8401, 8404))
        b = await service.create("Tin", targets=["an-bien"], created_by="cli")
        await service.start(b.id)
        sender = Recorder()
        delivery = Delivery(db, service, sender, rate=100, tz=TZ)
        await db.conn.execute("PRAGMA query_only = ON")  # every write fails now
        assert await delivery.step() is True
        await delivery.drain(timeout=10)
        assert (await service.counts(b.id)).pending == 3  # not written...
        await db.conn.execute("PRAGMA query_only = OFF")
        await delivery.drain(timeout=10)
        counts = await service.counts(b.id)
        assert (counts.sent, counts.pending) == (3, 0)  # ...but kept, and written now
        assert await delivery.step() is False
        assert sorted(sender.sent) == [8401, 8402, 8403]
        assert (await service.get(b.id)).status == "done"
    finally:
        await db.close()


def _file_bytes(path: Path) -> tuple[bytes, bytes]:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


async def test_reading_commands_write_nothing_at_all(tmp_path: Path) -> None:
    """Not even SQLite's statistics at close (PRAGMA optimize wrote sqlite_stat1): a read never
    waits for the bot's write lock, and works on a copy someone only reads."""
    path = tmp_path / "r.sqlite3"
    env = {"SANSANG_DB": str(path)}
    assert sansang("db", "migrate", env=env).returncode == 0
    assert sansang("broadcast", "create", "--all", "--text", "Tin", env=env).returncode == 0
    before = _file_bytes(path)
    for read in (("staff", "list"), ("broadcast", "list"), ("broadcast", "show", "1"),
                 ("campaign", "list")):
        result = sansang(*read, env=env)
        assert result.returncode == 0, (read, result.stderr)
    assert _file_bytes(path) == before
