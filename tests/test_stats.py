"""The report's figures, counted from the daily roll-up, against a plain count of the raw events.

The history spans four months, with events on both sides of local midnight at each month's end
(17:00 UTC in Hải Phòng), before the period (subscriptions still active) and after it.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.paths import data_dir
from bot.reports import stats
from bot.store import Database, events
from bot.store.events import Event, local_day
from bot.subscriptions.areas import AreaCatalog

WARD = ZoneInfo("Asia/Ho_Chi_Minh")
AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")
KINDS = ("subscribe", "unsubscribe", "blocked", "unblocked", "delivery_sent", "delivery_failed",
         "delivery_blocked", "guide_view", "question", "language", "broadcast")
QUARTER = stats.Period.parse(quarter="2026-Q3")


def history(seed: int = 7, n: int = 3000) -> list[tuple[str, str, str | None, str, str | None,
                                                          str | None, int]]:
    """(at, kind, area_id, chat_kind, guide_id, detail, active), June to mid-October 2026.

    `active` is what the bot records: +1 or -1 when the event changed whether a chat receives
    warnings, 0 when it did not (a block after unsubscribing, say)."""
    rng = random.Random(seed)
    area_ids = [a.id for a in AREAS.areas[:5]] + [None]
    start = datetime(2026, 6, 1, tzinfo=UTC)
    month_ends = [datetime(2026, m, 1, 17, tzinfo=UTC) - timedelta(days=1) for m in range(7, 12)]
    rows = []
    for i in range(n):
        if i % 4 == 0:  # around a local midnight that turns the month
            at = rng.choice(month_ends) + timedelta(minutes=rng.randrange(-90, 90))
        else:
            at = start + timedelta(seconds=rng.randrange(135 * 86400))
        kind = rng.choice(KINDS)
        area = rng.choice(area_ids)
        guide = detail = None
        if kind == "guide_view":
            guide = "flood-during"
            detail = rng.choice(("storm:menu", "flood:question", "heat:menu", None, "cold"))
        elif kind == "question":
            if rng.random() < 0.6:
                guide = "storm-before"
            else:
                detail = rng.choice(("Xe buýt  mấy giờ", "xe buýt mấy giờ", "giá vàng"))
        elif kind == "broadcast":
            area = ",".join(rng.sample(area_ids[:5], 2)) if rng.random() < 0.5 else None
            detail = f"{i}:{rng.randrange(100)}"
        active = {"subscribe": 1, "unblocked": rng.choice((0, 1)),
                  "unsubscribe": rng.choice((0, -1)), "blocked": rng.choice((0, -1))}.get(kind, 0)
        rows.append((at.isoformat(timespec="seconds"), kind, area,
                     "group" if rng.random() < 0.2 else "private", guide, detail, active))
    return rows


def expected(rows: list, period: stats.Period, tz: ZoneInfo) -> dict:  # type: ignore[type-arg]
    """What the report must say, counted event by event in Python."""
    active: Counter[tuple[str, str]] = Counter()
    per_area: dict[str, Counter[str]] = defaultdict(Counter)
    by_month: dict[str, Counter[str]] = {m: Counter() for m in period.months()}
    views: Counter[str] = Counter()
    unanswered: Counter[str] = Counter()
    broadcasts: list[datetime] = []
    for at, kind, area, chat_kind, guide, detail, change in rows:
        local = datetime.fromisoformat(at).astimezone(tz)
        area = area or ""
        if local.date() <= period.end:
            active[area, chat_kind] += change
        if not period.start <= local.date() <= period.end:
            continue
        month = local.strftime("%Y-%m")
        if kind == "broadcast":
            broadcasts.append(local.replace(tzinfo=None))
            by_month[month]["broadcasts"] += 1
            for a in area.split(",") if area else [x.id for x in AREAS.areas]:
                per_area[a]["broadcasts"] += 1
            continue
        if kind not in stats.IN_PERIOD:
            continue
        name = stats.IN_PERIOD[kind]
        per_area[area][name] += 1
        by_month[month][name] += 1
        if kind == "question" and guide:
            per_area[area]["answered"] += 1
            by_month[month]["answered"] += 1
        if kind == "question" and not guide:
            unanswered[" ".join(detail.lower().split())] += 1
        if kind == "guide_view":
            views[(detail or "general:").split(":")[0]] += 1
    return {"active": active, "per_area": per_area, "by_month": by_month, "views": views,
            "unanswered": unanswered, "broadcasts": broadcasts}


async def filled(path: Path, rows: list, tz: ZoneInfo = WARD) -> Database:  # type: ignore[type-arg]
    """A database whose events were logged by the bot (each with its local day)."""
    db = await Database.open(path, tz=tz)
    async with db.transaction() as conn:
        await events.add(conn, db.tz, [
            Event(kind, area, "vi", chat_kind, guide, detail, active, at)
            for at, kind, area, chat_kind, guide, detail, active in rows
        ])
    return db


def check(report: stats.Report, want: dict) -> None:  # type: ignore[type-arg]
    figures = {f.area_id: f for f in report.areas}
    for area, f in figures.items():
        assert f.households_active == want["active"][area, "private"], area
        assert f.groups_active == want["active"][area, "group"], area
        for name in (*stats.IN_PERIOD.values(), "answered", "broadcasts"):
            assert getattr(f, name) == want["per_area"][area][name], (area, name)
    assert set(want["per_area"]) <= set(figures)
    assert list(report.by_month) == list(want["by_month"])
    for month, f in report.by_month.items():
        for name in (*stats.IN_PERIOD.values(), "answered", "broadcasts"):
            assert getattr(f, name) == want["by_month"][month][name], (month, name)
    assert report.views_by_hazard == want["views"]
    assert dict(report.unanswered) == dict(want["unanswered"])
    assert [b.at for b in report.broadcasts] == sorted(want["broadcasts"])
    assert report.total.broadcasts == len(want["broadcasts"])
    assert report.total.messages_sent == sum(c["messages_sent"] for c in want["per_area"].values())


async def test_figures_match_the_raw_events_month_by_month(tmp_path: Path) -> None:
    rows = history()
    db = await filled(tmp_path / "h.sqlite3", rows)
    try:
        want = expected(rows, QUARTER, WARD)
        assert sum(want["by_month"]["2026-08"].values()) > 100  # a real month, not an empty one
        check(await stats.report(db, AREAS, QUARTER), want)
        # A period of a few days, cutting months, is counted in local days too.
        short = stats.Period(date(2026, 7, 31), date(2026, 8, 1))
        check(await stats.report(db, AREAS, short), expected(rows, short, WARD))
    finally:
        await db.close()


def sansang(db: Path, *args: str, zone: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    env["SANSANG_DB"] = str(db)
    if zone is not None:
        env["SANSANG_TIMEZONE"] = zone
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


async def roll_up(path: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(path) as conn:
        return [tuple(r) for r in conn.execute("SELECT * FROM event_days ORDER BY 1, 2, 3, 4, 5")]


async def test_another_zone_recounts_only_on_purpose(tmp_path: Path) -> None:
    """Opening the database in another zone (a CLI run with another SANSANG_TIMEZONE) changes
    no count; `sansang db recount` counts every day again in the configured zone."""
    rows = history(seed=11, n=800)
    path = tmp_path / "z.sqlite3"
    await (await filled(path, rows)).close()
    counted = await roll_up(path)
    assert expected(rows, QUARTER, ZoneInfo("UTC")) != expected(rows, QUARTER, WARD)

    await (await Database.open(path, tz=ZoneInfo("UTC"))).close()
    listed = sansang(path, "staff", "list", zone="UTC")
    assert listed.returncode == 0, listed.stderr
    assert await roll_up(path) == counted  # before: recounted in UTC by any process

    done = sansang(path, "db", "recount", zone="UTC")
    assert done.returncode == 0, done.stderr
    assert "UTC" in done.stdout
    db = await Database.open(path, tz=ZoneInfo("UTC"))
    try:
        check(await stats.report(db, AREAS, QUARTER), expected(rows, QUARTER, ZoneInfo("UTC")))
    finally:
        await db.close()
    back = sansang(path, "db", "recount")  # the default zone, Asia/Ho_Chi_Minh
    assert back.returncode == 0, back.stderr
    assert await roll_up(path) == counted


async def test_a_row_written_without_the_app_is_counted(tmp_path: Path) -> None:
    """The roll-up needs no function of the app: the sqlite3 shell (or any client) can log."""
    path = tmp_path / "shell.sqlite3"
    await (await Database.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO events (at, kind, area_id, lang, chat_kind, active) "
            "VALUES ('2026-08-02T03:00:00+00:00', 'subscribe', 'an-bien', 'vi', 'private', 1)"
        )
        conn.execute(  # with its local day, as the bot writes it
            "INSERT INTO events (at, day, kind, area_id, lang, chat_kind, active) VALUES "
            "('2026-07-31T18:00:00+00:00', '2026-08-01', 'subscribe', 'an-bien', 'vi', "
            "'private', 1)"
        )
    assert await roll_up(path) == [
        ("subscribe", "2026-08-01", "an-bien", "private", "", 1, 1),
        ("subscribe", "2026-08-02", "an-bien", "private", "", 1, 1),
    ]
    db = await Database.open(path)
    try:
        report = await stats.report(db, AREAS, stats.Period(date(2026, 8, 1), date(2026, 8, 2)))
        an_bien = next(f for f in report.areas if f.area_id == "an-bien")
        assert (an_bien.subscribers_new, an_bien.households_active) == (2, 2)
    finally:
        await db.close()


async def test_events_logged_before_the_roll_up_are_counted(tmp_path: Path) -> None:
    """A database from before migrations 0005 and 0006: its events are rolled up at the next
    start, each subscription change counted by its kind (all that was recorded then)."""
    migrations = sorted((data_dir("db") / "migrations").glob("*.sql"))
    before = [p for p in migrations if p.name < "0005"]
    by_kind = {"subscribe": 1, "unblocked": 1, "unsubscribe": -1, "blocked": -1}
    rows = [(*r[:6], by_kind.get(r[1], 0)) for r in history(seed=3, n=500)]
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    await db.migrate(before)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail) "
            "VALUES (?, ?, ?, 'vi', ?, ?, ?)", [r[:6] for r in rows],
        )
    await db.close()
    db = await Database.open(path)  # as the upgraded bot starts
    try:
        total = await db.fetchone("SELECT SUM(n) FROM event_days")
        assert total is not None and total[0] == len(rows)
        check(await stats.report(db, AREAS, QUARTER), expected(rows, QUARTER, WARD))
    finally:
        await db.close()


async def test_a_roll_up_counted_by_the_old_trigger_is_upgraded_whole(tmp_path: Path) -> None:
    """A database of the bot before 0007, whose trigger called the app's local_day(): after the
    upgrade every event has its day and the figures are the same."""
    migrations = sorted((data_dir("db") / "migrations").glob("*.sql"))
    path = tmp_path / "0006.sqlite3"
    rows = history(seed=13, n=600)
    db = await Database.open(path, migrate=False)
    # What the bot registered on its connection before migration 0007.
    await db.conn.create_function("local_day", 1, lambda at: local_day(at or "", WARD))
    await db.migrate([p for p in migrations if p.name < "0007"])
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail, active) "
            "VALUES (?, ?, ?, 'vi', ?, ?, ?, ?)", rows,
        )
    await db.close()
    db = await Database.open(path)  # as the upgraded bot starts
    try:
        missing = await db.fetchone("SELECT COUNT(*) FROM events WHERE day IS NULL")
        assert missing is not None and missing[0] == 0
        check(await stats.report(db, AREAS, QUARTER), expected(rows, QUARTER, WARD))
    finally:
        await db.close()


def sansang_export(db: Path, out: Path, fmt: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--quarter", "2026-Q3", "--format", fmt,
         "--out", str(out)],
        capture_output=True, text=True, timeout=60, env=env | {"SANSANG_DB": str(db)},
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_quarter_export_files_have_each_month_and_local_dates(tmp_path: Path) -> None:
    import openpyxl

    rows = history(seed=5, n=1500)
    # A broadcast at 18:30 UTC on 31 July is on 1 August, 01:30, in Hải Phòng.
    rows.append(("2026-07-31T18:30:00+00:00", "broadcast", None, "private", None, "999:42", 0))
    path = tmp_path / "q.sqlite3"
    await (await filled(path, rows)).close()
    want = expected(rows, QUARTER, WARD)

    sansang_export(path, tmp_path / "q.csv", "csv")
    table = {r["area_id"]: r for r in csv.DictReader(
        io.StringIO((tmp_path / "q.csv").read_bytes().decode("utf-8-sig")))}
    for area, counts in want["per_area"].items():
        if area:
            assert int(table[area]["messages_sent"]) == counts["messages_sent"], area
            assert int(table[area]["guide_views"]) == counts["guide_views"], area
    assert int(table["TOTAL"]["broadcasts"]) == len(want["broadcasts"])

    sansang_export(path, tmp_path / "q.xlsx", "xlsx")
    book = openpyxl.load_workbook(tmp_path / "q.xlsx")
    months = list(book["Theo tháng"].iter_rows(min_row=3, values_only=True))
    # Real dates (openpyxl reads them back as naive datetimes), shown as mm/yyyy.
    assert [m[0].date() for m in months] == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
    assert book["Theo tháng"]["A3"].number_format == "mm/yyyy"
    for (_, sent, new, views, searches, broadcasts), month in zip(
            months, QUARTER.months(), strict=True):
        c = want["by_month"][month]
        assert (sent, new, views, searches, broadcasts) == (
            c["messages_sent"], c["subscribers_new"], c["guide_views"], c["searches"],
            c["broadcasts"])
    sheet = book["Bản tin"]
    listed = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(listed) == len(want["broadcasts"])
    ours = next(r for r in listed if r[2] == "999")
    assert ours[0].date() == date(2026, 8, 1) and ours[3] == 42
    assert ours[1].hour == 1 and ours[1].minute == 30
    row = next(i for i, r in enumerate(listed, start=3) if r[2] == "999")
    assert sheet.cell(row, 1).number_format == "dd/mm/yyyy"


def test_local_day_of_a_stored_time() -> None:
    assert local_day("2026-07-31T16:59:59+00:00", WARD) == "2026-07-31"
    assert local_day("2026-07-31T17:00:00+00:00", WARD) == "2026-08-01"  # midnight in Hải Phòng
    assert local_day("2026-07-31T17:00:00", WARD) == "2026-08-01"  # stored without a zone: UTC
    assert local_day("9999-12-31T23:00:00+00:00", WARD) == "9999-12-31"  # past year 9999: kept
    assert local_day("not a time", WARD) == "not a time"[:10] and local_day("", WARD) == ""
