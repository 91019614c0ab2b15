"""Approved advisories as OASIS CAP 1.2 alerts, and the folder feed other warning systems read.

`alert()` makes one CAP document (one `info` block per language); `write_feed()` writes one file
per advisory and an Atom 1.0 `index.atom` listing them, each file whole or not at all. The same
advisories give the same bytes, so a rerun changes nothing a reader could notice.
Fields and wording follow WMO's cap-composer where it has an answer (sent with its offset,
`references` as "sender,identifier,sent", info fields in the schema's order).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import tomllib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.errors import ContentError
from bot.subscriptions.areas import AreaCatalog, WardPlace
from bot.weather.models import HAZARDS, Advisory

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CAP_MIME = "application/cap+xml"
INDEX = "index.atom"
SCHEMA = Path(__file__).with_name("schema") / "CAP-v1.2.xsd"
LANGUAGES = (("vi", "vi-VN"), ("en", "en-US"))  # (our language code, the CAP/RFC 3066 tag)

URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
RESPONSES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess",
             "AllClear", "None")
# A single deterministic model run that crossed a threshold, checked by a person against the
# official bulletin but not by a forecaster: we cannot claim the > ~50 % chance that CAP's
# "Likely" means. "Possible" (<= ~50 %) is the honest certainty of a model forecast.
CERTAINTY = "Possible"
# CAP forbids spaces, commas, "<" and "&" in an identifier; we also keep it a safe file name.
UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
# An empty feed has no alert to date it by; a fixed instant keeps reruns byte-identical.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Fixed texts of the machine feed, one per CAP language (not the bot's gettext catalog: every
# info block is in exactly one language, whatever the reader's).
HEADLINE = {"vi": "Cảnh báo {event}: {days}", "en": "{event} advisory: {days}"}
INSTRUCTION = {
    "vi": "Bà con theo dõi bản tin chính thức của Trung tâm Dự báo khí tượng thủy văn quốc gia "
          "(nchmf.gov.vn) và làm theo hướng dẫn của phường.",
    "en": "Follow the official bulletins of Vietnam's National Center for Hydro-Meteorological "
          "Forecasting (nchmf.gov.vn) and the ward's instructions.",
}
SOURCE = ("Model forecast (Open-Meteo.com), checked against the national bulletin and approved "
          "by ward staff")
FEED_TITLE = {"vi": "Cảnh báo thời tiết của {ward}", "en": "Weather advisories of {ward}"}


@dataclass(frozen=True)
class CapLevel:
    """What CAP says about one hazard level: how soon, how bad, what to do."""

    urgency: str
    severity: str
    response: str


@dataclass(frozen=True)
class CapSettings:
    """The `[cap]` table of content/weather.toml, and the ward's time zone."""

    sender: str  # CAP <sender>: the ward's stable address, e.g. "lechan@sansang.example"
    sender_name_vi: str
    sender_name_en: str
    web: str  # the ward's page for more information
    tz: ZoneInfo
    levels: Mapping[tuple[str, int], CapLevel] = field(default_factory=dict)

    def sender_name(self, lang: str) -> str:
        return self.sender_name_en if lang == "en" else self.sender_name_vi

    def level(self, hazard: str, level: int) -> CapLevel:
        """The level's CAP values; an unlisted stronger level takes the strongest listed."""
        listed = sorted(n for h, n in self.levels if h == hazard and n <= level)
        if not listed:
            raise ContentError(f"weather.toml [cap]: no severity for {hazard} level {level}")
        return self.levels[hazard, listed[-1]]


def load_settings(path: Path, tz: ZoneInfo) -> CapSettings:
    """Read the `[cap]` table; a missing or wrong value is a ContentError naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    table = data.get("cap")
    if not isinstance(table, dict):
        raise ContentError(f"{path}: no [cap] table (example: [cap] sender = "
                           "\"lechan@sansang.example\", sender_name_vi, sender_name_en, web)")
    values: dict[str, str] = {}
    for key in ("sender", "sender_name_vi", "sender_name_en", "web"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{path}: [cap] needs {key} (a non-empty string)")
        values[key] = value.strip()
    if not UNSAFE.sub("", values["sender"]) or re.search(r"[\s,<&]", values["sender"]):
        raise ContentError(f"{path}: [cap] sender {values['sender']!r} may not hold spaces, "
                           "commas, < or & (CAP 1.2, 3.2.1)")
    return CapSettings(**values, tz=tz, levels=_levels(path, table))


def _levels(path: Path, table: Mapping[str, object]) -> dict[tuple[str, int], CapLevel]:
    levels: dict[tuple[str, int], CapLevel] = {}
    for hazard in HAZARDS:
        rows = table.get(hazard)
        if not isinstance(rows, list) or not rows:
            raise ContentError(f"{path}: [cap] needs [[cap.{hazard}]] rows "
                               "(level, urgency, severity, response)")
        for row in rows:
            try:
                level = int(row["level"])
                entry = CapLevel(str(row["urgency"]), str(row["severity"]),
                                 str(row["response"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ContentError(f"{path}: [[cap.{hazard}]] {row!r}: {exc}") from exc
            for name, value, allowed in (("urgency", entry.urgency, URGENCIES),
                                         ("severity", entry.severity, SEVERITIES),
                                         ("response", entry.response, RESPONSES)):
                if value not in allowed:
                    raise ContentError(f"{path}: [[cap.{hazard}]] level {level}: {name} "
                                       f"{value!r} is not one of {', '.join(allowed)}")
            levels[hazard, level] = entry
    return levels


def identifier(advisory: Advisory, settings: CapSettings) -> str:
    """Unique per advisory for this sender, and stable: the sender, the id and the time the
    draft was made (so a database started afresh never reuses an identifier already sent)."""
    made = _utc(advisory.created_at).strftime("%Y%m%dT%H%M%SZ")
    return f"{UNSAFE.sub('-', settings.sender)}.advisory-{advisory.id}.{made}"


def sent(advisory: Advisory, settings: CapSettings) -> str:
    """When it was approved, in the ward's zone: CAP wants the offset and no fractions."""
    at = advisory.decided_at or advisory.created_at
    return _stamp(_utc(at).astimezone(settings.tz))


