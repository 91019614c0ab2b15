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
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.errors import ContentError
from bot.subscriptions.areas import AreaCatalog, WardPlace
from bot.weather.models import Advisory
from bot.weather.thresholds import CapSettings, WeatherSettings

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CAP_MIME = "application/cap+xml"
INDEX = "index.atom"
SCHEMA = Path(__file__).with_name("schema") / "CAP-v1.2.xsd"
LANGUAGES = (("vi", "vi-VN"), ("en", "en-US"))  # (our language code, the CAP/RFC 3066 tag)

# CAP's certainty comes from [<hazard>.cap] in weather.toml (the sample says "Likely", CAP's
# p > ~50 %). That holds only because nothing unapproved is written here: a model forecast alone
# is "Possible" (p <= ~50 %: one deterministic run at one point), but every draft asks staff to
# check it against NCHMF's official bulletin before approving, and an approval is that check.
# A ward that approves without it should set certainty = "Possible" in the file.
# responseType: "Monitor" (attend to information sources) for a Minor hazard, else "Prepare"
# (make preparations, as the advisory's steps say). The file has no per-level response.
RESPONSE_FOR_MINOR, RESPONSE = "Monitor", "Prepare"
# CAP forbids spaces, commas, "<" and "&" in an identifier; we also keep it a safe file name.
UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
# An empty feed has no alert to date it by; a fixed instant keeps reruns byte-identical.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WARD_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# Fixed texts of the machine feed, one per CAP language (not the bot's gettext catalog: every
# info block is in exactly one language, whatever the reader's).
HEADLINE = {"vi": "Cảnh báo {event}: {days}", "en": "{event} advisory: {days}"}
INSTRUCTION = {
    "vi": "Bà con theo dõi bản tin chính thức của Trung tâm Dự báo khí tượng thủy văn quốc gia "
          "(nchmf.gov.vn) và làm theo hướng dẫn của phường.",
    "en": "Follow the official bulletins of Vietnam's National Centre for Hydro-Meteorological "
          "Forecasting (nchmf.gov.vn) and the ward's instructions.",
}
SOURCE = ("Model forecast (weather data by Open-Meteo.com), approved by ward staff; not an "
          "official bulletin")
FEED_TITLE = {"vi": "Cảnh báo thời tiết của {ward}", "en": "Weather advisories of {ward}"}


def _cap_settings(settings: WeatherSettings | CapSettings) -> CapSettings:
    """The [cap] part; a sender CAP cannot carry is a ContentError naming the file."""
    cap = settings.cap if isinstance(settings, WeatherSettings) else settings
    if not cap.sender.strip() or re.search(r"[\s,<&]", cap.sender):
        raise ContentError(f"weather.toml [cap] sender {cap.sender!r}: CAP 1.2 (3.2.1) allows "
                           "no spaces, commas, < or & (example: sender = "
                           "\"sansang@lechan.haiphong.example\")")
    return cap


def identifier(advisory: Advisory, settings: WeatherSettings | CapSettings) -> str:
    """Unique per advisory for this sender, and stable: the sender, the id and the time the
    draft was made (so a database started afresh never reuses an identifier already sent)."""
    made = _utc(advisory.created_at).strftime("%Y%m%dT%H%M%SZ")
    return f"{UNSAFE.sub('-', _cap_settings(settings).sender)}.advisory-{advisory.id}.{made}"


def sent(advisory: Advisory, tz: ZoneInfo = WARD_ZONE) -> str:
    """When it was approved, in the ward's zone: CAP wants the offset and no fractions."""
    at = advisory.decided_at or advisory.created_at
    return _stamp(_utc(at).astimezone(tz))


def published(advisory: Advisory | None) -> bool:
    """Was it ever sent out (approved)? A draft superseded before anyone decided never was."""
    return advisory is not None and (advisory.status == "approved"
                                     or advisory.broadcast_id is not None)


def alert(advisory: Advisory, ward: WardPlace, settings: WeatherSettings | CapSettings, *,
          tz: ZoneInfo = WARD_ZONE, catalog: AreaCatalog | None = None,
          earlier: Advisory | None = None) -> bytes:
    """One approved advisory as a CAP 1.2 alert (UTF-8 XML).

    `tz`: the ward's zone (SANSANG_TIMEZONE); `catalog` names the chosen areas (else their ids);
    `earlier`: the advisory this one supersedes; when that one was published, this alert is an
    Update that references it.
    """
    cap = _cap_settings(settings)
    root = ET.Element(_cap("alert"))
    _text(root, "identifier", identifier(advisory, cap))
    _text(root, "sender", cap.sender)
    _text(root, "sent", sent(advisory, tz))
    _text(root, "status", "Actual")
    update = earlier is not None and published(earlier)
    _text(root, "msgType", "Update" if update else "Alert")
    _text(root, "source", SOURCE)
    _text(root, "scope", "Public")
    if update and earlier is not None:
        _text(root, "references", f"{cap.sender},{identifier(earlier, cap)},{sent(earlier, tz)}")
    level = cap.level(advisory.hazard, advisory.level)
    onset = datetime.combine(advisory.first_day, time(), tz)
    # expires at the end of the last day: the next local midnight
    expires = datetime.combine(advisory.last_day + timedelta(days=1), time(), tz)
    for lang, tag in LANGUAGES:
        info = ET.SubElement(root, _cap("info"))
        name = advisory.name_en if lang == "en" else advisory.name_vi
        _text(info, "language", tag)
        _text(info, "category", "Met")
        _text(info, "event", _capitalise(name))
        _text(info, "responseType",
              RESPONSE_FOR_MINOR if level.severity == "Minor" else RESPONSE)
        _text(info, "urgency", level.urgency)
        _text(info, "severity", level.severity)
        _text(info, "certainty", level.certainty)
        _text(info, "effective", sent(advisory, tz))
        _text(info, "onset", _stamp(onset))
        _text(info, "expires", _stamp(expires))
        _text(info, "senderName", cap.sender_name_en if lang == "en" else cap.sender_name_vi)
        _text(info, "headline", _headline(advisory, lang))
        _text(info, "description", advisory.text_en if lang == "en" else advisory.text_vi)
        _text(info, "instruction", INSTRUCTION[lang])
        _text(info, "web", cap.web)
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


