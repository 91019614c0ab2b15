"""The CAP feed: approved advisories as OASIS CAP 1.2 alerts that validate against the official
schema, an Atom index listing them, and `sansang cap --out DIR` as an operator runs it.

Advisories are made the real way: an Event drafted and approved through the Advisories service
on a real SQLite file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import xmlschema

from bot.broadcasts.broadcasts import Broadcasts
from bot.errors import ContentError
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.weather import cap
from bot.weather.advisories import Advisories
from bot.weather.models import Advisory, Event
from bot.weather.thresholds import WeatherSettings

CONTENT = data_dir("content")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = AreaCatalog.load(CONTENT / "areas.toml")
WARD = CATALOG.require_ward()
SETTINGS = WeatherSettings.load(CONTENT / "weather.toml")
SCHEMA = xmlschema.XMLSchema(cap.SCHEMA)
NS = {"cap": cap.CAP_NS, "atom": cap.ATOM_NS}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")  # CAP: offset, no fractions
STAFF = 4242


def event(hazard: str, level: int, first: date, days: int = 1, value: float = 120.0) -> Event:
    run = tuple((first + timedelta(days=i), level) for i in range(days))
    category = SETTINGS.hazards[hazard].category(level)
    return Event(hazard=hazard, level=level, name_vi=category.name_vi, name_en=category.name_en,
                 first_day=first, last_day=run[-1][0], peak_day=first, value=value,
                 beaufort=7 if hazard == "wind" else None,
                 gust_beaufort=8 if hazard == "wind" else None, days=run,
                 guides=SETTINGS.hazards[hazard].guides)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "cap.sqlite3", tz=ZONE)
    yield database
    await database.close()


def advisories(db: Database) -> Advisories:
    return Advisories(db, Broadcasts(db, CATALOG), SETTINGS, WARD)


async def approved_pair(db: Database) -> list[Advisory]:
    """Two approved advisories: heavy rain on every area, strong wind on two chosen areas."""
    service = advisories(db)
    today = datetime.now(ZONE).date()
    rain, wind = await service.draft_from([event("rain", 2, today, days=2),
                                           event("wind", 1, today + timedelta(days=1))])
    areas = tuple(a.id for a in CATALOG.areas[:2])
    assert (await service.set_areas(wind.id, STAFF, areas)).changed
    for a in (rain, wind):
        assert (await service.approve(a.id, STAFF)).changed
    return await service.approved()


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output


def valid(data: bytes) -> bool:
    return SCHEMA.is_valid(data.decode("utf-8"))


async def test_every_approved_advisory_is_a_valid_cap_alert_in_both_languages(
        db: Database) -> None:
    rain, wind = await approved_pair(db)
    for advisory in (rain, wind):
        data = cap.alert(advisory, WARD, SETTINGS, tz=ZONE, catalog=CATALOG)
        SCHEMA.validate(data.decode("utf-8"))  # raises, naming the element, when invalid
        root = parse(data)
        assert root.tag == f"{{{cap.CAP_NS}}}alert"
        assert root.findtext("cap:sender", namespaces=NS) == SETTINGS.cap.sender
        assert root.findtext("cap:identifier", namespaces=NS) == cap.identifier(advisory,
                                                                                SETTINGS)
        assert STAMP.fullmatch(root.findtext("cap:sent", namespaces=NS) or "")
        assert [root.findtext(f"cap:{k}", namespaces=NS) for k in
                ("status", "msgType", "scope")] == ["Actual", "Alert", "Public"]
        infos = root.findall("cap:info", NS)
        assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["vi-VN", "en-US"]
        level = SETTINGS.cap.level(advisory.hazard, advisory.level)
        for info, text in zip(infos, (advisory.text_vi, advisory.text_en), strict=True):
            assert info.findtext("cap:category", namespaces=NS) == "Met"
            assert info.findtext("cap:description", namespaces=NS) == text
            assert info.findtext("cap:urgency", namespaces=NS) == level.urgency
            assert info.findtext("cap:severity", namespaces=NS) == level.severity
            assert info.findtext("cap:responseType", namespaces=NS) == (
                "Monitor" if level.severity == "Minor" else "Prepare")
            assert info.findtext("cap:certainty", namespaces=NS) == level.certainty
            onset = datetime.fromisoformat(info.findtext("cap:onset", namespaces=NS) or "")
            expires = datetime.fromisoformat(info.findtext("cap:expires", namespaces=NS) or "")
            assert onset == datetime.combine(advisory.first_day, datetime.min.time(), ZONE)
            assert expires == datetime.combine(advisory.last_day + timedelta(days=1),
                                               datetime.min.time(), ZONE)
            (area,) = info.findall("cap:area", NS)
            assert area.findtext("cap:circle", namespaces=NS) == (
                f"{WARD.lat:g},{WARD.lon:g} {WARD.radius_km:g}")
            assert area.find("cap:polygon", NS) is None
    vi_event, en_event = (i.findtext("cap:event", namespaces=NS)
                          for i in parse(cap.alert(rain, WARD, SETTINGS)).findall("cap:info", NS))
    name = SETTINGS.hazards["rain"].category(2)
    assert (vi_event, en_event) == (name.name_vi[0].upper() + name.name_vi[1:],
                                    name.name_en[0].upper() + name.name_en[1:])
    descs = [a.findtext("cap:areaDesc", namespaces=NS) for a in
             parse(cap.alert(wind, WARD, SETTINGS, catalog=CATALOG)).iter(f"{{{cap.CAP_NS}}}area")]
    assert descs == [f"{CATALOG.areas[0].name_vi}, {CATALOG.areas[1].name_vi} ({WARD.name_vi})",
                     f"{CATALOG.areas[0].name_en}, {CATALOG.areas[1].name_en} ({WARD.name_en})"]
    rain_descs = [a.findtext("cap:areaDesc", namespaces=NS) for a in
                  parse(cap.alert(rain, WARD, SETTINGS)).iter(f"{{{cap.CAP_NS}}}area")]
    assert rain_descs == [WARD.name_vi, WARD.name_en]


async def test_a_ward_with_a_boundary_gets_a_closed_polygon_instead_of_the_circle(
        db: Database) -> None:
    rain, _ = await approved_pair(db)
    ward = dataclasses.replace(WARD, polygon=((20.86, 106.67), (20.86, 106.69),
                                              (20.84, 106.69), (20.84, 106.67)))
    data = cap.alert(rain, ward, SETTINGS)
    assert valid(data)
    for area in parse(data).iter(f"{{{cap.CAP_NS}}}area"):
        assert area.find("cap:circle", NS) is None
        pairs = (area.findtext("cap:polygon", namespaces=NS) or "").split(" ")
        assert pairs == ["20.86,106.67", "20.86,106.69", "20.84,106.69", "20.84,106.67",
                         "20.86,106.67"]


async def test_a_broken_alert_fails_the_schema(db: Database) -> None:
    """The validation above can fail: the same alert without its sender, or with an urgency
    CAP does not know, or with fractional seconds, is refused."""
    rain, _ = await approved_pair(db)
    good = cap.alert(rain, WARD, SETTINGS).decode("utf-8")
    assert SCHEMA.is_valid(good)
    no_sender = re.sub(r"\s*<sender>[^<]*</sender>", "", good)
    assert no_sender != good and not SCHEMA.is_valid(no_sender)
    bad_urgency = re.sub(r"<urgency>[^<]*</urgency>", "<urgency>Soon</urgency>", good)
    assert bad_urgency != good and not SCHEMA.is_valid(bad_urgency)
    fraction = re.sub(r"(<sent>[^<+]*)(\+07:00)", r"\1.5\2", good)
    assert fraction != good and not SCHEMA.is_valid(fraction)


async def test_the_feed_holds_only_approved_advisories_and_reruns_change_nothing(
        db: Database, tmp_path: Path) -> None:
    service = advisories(db)
    today = datetime.now(ZONE).date()
    kept, dropped, pending = await service.draft_from(
        [event("rain", 1, today), event("heat", 1, today, value=36.0),
         event("cold", 1, today + timedelta(days=1), value=14.0)])
    assert (await service.approve(kept.id, STAFF)).changed
    assert (await service.discard(dropped.id, STAFF)).changed
    out = tmp_path / "feed"
    written = cap.write_feed(await service.approved(), WARD, SETTINGS, out, catalog=CATALOG)
    ident = cap.identifier((await service.get(kept.id)), SETTINGS)  # type: ignore[arg-type]
    assert [p.name for p in written] == [f"{ident}.xml", "index.atom"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    entries = parse((out / "index.atom").read_bytes()).findall("atom:entry", NS)
    assert len(entries) == 1
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    # The drafts passed in by mistake are still never written.
    everything = [a for a in [await service.get(i) for i in (kept.id, dropped.id, pending.id)]
                  if a is not None]
    again = cap.write_feed(everything, WARD, SETTINGS, out, catalog=CATALOG)
    assert again == written
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before


async def test_an_update_references_the_published_advisory_it_supersedes(
        db: Database) -> None:
    """The service supersedes only undecided drafts, so a worse event after an approval is a
    new Alert; a superseded draft was never published and is never referenced. Should an
    approved advisory ever be superseded, its successor is an Update naming it."""
    service = advisories(db)
    today = datetime.now(ZONE).date()
    (mild,) = await service.draft_from([event("rain", 1, today)])
    (worse,) = await service.draft_from([event("rain", 2, today)])
    assert worse.supersedes == mild.id
    assert (await service.approve(worse.id, STAFF)).changed
    (worse,) = await service.approved()
    mild_now = await service.get(mild.id)
    assert mild_now is not None and mild_now.status == "superseded"
    root = parse(cap.alert(worse, WARD, SETTINGS, tz=ZONE, earlier=mild_now))
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.find("cap:references", NS) is None

    (later,) = await service.draft_from([event("rain", 2, today + timedelta(days=1))])
    assert (await service.approve(later.id, STAFF)).changed
    later = next(a for a in await service.approved() if a.id == later.id)
    linked = dataclasses.replace(later, supersedes=worse.id)
    data = cap.alert(linked, WARD, SETTINGS, tz=ZONE, earlier=worse)
    assert valid(data)
    root = parse(data)
    assert root.findtext("cap:msgType", namespaces=NS) == "Update"
    assert root.findtext("cap:references", namespaces=NS) == ",".join(
        (SETTINGS.cap.sender, cap.identifier(worse, SETTINGS), cap.sent(worse, ZONE)))


async def test_identifiers_are_unique_and_safe_for_cap_and_file_names(db: Database) -> None:
    found = await approved_pair(db)
    idents = {cap.identifier(a, SETTINGS) for a in found}
    assert len(idents) == len(found)
    for ident in idents:
        assert re.fullmatch(r"[A-Za-z0-9@._-]+", ident)


# --- the command line, as an operator's script runs it --------------------------------------

def sansang(*args: str, db_path: Path, content: Path = CONTENT
            ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
        env={**base, "SANSANG_DB": str(db_path), "SANSANG_CONTENT": str(content)},
        cwd=db_path.parent, check=False,
    )


def files_digest(db_path: Path) -> str:
    """The database file and its write-ahead log, as bytes."""
    digest = hashlib.sha256()
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


async def test_cli_writes_valid_alerts_and_an_atom_index_listing_each(
        db: Database, tmp_path: Path) -> None:
    found = await approved_pair(db)  # the database stays open, as under a running bot
    digest = files_digest(db.path)
    out = tmp_path / "new" / "feed"
    result = sansang("cap", "--out", str(out), db_path=db.path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"wrote 2 CAP alerts and index.atom to {out}"]
    assert files_digest(db.path) == digest  # opened read-only: nothing written
    feed = parse((out / "index.atom").read_bytes())
    assert feed.tag == f"{{{cap.ATOM_NS}}}feed"
    for tag in ("id", "title", "updated"):
        assert feed.findtext(f"atom:{tag}", namespaces=NS)
    links = [e.find("atom:link", NS) for e in feed.findall("atom:entry", NS)]
    assert all(link is not None and link.get("type") == "application/cap+xml" for link in links)
    files = sorted(link.get("href", "") for link in links if link is not None)
    assert files == sorted(f"{cap.identifier(a, SETTINGS)}.xml" for a in found)
    assert sorted(p.name for p in out.iterdir()) == sorted([*files, "index.atom"])
    for name in files:
        assert valid((out / name).read_bytes()), name


async def test_cli_with_no_approved_advisory_writes_an_empty_index(
        db: Database, tmp_path: Path) -> None:
    service = advisories(db)
    (draft,) = await service.draft_from([event("rain", 1, datetime.now(ZONE).date())])
    assert draft.status == "draft"
    out = tmp_path / "feed"
    result = sansang("cap", "--out", str(out), db_path=db.path)
    assert result.returncode == 0, result.stderr
    assert "no approved advisory" in result.stdout
    assert [p.name for p in out.iterdir()] == ["index.atom"]
    feed = parse((out / "index.atom").read_bytes())
    assert feed.findall("atom:entry", NS) == [] and feed.findtext("atom:id", namespaces=NS)


async def test_cli_exit_codes_for_bad_usage_and_an_unwritable_folder(
        db: Database, tmp_path: Path) -> None:
    await approved_pair(db)
    missing = sansang("cap", db_path=db.path)
    assert missing.returncode == 2 and "--out" in missing.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = sansang("cap", "--out", str(blocker / "feed"), db_path=db.path)
    assert result.returncode == 1
    assert "cannot write the CAP feed" in result.stderr and result.stdout == ""


async def test_a_sender_cap_cannot_carry_is_refused_by_name(db: Database) -> None:
    rain, _ = await approved_pair(db)
    for bad in ("ward office", "a,b", "x<y", "a&b", " "):
        settings = dataclasses.replace(SETTINGS.cap, sender=bad)
        with pytest.raises(ContentError, match=r"\[cap\] sender"):
            cap.alert(rain, WARD, settings, tz=ZONE)


async def test_cli_without_the_wards_place_names_the_file_and_writes_nothing(
        db: Database, tmp_path: Path) -> None:
    await approved_pair(db)
    content = tmp_path / "content"
    content.mkdir()
    (content / "weather.toml").write_bytes((CONTENT / "weather.toml").read_bytes())
    areas = (CONTENT / "areas.toml").read_text(encoding="utf-8")
    start = areas.index("[ward]")
    end = areas.index("[[area]]", start)
    (content / "areas.toml").write_text(areas[:start] + areas[end:], encoding="utf-8")
    out = tmp_path / "feed"
    result = sansang("cap", "--out", str(out), db_path=db.path, content=content)
    assert result.returncode == 2
    assert "areas.toml" in result.stderr and "[ward]" in result.stderr
    assert not out.exists()