def alert(advisory: Advisory, ward: WardPlace, settings: CapSettings, *,
          catalog: AreaCatalog | None = None, earlier: Advisory | None = None) -> bytes:
    """One approved advisory as a CAP 1.2 alert (UTF-8 XML).

    `catalog` names the chosen areas (else their ids); `earlier` is the advisory this one
    supersedes: when that was approved (published), this alert is an Update referencing it.
    """
    root = ET.Element(_cap("alert"))
    _text(root, "identifier", identifier(advisory, settings))
    _text(root, "sender", settings.sender)
    _text(root, "sent", sent(advisory, settings))
    _text(root, "status", "Actual")
    published = earlier is not None and earlier.decided_at is not None and (
        earlier.broadcast_id is not None or earlier.status == "approved")
    _text(root, "msgType", "Update" if published else "Alert")
    _text(root, "source", SOURCE)
    _text(root, "scope", "Public")
    if published:
        assert earlier is not None
        _text(root, "references", ",".join((settings.sender, identifier(earlier, settings),
                                            sent(earlier, settings))))
    cap = settings.level(advisory.hazard, advisory.level)
    onset = datetime.combine(advisory.first_day, time(), settings.tz)
    # expires at the end of the last day: the next local midnight
    expires = datetime.combine(advisory.last_day + timedelta(days=1), time(), settings.tz)
    for lang, tag in LANGUAGES:
        info = ET.SubElement(root, _cap("info"))
        event = _capitalise(advisory.name_en if lang == "en" else advisory.name_vi)
        _text(info, "language", tag)
        _text(info, "category", "Met")
        _text(info, "event", event)
        _text(info, "responseType", cap.response)
        _text(info, "urgency", cap.urgency)
        _text(info, "severity", cap.severity)
        _text(info, "certainty", CERTAINTY)
        _text(info, "effective", sent(advisory, settings))
        _text(info, "onset", _stamp(onset))
        _text(info, "expires", _stamp(expires))
        _text(info, "senderName", settings.sender_name(lang))
        _text(info, "headline", HEADLINE[lang].format(
            event=event if lang == "en" else event[:1].lower() + event[1:],
            days=_days(advisory.first_day, advisory.last_day, lang)))
        _text(info, "description", advisory.text_en if lang == "en" else advisory.text_vi)
        _text(info, "instruction", INSTRUCTION[lang])
        _text(info, "web", settings.web)
        area = ET.SubElement(info, _cap("area"))
        _text(area, "areaDesc", _area_desc(advisory, ward, catalog, lang))
        # The chosen areas have no outline of their own yet: the ward's shape covers them.
        if ward.polygon:
            _text(area, "polygon", _polygon(ward.polygon))
        else:
            _text(area, "circle", f"{_num(ward.lat)},{_num(ward.lon)} {_num(ward.radius_km)}")
    return _serialise(root, CAP_NS)


@dataclass(frozen=True)
class FeedEntry:
    identifier: str
    file: str
    sent: str
    title: str
    summary: str


