"""Flood reports in the domain and the store, on a real SQLite file: placing, limits, points,
checking and resolving once, and /forget."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.floods import geo
from bot.floods.models import DEPTHS, NOTE_MAX
from bot.floods.places import Placer
from bot.floods.reports import FloodReports
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions

AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")
KM_PER_DEGREE = geo.KM_PER_DEGREE
CAT_DAI = next(a for a in AREAS.areas if a.id == "cat-dai")
START = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # 10:00 in Hải Phòng
HANOI = (21.0285, 105.8542)


def north(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat + metres / 1000 / KM_PER_DEGREE, lon


def east(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat, lon + metres / 1000 / (KM_PER_DEGREE * math.cos(math.radians(lat)))


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "floods.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def floods(db: Database, clock: Clock) -> FloodReports:
    return FloodReports(db, AREAS, clock=clock)


async def count(db: Database, sql: str, params: tuple[object, ...] = ()) -> int:
    row = await db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


def test_distances_are_haversine() -> None:
    # One degree of latitude is 111.2 km on the mean sphere; Lê Chân to Hà Nội about 85 km.
    assert geo.distance_km(20.0, 106.0, 21.0, 106.0) == pytest.approx(111.195, abs=0.01)
    assert geo.distance_km(CAT_DAI.lat, CAT_DAI.lon, *HANOI) == pytest.approx(88, abs=5)
    assert geo.distance_km(*north(20.85, 106.68, 100), 20.85, 106.68) == pytest.approx(0.1)
    assert geo.distance_km(*east(20.85, 106.68, 100), 20.85, 106.68) == pytest.approx(0.1)


def test_the_grid_finds_the_same_clusters_as_comparing_every_pair() -> None:
    """The grid is only a shortcut: on 600 random points (dense enough to chain) it links
    exactly the pairs a comparison of every pair links."""
    import random

    rng = random.Random(15)
    points = [(20.83 + rng.random() * 0.02, 106.66 + rng.random() * 0.02) for _ in range(600)]
    points += [(-33.86 + rng.random() / 1000, 151.21 + rng.random() / 1000) for _ in range(20)]
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if geo.distance_km(*points[i], *points[j]) <= 0.1:
                parent[root(j)] = root(i)
    expected: dict[int, list[int]] = {}
    for i in range(len(points)):
        expected.setdefault(root(i), []).append(i)
    found = geo.clusters(points)
    assert sorted(found) == sorted(expected.values())
    assert 1 < len(found) < len(points)  # some linked, some not: the test can tell


def test_every_sample_centre_is_in_le_chan_and_placed_in_its_own_area(
        floods: FloodReports) -> None:
    for area in AREAS.areas:
        assert area.lat is not None and area.lon is not None, area.id
        assert 20.83 <= area.lat <= 20.86 and 106.66 <= area.lon <= 106.70, area.id
        assert floods.place(area.lat, area.lon) == (area.id, False), area.id


def test_a_point_near_a_centre_goes_to_that_area_and_one_far_away_is_outside(
        floods: FloodReports) -> None:
    assert CAT_DAI.lat is not None and CAT_DAI.lon is not None
    assert floods.place(*east(CAT_DAI.lat, CAT_DAI.lon, 60)) == ("cat-dai", False)
    assert floods.place(*HANOI) == (None, True)
    assert floods.place(-33.86, 151.21) == (None, True)  # Sydney


def test_a_boundary_wins_over_a_nearer_centre(tmp_path: Path) -> None:
    """A point inside an area's polygon is that area's, even when another centre is nearer."""
    path = tmp_path / "areas.toml"
    path.write_text(
        'sample = true\n'
        '[[area]]\nid = "long"\nvi = "Khu Dài"\nen = "Long"\nlat = 20.8450\nlon = 106.6700\n'
        'polygon = [[20.8440, 106.6650], [20.8440, 106.6900], [20.8460, 106.6900], '
        '[20.8460, 106.6650]]\n'
        '[[area]]\nid = "near"\nvi = "Khu Gần"\nen = "Near"\nlat = 20.8475\nlon = 106.6890\n'
        '[[area]]\nid = "far"\nvi = "Khu Xa"\nen = "Far"\nlat = 20.8350\nlon = 106.6800\n',
        encoding="utf-8")
    areas = AreaCatalog.load(path)
    assert areas.problems == ()
    placer = Placer(areas)
    point = (20.8455, 106.6885)  # inside "long", 220 m from near's centre, 1.6 km from long's
    assert geo.distance_km(*point, 20.8475, 106.6890) < geo.distance_km(*point, 20.8450, 106.67)
    assert placer.place(*point) == ("long", False)
    assert placer.place(20.8470, 106.6890) == ("near", False)  # just outside the polygon
    assert placer.place(20.8360, 106.6805) == ("far", False)
    assert placer.place(*HANOI) == (None, True)


async def test_a_report_is_saved_whole_with_its_event(db: Database,
                                                      floods: FloodReports) -> None:
    assert CAT_DAI.lat is not None and CAT_DAI.lon is not None
    done = await floods.submit(5551234567, "en", CAT_DAI.lat, CAT_DAI.lon, "knee",
                               photo_file_id="AgACAgIAAxkBAAIB", note="  Nước ngập  ")
    assert done.refused is None and done.report is not None
    r = done.report
    assert (r.area_id, r.outside, r.depth, r.lang, r.status) == ("cat-dai", False, "knee", "en",
                                                                  "new")
    assert (r.note, r.photo_file_id, r.reporter_chat) == ("Nước ngập", "AgACAgIAAxkBAAIB",
                                                          5551234567)
    assert r.created_at == START
    assert await floods.get(r.id) == r
    event = await db.fetchone("SELECT kind, area_id, lang, chat_kind FROM events")
    assert event is not None and tuple(event) == ("flood_report", "cat-dai", "en", "private")
    outside = await floods.submit(5551234567, "vi", *HANOI, "ankle")
    assert outside.report is not None
    assert (outside.report.area_id, outside.report.outside) == (None, True)


@pytest.mark.parametrize(("lat", "lon", "depth", "note", "refused"), [
    (91.0, 106.68, "knee", None, "bad_point"),
    (-90.5, 106.68, "knee", None, "bad_point"),
    (20.85, 180.5, "knee", None, "bad_point"),
    (20.85, -181.0, "knee", None, "bad_point"),
    (math.nan, 106.68, "knee", None, "bad_point"),
    (20.85, math.inf, "knee", None, "bad_point"),
    (20.85, 106.68, "deep", None, "bad_depth"),
    (20.85, 106.68, "", None, "bad_depth"),
    (20.85, 106.68, "knee", "x" * (NOTE_MAX + 1), "bad_note"),
])
async def test_bad_input_is_refused_with_a_reason_and_writes_nothing(
        db: Database, floods: FloodReports, lat: float, lon: float, depth: str,
        note: str | None, refused: str) -> None:
    done = await floods.submit(5551234567, "vi", lat, lon, depth, note=note)
    assert (done.report, done.refused) == (None, refused)
    assert await count(db, "SELECT COUNT(*) FROM flood_reports") == 0
    assert await count(db, "SELECT COUNT(*) FROM events") == 0


async def test_a_note_is_counted_after_nfc_and_trimming(floods: FloodReports) -> None:
    decomposed = "a\u0323" * NOTE_MAX  # "ạ" as two code points: NFC makes it one
    done = await floods.submit(1, "vi", 20.85, 106.68, "ankle", note=f"  {decomposed}\n")
    assert done.report is not None and done.report.note == "ạ" * NOTE_MAX
    blank = await floods.submit(2, "vi", 20.85, 106.68, "ankle", note="   ")
    assert blank.report is not None and blank.report.note is None
    for depth in DEPTHS:
        i = DEPTHS.index(depth)
        assert (await floods.submit(3 + i, "vi", 20.85, 106.68 + i / 1000,
                                    depth)).report is not None


async def test_the_fourth_report_in_an_hour_is_refused(db: Database, floods: FloodReports,
                                                        clock: Clock) -> None:
    for i in range(FloodReports.MAX_PER_HOUR):
        clock.now = START + timedelta(minutes=10 * i)
        assert (await floods.submit(77, "vi", 20.85 + i / 1000, 106.68, "knee")).refused is None
    clock.now = START + timedelta(minutes=59)
    assert (await floods.submit(77, "vi", 20.84, 106.68, "knee")).refused == "rate"
    assert (await floods.submit(78, "vi", 20.84, 106.68, "knee")).refused is None  # another chat
    clock.now = START + timedelta(minutes=61)  # the first one is more than an hour old
    assert (await floods.submit(77, "vi", 20.84, 106.68, "knee")).refused is None
    assert await count(db, "SELECT COUNT(*) FROM flood_reports WHERE reporter_chat = 77") == 4
    assert await count(db, "SELECT COUNT(*) FROM events WHERE kind = 'flood_report'") == 5


async def test_reports_sent_at_once_are_each_counted_once(db: Database,
                                                          floods: FloodReports) -> None:
    """Two left under the limit, four sent at once: exactly one more gets in."""
    for i in range(FloodReports.MAX_PER_HOUR - 1):
        assert (await floods.submit(77, "vi", 20.85 + i / 1000, 106.68, "knee")).report
    sent = await asyncio.gather(*(floods.submit(77, "vi", 20.84, 106.68 + i / 1000, "waist")
                                  for i in range(4)))
    assert sorted(str(s.refused) for s in sent) == ["None", "rate", "rate", "rate"]
    assert await count(db, "SELECT COUNT(*) FROM flood_reports") == FloodReports.MAX_PER_HOUR
    assert await count(db, "SELECT COUNT(*) FROM events") == FloodReports.MAX_PER_HOUR


async def test_the_same_report_sent_twice_at_once_is_saved_once(db: Database,
                                                                floods: FloodReports) -> None:
    first, second = await asyncio.gather(
        floods.submit(77, "vi", 20.85, 106.68, "knee", "photo-1", "ngập"),
        floods.submit(77, "vi", 20.85, 106.68, "knee", "photo-1", "ngập"))
    assert first.report is not None and second.report is not None
    assert first.report.id == second.report.id
    assert await count(db, "SELECT COUNT(*) FROM flood_reports") == 1
    assert await count(db, "SELECT COUNT(*) FROM events") == 1
    # It used one of the hour's reports, not two.
    for i in range(FloodReports.MAX_PER_HOUR - 1):
        assert (await floods.submit(77, "vi", 20.84, 106.68 + i / 1000, "knee")).report


async def test_two_reports_50_m_apart_are_one_point_150_m_apart_two(
        floods: FloodReports, clock: Clock) -> None:
    assert CAT_DAI.lat is not None and CAT_DAI.lon is not None
    base = (CAT_DAI.lat, CAT_DAI.lon)
    a = await floods.submit(1, "vi", *base, "knee")
    clock.now = START + timedelta(minutes=30)
    b = await floods.submit(2, "vi", *east(*base, 50), "above")
    points = await floods.points()
    assert len(points) == 1
    p = points[0]
    assert a.report is not None and b.report is not None
    assert (p.reports, p.worst_depth, p.area_id) == (2, "above", "cat-dai")
    assert p.report_ids == (a.report.id, b.report.id)
    assert (p.first_seen, p.last_seen) == (START, START + timedelta(minutes=30))
    assert geo.distance_km(p.lat, p.lon, *east(*base, 25)) < 0.001  # their mean

    far = await floods.submit(3, "vi", *north(*base, 150), "ankle")
    points = await floods.points()
    assert far.report is not None
    assert [(q.reports, q.worst_depth) for q in points] == [(2, "above"), (1, "ankle")]
    assert points[1].report_ids == (far.report.id,)


async def test_points_link_through_a_chain_and_are_sorted_worst_first(
        floods: FloodReports, clock: Clock) -> None:
    base = (20.8450, 106.6800)
    chain = [base, east(*base, 80), east(*base, 160)]  # ends 160 m apart, linked by the middle
    for i, where in enumerate(chain):
        await floods.submit(10 + i, "vi", *where, "ankle")
    two_knee = north(*base, 500)
    await floods.submit(20, "vi", *two_knee, "knee")
    await floods.submit(21, "vi", *east(*two_knee, 30), "knee")
    await floods.submit(22, "vi", *north(*base, 1000), "knee")
    await floods.submit(23, "vi", *HANOI, "waist")
    points = await floods.points()
    assert [(p.worst_depth, p.reports) for p in points] == [
        ("waist", 1), ("knee", 2), ("knee", 1), ("ankle", 3)]
    assert points[0].area_id is None and points[0].outside
    assert not any(p.outside for p in points[1:])
    # A window: only the reports made in it.
    clock.now = START + timedelta(days=1)
    await floods.submit(30, "vi", *base, "above")
    assert [p.reports for p in await floods.points(since=START + timedelta(hours=1))] == [1]
    assert sum(p.reports for p in await floods.points(until=START + timedelta(hours=1))) == 7


async def test_checking_and_resolving_twice_at_once_change_it_once(
        db: Database, floods: FloodReports) -> None:
    done = await floods.submit(5551234567, "vi", 20.85, 106.68, "waist")
    assert done.report is not None
    rid = done.report.id
    checks = await asyncio.gather(floods.check(rid, 900002), floods.check(rid, 900003))
    assert sorted(changed for _r, changed in checks) == [False, True]
    assert all(r.status == "checked" for r, _ in checks)
    resolves = await asyncio.gather(floods.resolve(rid, 900002), floods.resolve(rid, 900003))
    assert sorted((changed, chat) for _r, chat, changed in resolves) == [
        (False, None), (True, 5551234567)]
    now = await floods.get(rid)
    assert now is not None
    assert (now.status, now.reporter_chat) == ("resolved", None)
    assert now.resolved_by in (900002, 900003) and now.resolved_at == START
    audit = await db.fetchall("SELECT actor, action, target FROM audit ORDER BY id")
    assert [(r["action"], r["target"]) for r in audit] == [
        ("flood_report.check", str(rid)), ("flood_report.resolve", str(rid))]
    assert audit[1]["actor"] == str(now.resolved_by)
    # Checking a resolved report changes nothing.
    assert (await floods.check(rid, 900002))[1] is False
    with pytest.raises(LookupError):
        await floods.resolve(rid + 100, 900002)
    with pytest.raises(LookupError):
        await floods.check(rid + 100, 900002)
    for forged in (0, -1, 2**63, 10**40):  # from forged buttons: never a database error
        assert await floods.get(forged) is None
        with pytest.raises(LookupError):
            await floods.check(forged, 900002)
        with pytest.raises(LookupError):
            await floods.resolve(forged, 900002)


async def test_resolving_a_new_report_tells_its_reporter(floods: FloodReports) -> None:
    done = await floods.submit(42, "vi", 20.85, 106.68, "knee")
    assert done.report is not None
    report, chat, changed = await floods.resolve(done.report.id, 900001)
    assert (report.status, chat, changed, report.reporter_chat) == ("resolved", 42, True, None)


async def test_staff_copies_are_remembered(floods: FloodReports) -> None:
    done = await floods.submit(42, "vi", 20.85, 106.68, "knee")
    assert done.report is not None
    await floods.add_message(done.report.id, 900002, 17)
    await floods.add_message(done.report.id, 900001, 5)
    await floods.add_message(done.report.id, 900002, 18)  # sent again: the latest counts
    assert await floods.messages(done.report.id) == [(900001, 5), (900002, 18)]


async def test_forget_unlinks_the_chat_and_keeps_the_counts(db: Database,
                                                            floods: FloodReports) -> None:
    subs = Subscriptions(db, AREAS)
    await subs.ensure(5551234567, "private")
    for i in range(2):
        await floods.submit(5551234567, "vi", 20.85 + i / 100, 106.68, "knee")
    other = await floods.submit(6660000001, "vi", 20.85, 106.69, "waist")
    assert await subs.forget(5551234567)
    assert await count(db, "SELECT COUNT(*) FROM flood_reports") == 3
    assert await count(
        db, "SELECT COUNT(*) FROM flood_reports WHERE reporter_chat = 5551234567") == 0
    assert other.report is not None
    kept = await floods.get(other.report.id)
    assert kept is not None and kept.reporter_chat == 6660000001
    assert await count(db, "SELECT COUNT(*) FROM events WHERE kind = 'flood_report'") == 3
    assert sum(p.reports for p in await floods.points()) == 3
    # A chat the bot no longer knows, but whose report still names it, is forgotten too.
    assert await subs.forget(6660000001)
    assert await count(db, "SELECT COUNT(*) FROM flood_reports WHERE reporter_chat IS NOT NULL"
                       ) == 0
    assert not await subs.forget(6660000001)  # nothing left to forget


async def test_in_period_lists_the_reports_made_in_it(floods: FloodReports,
                                                      clock: Clock) -> None:
    await floods.submit(1, "vi", 20.85, 106.68, "knee")
    clock.now = START + timedelta(hours=2)
    later = await floods.submit(1, "vi", 20.85, 106.69, "knee")
    found = await floods.in_period((START + timedelta(hours=1)).isoformat(),
                                   (START + timedelta(hours=3)).isoformat())
    assert later.report is not None and [r.id for r in found] == [later.report.id]
    # The bounds in any ISO 8601 spelling of UTC: "Z", no zone, or another offset.
    for start in ("2026-10-05T05:00:00Z", "2026-10-05T05:00:00", "2026-10-05T12:00:00+07:00"):
        assert [r.id for r in await floods.in_period(start, "2026-10-05T06:00:00Z")] == [
            later.report.id]


WARD_TOML = ('[ward]\nvi = "Phường Thử"\nen = "Test ward"\nlat = 20.8500\nlon = 106.6800\n'
             'radius_km = 1.0\n')
TWO_AREAS = ('[[area]]\nid = "a"\nvi = "Khu A"\nen = "A"\nlat = 20.8500\nlon = 106.6800\n'
             '[[area]]\nid = "b"\nvi = "Khu B"\nen = "B"\nlat = 20.8550\nlon = 106.6800\n')


def test_the_ward_circle_and_its_margin_decide_outside(tmp_path: Path) -> None:
    path = tmp_path / "areas.toml"
    path.write_text(WARD_TOML + TWO_AREAS, encoding="utf-8")
    placer = Placer(AreaCatalog.load(path))
    # radius 1 km + 1 km margin: 1.8 km south is still area a's, 2.2 km south is outside
    assert placer.place(*north(20.85, 106.68, -1800)) == ("a", False)
    assert placer.place(*north(20.85, 106.68, -2200)) == (None, True)
    assert placer.place(*north(20.85, 106.68, 2300)) == (None, True)  # 1.75 km past b
    # The ward's own polygon, where it has one, counts as inside even past the circle.
    outline = ('polygon = [[20.80, 106.67], [20.80, 106.69], [20.86, 106.69], '
               '[20.86, 106.67]]\n')
    path.write_text(WARD_TOML + outline + TWO_AREAS, encoding="utf-8")
    placer = Placer(AreaCatalog.load(path))
    assert placer.place(*north(20.85, 106.68, -4000)) == ("a", False)
    assert placer.place(*north(20.85, 106.68, -6000)) == (None, True)
    # Without [ward]: the circle around the centres (here 278 m from their middle) plus 1 km.
    path.write_text(TWO_AREAS, encoding="utf-8")
    placer = Placer(AreaCatalog.load(path))
    assert placer.place(*north(20.8525, 106.68, 1200)) == ("b", False)
    assert placer.place(*north(20.8525, 106.68, 1400)) == (None, True)


def test_content_check_names_wrong_coordinates_at_their_area(tmp_path: Path) -> None:
    from bot.guides.content_check import area_coordinates

    path = tmp_path / "areas.toml"
    path.write_text(
        WARD_TOML
        + '[[area]]\nid = "lat-too-big"\nvi = "Khu 1"\nen = "1"\nlat = 120.85\nlon = 106.68\n'
        + '[[area]]\nid = "lon-missing"\nvi = "Khu 2"\nen = "2"\nlat = 20.85\n'
        + '[[area]]\nid = "two-corners"\nvi = "Khu 3"\nen = "3"\nlat = 20.85\nlon = 106.68\n'
        + 'polygon = [[20.85, 106.68], [20.86, 106.69]]\n'
        + '[[area]]\nid = "swapped"\nvi = "Khu 4"\nen = "4"\nlat = 106.68\nlon = 20.85\n'
        + '[[area]]\nid = "far"\nvi = "Khu 5"\nen = "5"\nlat = 21.0285\nlon = 105.8542\n'
        + '[[area]]\nid = "centre-out"\nvi = "Khu 6"\nen = "6"\nlat = 20.8450\nlon = 106.6800\n'
        + 'polygon = [[20.8500, 106.6800], [20.8510, 106.6800], [20.8510, 106.6810]]\n'
        + '[[area]]\nid = "fine"\nvi = "Khu 7"\nen = "7"\nlat = 20.8505\nlon = 106.6805\n'
        + 'polygon = [[20.8500, 106.6800], [20.8510, 106.6800], [20.8510, 106.6810], '
        + '[20.8500, 106.6810]]\n',
        encoding="utf-8")
    areas = AreaCatalog.load(path)  # the bot still starts: every area loads
    assert [a.id for a in areas.areas][-1] == "fine" and len(areas.areas) == 7
    assert areas.get("lat-too-big") is not None and areas.get("lat-too-big").lat is None
    lines = path.read_text(encoding="utf-8").splitlines()
    found = {}
    for problem in area_coordinates(path):
        area_id = lines[problem.line - 1].split('"')[1]
        found.setdefault(area_id, []).append(problem.message)
    assert sorted(found) == ["centre-out", "far", "lat-too-big", "lon-missing", "swapped",
                             "two-corners"]
    assert "from -90 to 90" in found["lat-too-big"][0]
    assert "at least 3" in found["two-corners"][0]
    assert "not inside its polygon" in found["centre-out"][0]
    assert "km from the ward" in found["far"][0]
    # The shipped sample has none.
    assert area_coordinates(data_dir("content") / "areas.toml") == []
