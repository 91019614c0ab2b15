"""`sansang export --format geojson`: the period's flood reports and flooding points, read back by
GDAL (pyogrio, and `ogrinfo` where it is installed) as GIS tools will read them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.floods.reports import FloodReports
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog

REPO = Path(__file__).resolve().parents[1]
AREAS = AreaCatalog.load(REPO / "content" / "areas.toml")
STAFF = 900002
PHOTO = "AgACAgUAAxkBAAIBZ2ZfloodPhotoFileId0123456789"
NOTE = "Nước vào nhà số 7 ngõ 12, nhà chị Lan"
LAM_SON = AREAS.get("lam-son")
assert LAM_SON is not None and LAM_SON.lat is not None and LAM_SON.lon is not None
# ~50 m east of Lam Sơn's centre: the same flooding point
NEAR = (LAM_SON.lat, LAM_SON.lon + 0.00048)
HANOI = (21.0285, 105.8542)  # far outside the ward: accepted, marked outside

# (chat, local time in November 2026 unless said, lat, lon, depth)
REPORTS = [
    (111111111, datetime(2026, 11, 2, 7, 5, tzinfo=UTC), LAM_SON.lat, LAM_SON.lon, "knee"),
    (222222222, datetime(2026, 11, 2, 8, 40, tzinfo=UTC), *NEAR, "waist"),
    (333333333, datetime(2026, 11, 10, 22, 0, tzinfo=UTC), 20.8402, 106.6851, "ankle"),
    (444444444, datetime(2026, 11, 12, 1, 0, tzinfo=UTC), *HANOI, "above"),
    (555555555, datetime(2026, 10, 30, 3, 0, tzinfo=UTC), 20.8460, 106.6760, "above"),  # Oct.
    (666666666, datetime(2026, 11, 30, 17, 30, tzinfo=UTC), 20.8460, 106.6760, "knee"),  # 1 Dec.
]
IN_NOVEMBER = REPORTS[:4]


async def seed(path: Path) -> list[int]:
    """The reports above, through the real service, into a real database file; the first is
    checked by staff, the second resolved."""
    db = await Database.open(path)
    try:
        ids = []
        for chat, at, lat, lon, depth in REPORTS:
            service = FloodReports(db, AREAS, clock=lambda at=at: at)
            done = await service.submit(chat, "vi", lat, lon, depth, photo_file_id=PHOTO,
                                        note=NOTE)
            assert done.report is not None, done.refused
            ids.append(done.report.id)
        await service.check(ids[0], STAFF)
        await service.resolve(ids[1], STAFF)
        return ids
    finally:
        await db.close()


def sansang(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          timeout=60, env=env | {"SANSANG_DB": str(db)}, check=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sansang.sqlite3"
    asyncio.run(seed(path))
    return path


@pytest.fixture
def exported(db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out" / "ngap-2026-11.geojson"
    done = sansang(db, "export", "--month", "2026-11", "--format", "geojson", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    return out


def points_of(wkb: list[bytes]) -> list[tuple[float, float]]:
    """(x, y) of WKB points (little or big endian, 2D)."""
    found = []
    for blob in wkb:
        order = "<" if blob[0] == 1 else ">"
        (kind,) = struct.unpack(order + "I", blob[1:5])
        assert kind == 1, f"not a 2D Point: WKB type {kind}"
        found.append(struct.unpack(order + "dd", blob[5:21]))
    return found


def test_gdal_reads_a_layer_of_points_in_wgs84_lon_lat(exported: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio", reason="pyogrio is a dev dependency: make test")
    from pyogrio import raw

    info = pyogrio.read_info(exported)
    assert info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == len(IN_NOVEMBER) + 3  # 4 reports, 3 points (two 50 m apart)
    fields = set(info["fields"])
    assert {"kind", "depth", "time", "area_id", "outside", "status", "reports", "worst_depth",
            "first_seen", "last_seen"} <= fields
    assert not fields & {"note", "photo_file_id", "reporter_chat", "checked_by", "resolved_by",
                         "chat_id", "user_id"}

    meta, _fids, geometry, values = raw.read(exported)
    rows = [dict(zip(meta["fields"], row, strict=True)) for row in zip(*values, strict=True)]
    xy = points_of(list(geometry))
    reports = [(r, p) for r, p in zip(rows, xy, strict=True) if r["kind"] == "report"]
    # x is the longitude, y the latitude (RFC 7946 order), to the metre
    assert [(round(x, 5), round(y, 5)) for _r, (x, y) in reports] == [
        (round(lon, 5), round(lat, 5)) for _c, _t, lat, lon, _d in IN_NOVEMBER]
    assert [r["depth"] for r, _p in reports] == [d for *_x, d in IN_NOVEMBER]
    assert [r["status"] for r, _p in reports] == ["checked", "resolved", "new", "new"]
    assert [r["area_id"] for r, _p in reports][:2] == ["lam-son", "lam-son"]
    assert [bool(r["outside"]) for r, _p in reports] == [False, False, False, True]

    points = [(r, p) for r, p in zip(rows, xy, strict=True) if r["kind"] == "point"]
    worst = points[0][0]  # worst first: above the waist (outside), then the two-report point
    assert (worst["worst_depth"], worst["reports"]) == ("above", 1)
    shared = next(r for r, _p in points if r["reports"] == 2)
    assert (shared["worst_depth"], shared["area_id"]) == ("waist", "lam-son")
    assert sum(r["reports"] for r, _p in points) == len(IN_NOVEMBER)


def test_the_file_is_rfc7946_and_keeps_no_telegram_id(exported: Path) -> None:
    data = exported.read_bytes()
    for secret in [str(c) for c, *_rest in REPORTS] + [str(STAFF), PHOTO, NOTE, "ngõ 12"]:
        assert secret.encode("utf-8") not in data, secret
    collection = json.loads(data)
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946: always WGS 84
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds == ["report"] * 4 + ["point"] * 3
    first = collection["features"][0]
    assert first["geometry"] == {"type": "Point",
                                 "coordinates": [round(LAM_SON.lon, 6), round(LAM_SON.lat, 6)]}
    assert first["properties"] == {
        "kind": "report", "depth": "knee", "time": "2026-11-02T14:05:00+07:00",
        "area_id": "lam-son", "outside": False, "status": "checked"}
    shared = next(f for f in collection["features"] if f["properties"].get("reports") == 2)
    assert shared["properties"] == {
        "kind": "point", "reports": 2, "worst_depth": "waist",
        "first_seen": "2026-11-02T14:05:00+07:00", "last_seen": "2026-11-02T15:40:00+07:00",
        "area_id": "lam-son", "outside": False}
    # The period is counted in local days: 1 December 00:30 (UTC 30 November) is not in it.
    times = [f["properties"]["time"] for f in collection["features"]
             if f["properties"]["kind"] == "report"]
    assert all(t.startswith("2026-11-") for t in times), times


def test_ogrinfo_reads_it(exported: Path) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("ogrinfo is not installed (Debian/Ubuntu: apt-get install gdal-bin)")
    done = subprocess.run([ogrinfo, "-ro", "-al", "-so", str(exported)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Geometry: Point" in done.stdout
    assert "Feature Count: 7" in done.stdout
    assert 'ID["EPSG",4326]' in done.stdout or "WGS 84" in done.stdout


def test_a_period_without_reports_is_an_empty_collection(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "ngap.geojson"
    done = sansang(db, "export", "--year", "2025", "--format", "geojson", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_bytes()) == {"type": "FeatureCollection", "features": []}


def test_an_out_that_cannot_be_written_leaves_nothing(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ngap.geojson"
    folder.mkdir()
    done = sansang(db, "export", "--month", "2026-11", "--format", "geojson", "--out",
                   str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot write --out {folder}" in done.stderr
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob("*.part"))