def write_feed(advisories: Sequence[Advisory], ward: WardPlace, settings: CapSettings,
               out_dir: Path, *, catalog: AreaCatalog | None = None,
               earlier: Mapping[int, Advisory] | None = None) -> list[Path]:
    """Write `<identifier>.xml` for each approved advisory and `index.atom` listing them.

    Drafts, discarded and superseded advisories are skipped. `earlier` maps the ids named by
    `supersedes` to those advisories. Each file is written to a hidden temporary file beside it
    and renamed, so a reader never sees half a file; a file whose bytes would not change is
    left alone. Returns the paths written or kept, the index last.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    known = dict(earlier or {})
    known.update((a.id, a) for a in advisories)
    paths: list[Path] = []
    entries: list[FeedEntry] = []
    for advisory in sorted((a for a in advisories if a.status == "approved"),
                           key=lambda a: (sent(a, settings), a.id)):
        ident = identifier(advisory, settings)
        data = alert(advisory, ward, settings, catalog=catalog,
                     earlier=known.get(advisory.supersedes) if advisory.supersedes else None)
        paths.append(write_whole(data, out_dir / f"{ident}.xml"))
        entries.append(FeedEntry(
            identifier=ident, file=f"{ident}.xml", sent=sent(advisory, settings),
            title=HEADLINE["vi"].format(event=advisory.name_vi, days=_days(
                advisory.first_day, advisory.last_day, "vi")),
            summary=HEADLINE["en"].format(event=_capitalise(advisory.name_en), days=_days(
                advisory.first_day, advisory.last_day, "en"))))
    paths.append(write_whole(atom(entries, ward, settings), out_dir / INDEX))
    return paths


def atom(entries: Iterable[FeedEntry], ward: WardPlace, settings: CapSettings) -> bytes:
    """The Atom 1.0 index: newest alert first, each linked to its file (relative to the index)."""
    entries = sorted(entries, key=lambda e: (e.sent, e.identifier), reverse=True)
    feed = ET.Element(_atom("feed"), {XML_LANG: "vi"})
    feed_id = uuid.uuid5(uuid.NAMESPACE_URL, f"sansang-cap-feed:{settings.sender}")
    _atext(feed, "id", f"urn:uuid:{feed_id}")
    _atext(feed, "title", FEED_TITLE["vi"].format(ward=ward.name_vi))
    _atext(feed, "subtitle", FEED_TITLE["en"].format(ward=ward.name_en)).set(XML_LANG, "en")
    updated = max((e.sent for e in entries), key=_parse, default=_stamp(EPOCH))
    _atext(feed, "updated", updated)
    author = ET.SubElement(feed, _atom("author"))
    _atext(author, "name", settings.sender_name_vi)
    _atext(author, "uri", settings.web)
    ET.SubElement(feed, _atom("link"), {"rel": "self", "href": INDEX,
                                        "type": "application/atom+xml"})
    for e in entries:
        entry = ET.SubElement(feed, _atom("entry"))
        _atext(entry, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, e.identifier)}")
        _atext(entry, "title", e.title)
        _atext(entry, "updated", e.sent)
        _atext(entry, "published", e.sent)
        _atext(entry, "summary", e.summary).set(XML_LANG, "en")
        ET.SubElement(entry, _atom("link"), {"rel": "alternate", "type": CAP_MIME,
                                             "href": e.file})
    return _serialise(feed, ATOM_NS)


def write_whole(data: bytes, out: Path) -> Path:
    """`data` to `out` through a hidden temporary file beside it and a rename; unchanged
    bytes are not rewritten (the file keeps its time, readers see nothing new)."""
    try:
        if out.read_bytes() == data:
            return out
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the feed is for other systems to read
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _area_desc(advisory: Advisory, ward: WardPlace, catalog: AreaCatalog | None,
               lang: str) -> str:
    ward_name = ward.name_en if lang == "en" else ward.name_vi
    if not advisory.areas:
        return ward_name
    names = []
    for area_id in advisory.areas:
        place = catalog.get(area_id) if catalog else None
        if place is None and catalog is not None:
            place = next((g for g in catalog.groups if g.id == area_id), None)
        names.append(place.name(lang) if place else area_id)
    return f"{', '.join(names)} ({ward_name})"


def _days(first: date, last: date, lang: str) -> str:
    pattern = "d MMM" if lang == "en" else "d/M"
    one = format_date(first, pattern, locale=lang)
    return one if first == last else f"{one}–{format_date(last, pattern, locale=lang)}"


def _polygon(points: Sequence[tuple[float, float]]) -> str:
    """CAP: "lat,lon" pairs, at least four, the first repeated last to close the ring."""
    pairs = [f"{_num(lat)},{_num(lon)}" for lat, lon in points]
    if pairs[0] != pairs[-1]:
        pairs.append(pairs[0])
    return " ".join(pairs)


def _num(value: float) -> str:
    """Short and stable: at most 6 decimals (~0.1 m), no trailing zeros, no exponent."""
    if not math.isfinite(value):
        raise ValueError(f"not a coordinate: {value!r}")
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _stamp(at: datetime) -> str:
    """CAP's form: 2026-12-05T00:00:00+07:00 (UTC as -00:00, as CAP 1.2 asks)."""
    text = at.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("-00:00", "+00:00")
                                  if stamp.endswith("-00:00") else stamp)


def _cap(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _atom(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, _cap(tag))
    child.text = text
    return child


def _atext(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, _atom(tag))
    child.text = text
    return child


def _serialise(root: ET.Element, namespace: str) -> bytes:
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True,
                       default_namespace=namespace)
    return body + b"\n"
