"""The draft báo cáo's flood reports and weather advisories (section II.4–5 and the comparison in
III), from reports and advisories made through the real services on a real SQLite file, read
back with python-docx: the figures and the busiest areas are there, nobody's id, phone, note or
place is."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.floods.reports import FloodReports
from bot.store import Database
from tests.auxil.weather import AREAS, SETTINGS, TZ, World, day_values, world_fixture  # noqa: F401
from tests.test_export import export
from tests.test_export_docx import read_docx, table_with
from tests.test_flood_reports import east, north
from tests.test_weather_advisories import drafted

STAFF = 900002
PHONE = "0912 345 678"
NOTE = f"Ngõ nhà bà Tư ngập, gọi {PHONE}"
HANOI = (21.0285, 105.8542)  # far outside the ward: counted, but in no area


def at(day: datetime, hour: int) -> datetime:
    """`hour` o'clock of the ward's local day `day`, in UTC."""
    return datetime.combine(day.date(), time(hour), TZ).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def report(floods: FloodReports, clock: Clock, when: datetime, chat: int,
                 point: tuple[float, float], depth: str = "knee") -> int:
    clock.now = when
    done = await floods.submit(chat, "vi", *point, depth, note=NOTE)
    assert done.refused is None and done.report is not None
    return done.report.id


def text_of(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                        if n.endswith(".xml"))


async def test_the_report_counts_flood_reports_points_and_approved_advisories(
        world: World, tmp_path: Path) -> None:
    db: Database = world.db
    now = datetime.now(TZ)
    today, yesterday = now, now - timedelta(days=1)
    clock = Clock(at(today, 1))
    floods = FloodReports(db, AREAS, clock=clock)
    a, b, c = AREAS.areas[0], AREAS.areas[1], AREAS.areas[2]
    centre = {x.id: (x.lat, x.lon) for x in (a, b, c)}
    # Today: 3 in the first area (50 m north and 40 m east of its centre: one point), 2 at the
    # second's centre (one point), 1 in the third, 1 in Hà Nội (outside the ward: a point of
    # its own, in no area).
    chats = iter(range(781230001, 781230100))
    made = {}
    made["a1"] = await report(floods, clock, at(today, 1), next(chats), centre[a.id], "waist")
    made["a2"] = await report(floods, clock, at(today, 1), next(chats),
                              north(*centre[a.id], 50))
    made["a3"] = await report(floods, clock, at(today, 2), next(chats), east(*centre[a.id], 40))
    made["b1"] = await report(floods, clock, at(today, 2), next(chats), centre[b.id])
    made["b2"] = await report(floods, clock, at(today, 3), next(chats), centre[b.id], "ankle")
    made["c1"] = await report(floods, clock, at(today, 3), next(chats), centre[c.id])
    made["far"] = await report(floods, clock, at(today, 4), next(chats), HANOI)
    for key, area in (("a1", a), ("a2", a), ("a3", a), ("b1", b), ("b2", b), ("c1", c)):
        found = await floods.get(made[key])
        assert found is not None and found.area_id == area.id, key  # the test's own premise
    # Resolved today: every report of the first area's point, one of the second's.
    clock.now = at(today, 5)
    for key in ("a1", "a2", "a3", "b1"):
        assert (await floods.resolve(made[key], STAFF))[2]
    # Yesterday: one report in the third area, resolved only today: yesterday's report counts it
    # unresolved at its end, today's does not count it (it was not sent today).
    old = await report(floods, clock, at(yesterday, 9), next(chats), centre[c.id])
    clock.now = at(today, 6)
    assert (await floods.resolve(old, STAFF))[2]

    # Advisories: two approved today, one discarded and one left a draft: not counted. They are
    # decided on the test's clock, so a run across local midnight counts them on the same day.
    world.advisories.clock = clock
    clock.now = at(today, 7)
    rain, heat = day_values("rain", 2), day_values("heat", 1)
    for advisory in await drafted(world, {**rain, **heat}):
        assert (await world.advisories.approve(advisory.id, STAFF)).changed
    (cold,) = await drafted(world, day_values("cold", 1))
    assert (await world.advisories.discard(cold.id, STAFF)).changed
    await drafted(world, day_values("wind", 1))
    rain_name = SETTINGS.hazards["rain"].category(2).name_vi
    heat_name = SETTINGS.hazards["heat"].category(1).name_vi

    out = tmp_path / "r.docx"
    day = today.date().isoformat()
    result = export(db.path, out, "--from", day, "--to", day, fmt="docx")
    assert result.returncode == 0, result.stderr
    paragraphs, tables = read_docx(out)
    text = "\n".join(paragraphs)
    assert "4. Phản ánh ngập úng của người dân" in paragraphs
    assert "5. Cảnh báo thời tiết nguy hiểm" in paragraphs
    end = today.strftime("%d/%m/%Y")
    assert ("Trong kỳ, người dân đã gửi 7 phản ánh ngập úng qua hệ thống, tập hợp thành 4 điểm "
            "ngập (các phản ánh cách nhau không quá 100 m được tính là một điểm), trong đó 1 phản "
            "ánh ở ngoài địa bàn phường. Tính đến hết "
            f"ngày {end}, đã xử lý xong 4 phản ánh (1 điểm ngập), còn 3 phản ánh chưa xử lý "
            "xong.") in text
    assert (f"Nhiều phản ánh nhất là các khu dân cư: {a.name_vi} (3 phản ánh, 1 điểm ngập); "
            f"{b.name_vi} (2 phản ánh, 1 điểm ngập); {c.name_vi} (1 phản ánh, 1 điểm ngập)."
            ) in text
    floods_table = table_with(tables, "Phản ánh ngập úng")
    assert floods_table == {"Phản ánh đã nhận": ["7"], "Điểm ngập": ["4"],
                            "Phản ánh đã xử lý xong": ["4"], "Phản ánh chưa xử lý xong": ["3"],
                            "Điểm ngập đã xử lý xong": ["1"]}
    kinds = sorted([f"1 cảnh báo {rain_name}", f"1 cảnh báo {heat_name}"])
    assert any(p.startswith("Trong kỳ, cán bộ phường đã phê duyệt và phát 2 bản tin cảnh báo "
                            "thời tiết nguy hiểm tới người dân")
               and all(k in p for k in kinds) for p in paragraphs), text
    # III: compared with yesterday (one report, one point, nothing resolved, no advisory).
    compared = table_with(tables, "Chỉ tiêu")
    assert compared["Phản ánh ngập úng của người dân"] == ["7", "1", "tăng 6 (từ 1 lên 7)"]
    assert compared["Điểm ngập"] == ["4", "1", "tăng 3 (từ 1 lên 4)"]
    assert compared["Phản ánh ngập đã xử lý xong (cuối kỳ)"] == ["4", "0", "tăng 4 (từ 0 lên 4)"]
    assert compared["Cảnh báo thời tiết nguy hiểm đã phát"] == ["2", "0", "tăng 2 (từ 0 lên 2)"]
    assert "- Phản ánh ngập úng của người dân: tăng 6 (từ 1 lên 7)." in text

    # Aggregates only: no chat id, staff id, phone, note or coordinate anywhere in the file.
    everything = text_of(out)
    rows = await db.fetchall("SELECT lat, lon FROM flood_reports")
    assert "781230" not in everything and str(STAFF) not in everything
    assert PHONE not in everything and PHONE.replace(" ", "") not in everything
    assert "bà Tư" not in everything
    for r in rows:
        for value in (r["lat"], r["lon"]):
            for shown in (f"{value:.3f}", f"{value:.3f}".replace(".", ",")):
                assert shown not in everything, shown

    # Tomorrow: nothing happened; the report says so in one sentence each, with no table.
    later = tmp_path / "later.docx"
    tomorrow = (today + timedelta(days=1)).date().isoformat()
    result = export(db.path, later, "--from", tomorrow, "--to", tomorrow, fmt="docx")
    assert result.returncode == 0, result.stderr
    paragraphs, tables = read_docx(later)
    assert ("Trong kỳ, không có phản ánh ngập úng nào của người dân gửi qua hệ thống."
            in paragraphs)
    assert ("Trong kỳ, không có cảnh báo thời tiết nguy hiểm nào được phê duyệt và phát tới "
            "người dân.") in paragraphs
    assert not any(t[0][0] == "Phản ánh ngập úng" for t in tables)
    compared = table_with(tables, "Chỉ tiêu")
    assert compared["Phản ánh ngập úng của người dân"] == ["0", "7", "giảm 7 (từ 7 xuống 0)"]
    assert compared["Cảnh báo thời tiết nguy hiểm đã phát"] == ["0", "2", "giảm 2 (từ 2 xuống 0)"]


async def test_a_ward_with_no_reports_and_no_advisories_says_so(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "empty.sqlite3", tz=TZ)
    await db.close()
    out = tmp_path / "r.docx"
    result = export(db.path, out, "--month", "2026-11", fmt="docx")
    assert result.returncode == 0, result.stderr
    paragraphs, tables = read_docx(out)
    i = paragraphs.index("4. Phản ánh ngập úng của người dân")
    assert paragraphs[i:i + 4] == [
        "4. Phản ánh ngập úng của người dân",
        "Trong kỳ, không có phản ánh ngập úng nào của người dân gửi qua hệ thống.",
        "5. Cảnh báo thời tiết nguy hiểm",
        "Trong kỳ, không có cảnh báo thời tiết nguy hiểm nào được phê duyệt và phát tới "
        "người dân."]
    assert not any(t[0][0] == "Phản ánh ngập úng" for t in tables)
    compared = table_with(tables, "Chỉ tiêu")
    assert compared["Điểm ngập"] == ["0", "0", "không đổi (0)"]