def write_feed(advisories: Sequence[Advisory], ward: WardPlace,
               settings: WeatherSettings | CapSettings, out_dir: Path, *,
               tz: ZoneInfo = WARD_ZONE, catalog: AreaCatalog | None = None,
               earlier: Mapping[int, Advisory] | None = None) -> list[Path]:
    """Write `<identifier>.xml` for each approved advisory and `index.atom` listing them.

    Drafts, discarded and superseded advisories are skipped. `earlier` maps the ids named by
    `supersedes` to those advisories. Each file is written to a hidden temporary file beside it
    and renamed, so a reader never sees half a file; a file whose bytes would not change is
    left alone. Returns the paths written or kept, the index last.
    """
    cap = _cap_settings(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    known = dict(earlier or {})
    known.update((a.id, a) for a in advisories)
    paths: list[Path] = []
    entries: list[FeedEntry] = []
    for advisory in sorted((a for a in advisories if a.status == "approved"),
                           key=lambda a: (_utc(a.decided_at or a.created_at), a.id)):
        ident = identifier(advisory, cap)
        before = known.get(advisory.supersedes) if advisory.supersedes is not None else None
        data = alert(advisory, ward, cap, tz=tz, catalog=catalog, earlier=before)
        paths.append(write_whole(data, out_dir / f"{ident}.xml"))
        entries.append(FeedEntry(identifier=ident, file=f"{ident}.xml", sent=sent(advisory, tz),
                                 title=_headline(advisory, "vi"),
                                 summary=_headline(advisory, "en")))
    paths.append(write_whole(atom(entries, ward, cap), out_dir / INDEX))
    return paths


def atom(entries: Iterable[FeedEntry], ward: WardPlace, cap: CapSettings) -> bytes:
    """The Atom 1.0 index: newest alert first, each linked to its file (relative to the index)."""
    entries = sorted(entries, key=lambda e: (_parse(e.sent), e.identifier), reverse=True)
    # Atom's attributes (rel, href) are unqualified, which ElementTree cannot write beside a
    # default_namespace: the namespace is declared on the root and the tags are left bare.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: "vi"})
    feed_id = uuid.uuid5(uuid.NAMESPACE_URL, f"sansang-cap-feed:{cap.sender}")
    _atext(feed, "id", f"urn:uuid:{feed_id}")
    _atext(feed, "title", FEED_TITLE["vi"].format(ward=ward.name_vi))
    _atext(feed, "subtitle", FEED_TITLE["en"].format(ward=ward.name_en)).set(XML_LANG, "en")
    _atext(feed, "updated", entries[0].sent if entries else _stamp(EPOCH))
    author = ET.SubElement(feed, "author")
    _atext(author, "name", cap.sender_name_vi)
    _atext(author, "uri", cap.web)
    ET.SubElement(feed, "link", {"rel": "self", "href": INDEX,
                                        "type": "application/atom+xml"})
    for e in entries:
        entry = ET.SubElement(feed, "entry")
        _atext(entry, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, e.identifier)}")
        _atext(entry, "title", e.title)
        _atext(entry, "updated", e.sent)
        _atext(entry, "published", e.sent)
        _atext(entry, "summary", e.summary).set(XML_LANG, "en")
        ET.SubElement(entry, "link", {"rel": "alternate", "type": CAP_MIME,
                                             "href": e.file})
    return _serialise(feed)


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


def _headline(advisory: Advisory, lang: str) -> str:
    event = _capitalise(advisory.name_en) if lang == "en" else advisory.name_vi
    return HEADLINE[lang].format(event=event, days=_days(advisory.first_day, advisory.last_day,
                                                          lang))


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
    return datetime.fromisoformat(stamp)  # reads CAP's -00:00 as UTC


def _cap(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, _cap(tag))
    child.text = text
    return child


def _atext(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def _serialise(root: ET.Element, namespace: str | None = None) -> bytes:
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True,
                       default_namespace=namespace)
    return body + b"\n"
