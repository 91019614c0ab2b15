"""`sansang reports` (text and --json) and the statistics export's flood columns, as an operator
runs them: subprocesses on a real SQLite file. Nothing they print names a reporter."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.floods.reports import FloodReports
from bot.paths import data_dir
from bot.reports.export import CSV_COLUMNS
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions
from tests.test_flood_reports import HANOI, Clock, east, north

AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")
CENTRE = {a.id: (a.lat, a.lon) for a in AREAS.areas}
OCT_5 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # 10:00 local
# Reporters' chats, their notes and photos: none of them may reach an export or a listing.
CHATS = (5551234567, 5559876543, 6660001112, 7770002223)
NOTE = "Ngập trước nhà số 12, gọi 0912 345 678"
PHOTO = "AgACAgIAAxkBAAIBzWZpb3RvLWZpbGUtaWQ"


def sansang(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
        env=env | {"SANSANG_DB": str(db)}, check=False,
    )


def make_history(path: Path) -> None:
    """October 2026: two reports 50 m apart in Cát Dài (knee, then above the waist), one in Hồ
    Nam, one outside the ward; a report in Cát Dài just after local midnight on 1 November."""

    async def build() -> None:
        db = await Database.open(path)
        clock = Clock(OCT_5)
        floods = FloodReports(db, AREAS, clock=clock)
        cat_dai = CENTRE["cat-dai"]
        steps = [
            (timedelta(0), CHATS[0], cat_dai, "knee"),
            (timedelta(hours=2), CHATS[1], east(*cat_dai, 50), "above"),
            (timedelta(days=3), CHATS[2], CENTRE["ho-nam"], "ankle"),
            (timedelta(days=4), CHATS[3], HANOI, "waist"),
            # 2026-10-31T17:30Z is 00:30 on 1 November in Hải Phòng: not October's
            (datetime(2026, 10, 31, 17, 30, tzinfo=UTC) - OCT_5, CHATS[0],
             north(*cat_dai, 20), "ankle"),
        ]
        try:
            for offset, chat, (lat, lon), depth in steps:
                clock.now = OCT_5 + offset
                done = await floods.submit(chat, "vi", lat, lon, depth, PHOTO, NOTE)
                assert done.report is not None, done.refused
            # One reporter forgets; one report is resolved: the counts stay.
            subs = Subscriptions(db, AREAS)
            await subs.ensure(CHATS[2], "private")
            assert await subs.forget(CHATS[2])
            await floods.resolve(1, 900002)
        finally:
            await db.close()

    asyncio.run(build())


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "floods.sqlite3"
    make_history(path)
    return path


def assert_names_nobody(text: str) -> None:
    for chat in (*CHATS, 900002):
        assert str(chat) not in text
    assert PHOTO not in text and "0912" not in text and "Ngập trước nhà" not in text


def test_reports_lists_points_worst_first_as_text(history: Path) -> None:
    result = sansang("reports", db=history)
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert all(len(fields) == 6 for fields in lines)
    assert [(f[2], f[3], f[5]) for f in lines] == [
        ("3", "above", "cat-dai"), ("1", "waist", "-"), ("1", "ankle", "ho-nam")]
    lat, lon = float(lines[0][0]), float(lines[0][1])
    assert abs(lat - CENTRE["cat-dai"][0]) < 0.001 and abs(lon - CENTRE["cat-dai"][1]) < 0.001
    assert lines[0][4] == "2026-11-01T00:30:00+07:00"  # last seen, local time
    assert lines[2][4] == "2026-10-08T10:00:00+07:00"
    assert_names_nobody(result.stdout)


def test_reports_json_has_the_contract_fields(history: Path) -> None:
    result = sansang("reports", "--json", db=history)
    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)
    assert [set(p) for p in points] == [{
        "lat", "lon", "reports", "worst_depth", "first_seen", "last_seen", "area_id",
        "outside"}] * 3
    first, outside, ho_nam = points
    assert (first["reports"], first["worst_depth"], first["area_id"]) == (3, "above", "cat-dai")
    assert (first["first_seen"], first["last_seen"]) == ("2026-10-05T10:00:00+07:00",
                                                         "2026-11-01T00:30:00+07:00")
    assert (outside["area_id"], outside["outside"]) == (None, True)
    assert abs(outside["lat"] - HANOI[0]) < 1e-6 and abs(outside["lon"] - HANOI[1]) < 1e-6
    assert (ho_nam["area_id"], ho_nam["outside"], ho_nam["reports"]) == ("ho-nam", False, 1)
    assert_names_nobody(result.stdout)

    october = sansang("reports", "--json", "--from", "2026-10-01", "--to", "2026-10-31",
                      db=history)
    assert october.returncode == 0, october.stderr
    assert [(p["area_id"], p["reports"]) for p in json.loads(october.stdout)] == [
        ("cat-dai", 2), (None, 1), ("ho-nam", 1)]
    november = sansang("reports", "--json", "--from", "2026-11-01", "--to", "2026-11-30",
                       db=history)
    assert [(p["area_id"], p["reports"], p["worst_depth"])
            for p in json.loads(november.stdout)] == [("cat-dai", 1, "ankle")]


def test_an_empty_database_lists_nothing(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite3"
    assert sansang("db", "migrate", db=db).returncode == 0
    as_json = sansang("reports", "--json", db=db)
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])
    as_text = sansang("reports", db=db)
    assert (as_text.returncode, as_text.stdout) == (0, "")


def test_bad_usage_and_a_missing_database_exit_2(tmp_path: Path, history: Path) -> None:
    missing = sansang("reports", "--json", db=tmp_path / "none.sqlite3")
    assert missing.returncode == 2 and "sansang db migrate" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates the file
    for args in (["--from", "2026-10-01"], ["--to", "2026-10-01"],
                 ["--from", "2026-10-31", "--to", "2026-10-01"],
                 ["--from", "01/10/2026", "--to", "2026-10-31"]):
        result = sansang("reports", *args, db=history)
        assert result.returncode == 2, args
        assert result.stderr.startswith("sansang:") or "usage:" in result.stderr


def test_a_database_from_before_0011_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"

    async def old() -> None:
        db = await Database.open(path, migrate=False)
        await db.migrate([m for m in sorted((data_dir("db") / "migrations").glob("*.sql"))
                          if m.name < "0011"])
        await db.close()

    asyncio.run(old())
    result = sansang("reports", "--json", db=path)
    assert result.returncode == 2
    assert "0011_flood_reports.sql" in result.stderr and "sansang db migrate" in result.stderr


def test_the_export_appends_flood_reports_and_points_per_area(history: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "october.csv"
    result = sansang("export", "--month", "2026-10", "--format", "csv", "--out", str(out),
                     db=history)
    assert result.returncode == 0, result.stderr
    text = out.read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header) == CSV_COLUMNS
    assert header[-4:-2] == ["flood_reports", "flooding_points"]  # issue 16 appends after
    assert header[:18] == [  # every earlier column in its place
        "area_id", "area_name", "subscribers_active", "households_active", "groups_active",
        "subscribers_new", "unsubscribed", "blocked", "broadcasts", "messages_sent",
        "messages_failed", "messages_blocked", "guide_views", "searches", "searches_answered",
        "schools_active", "markets_active", "offices_active"]
    rows = {r["area_id"]: r for r in csv.DictReader(io.StringIO(text))}
    counted = {k: (int(r["flood_reports"]), int(r["flooding_points"])) for k, r in rows.items()
               if r["flood_reports"] != "0" or r["flooding_points"] != "0"}
    # October only: the 1 November report is next month's. Outside the ward: the no-area row.
    assert counted == {"cat-dai": (2, 1), "ho-nam": (1, 1), "": (1, 1), "TOTAL": (4, 3)}
    assert_names_nobody(text)

    november = tmp_path / "november.csv"
    assert sansang("export", "--month", "2026-11", "--format", "csv", "--out", str(november),
                   db=history).returncode == 0
    rows = {r["area_id"]: r for r in csv.DictReader(
        io.StringIO(november.read_bytes().decode("utf-8-sig")))}
    assert (rows["cat-dai"]["flood_reports"], rows["cat-dai"]["flooding_points"]) == ("1", "1")
    assert (rows["TOTAL"]["flood_reports"], rows["TOTAL"]["flooding_points"]) == ("1", "1")

    book = tmp_path / "october.xlsx"
    assert sansang("export", "--month", "2026-10", "--format", "xlsx", "--out", str(book),
                   db=history).returncode == 0
    import openpyxl

    sheet = openpyxl.load_workbook(book)["Theo khu"]
    headers = [c.value for c in sheet[2]]
    assert headers[-4:-2] == ["Phản ánh ngập", "Điểm ngập"]  # issue 16 appends after
    by_area = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert by_area["cat-dai"][-4:-2] == (2, 1) and by_area["TOTAL"][-4:-2] == (4, 3)
    with zipfile.ZipFile(book) as z:
        assert_names_nobody(" ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()))
