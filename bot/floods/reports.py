"""The flood-report service: a resident's report saved whole, staff checking and resolving it,
and the flooding points its reports make.

Only `submit` writes a report, once, with everything the flow gathered: a flow abandoned half-way
leaves nothing behind. Each change and its outreach event or audit line share one transaction.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.floods.models import DEPTHS, NOTE_MAX, FloodPoint, FloodReport, Submitted
from bot.floods.places import Placer
from bot.floods.points import cluster
from bot.i18n import normalise_lang
from bot.store import Database, audit, events
from bot.store import flood_reports as store
from bot.store.chats import channel_of
from bot.store.events import Event
from bot.subscriptions.areas import AreaCatalog

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1  # SQLite's largest integer: a forged number past it is no report of ours
PHOTO_ID_MAX = 512  # Telegram's file ids are well under this; anything longer is not one


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def _known(report_id: int) -> None:
    """A number from a button (callback data can be forged) that cannot be a report's id."""
    if not 0 < report_id <= MAX_ID:
        raise LookupError(f"no flood report {report_id}")


def _utc(stored: str) -> datetime:
    at = datetime.fromisoformat(stored)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _degrees(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def clean_note(note: str | None) -> str | None:
    """A note as stored: NFC, trimmed, None when empty (its length is checked after this)."""
    if note is None:
        return None
    note = unicodedata.normalize("NFC", str(note)).strip()
    return note or None


class FloodReports:
    """Flood reports of one ward (one database, one catalogue of areas)."""

    MAX_PER_HOUR = 3  # per reporter chat
    SAME_WITHIN = timedelta(minutes=10)
    """An identical report from the same chat this soon is the same report sent twice (a
    double press): it is answered with the first one, not saved or counted again."""

    def __init__(self, db: Database, areas: AreaCatalog,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.areas = areas
        self.placer = Placer(areas)
        self.clock = clock or (lambda: datetime.now(UTC))

    def place(self, lat: float, lon: float) -> tuple[str | None, bool]:
        """(area_id, outside) of a point: see `bot.floods.places.Placer.place`."""
        return self.placer.place(lat, lon)

    async def submit(self, chat_id: int, lang: str, lat: float, lon: float, depth: str,
                     photo_file_id: str | None = None, note: str | None = None) -> Submitted:
        """Save a resident's report with its outreach event, or say why not.

        Refusals (nothing saved): "bad_point" (lat not in -90..90 or lon not in -180..180),
        "bad_depth" (not one of DEPTHS), "bad_note" (longer than NOTE_MAX characters after NFC
        and trimming), "rate" (MAX_PER_HOUR reports from this chat in the last hour, counted in
        the transaction that writes, so reports sent at once are each counted once).
        A failure of the database raises: the channel tells the resident it was not saved.
        """
        lat_ok, lon_ok = _degrees(lat, -90, 90), _degrees(lon, -180, 180)
        if lat_ok is None or lon_ok is None:
            return Submitted(None, "bad_point")
        if depth not in DEPTHS:
            return Submitted(None, "bad_depth")
        text = clean_note(note)
        if text is not None and len(text) > NOTE_MAX:
            return Submitted(None, "bad_note")
        photo = photo_file_id or None
        if photo is not None and (not isinstance(photo, str) or len(photo) > PHOTO_ID_MAX):
            photo = None  # never the resident's fault; the report is worth keeping without it
        lang = normalise_lang(lang)
        area_id, outside = self.place(lat_ok, lon_ok)
        now = self.clock()
        async with self.db.transaction() as conn:
            same = await store.same_since(
                conn, chat_id, _stamp(now - self.SAME_WITHIN), lat=lat_ok, lon=lon_ok,
                depth=depth, photo_file_id=photo, note=text)
            if same is not None:
                return Submitted(same, None)
            if await store.count_since(conn, chat_id, _stamp(now - timedelta(hours=1))) \
                    >= self.MAX_PER_HOUR:
                return Submitted(None, "rate")
            new_id = await store.insert(
                conn, created_at=_stamp(now), lat=lat_ok, lon=lon_ok, area_id=area_id,
                outside=outside, depth=depth, photo_file_id=photo, note=text, lang=lang,
                reporter_chat=chat_id)
            await events.add(conn, self.db.tz, [Event(
                "flood_report", area_id=area_id, lang=lang, chat_kind="private", detail=depth,
                at=_stamp(now), channel=channel_of(chat_id))])
            saved = await store.read(conn, new_id)
        assert saved is not None  # written in the same transaction
        logger.info("flood report %d saved (%s, %s)", new_id, area_id or "outside", depth)
        return Submitted(saved, None)

    async def get(self, report_id: int) -> FloodReport | None:
        if not 0 < report_id <= MAX_ID:
            return None
        return await store.get(self.db, report_id)

    async def add_message(self, report_id: int, chat_id: int, message_id: int) -> None:
        """Remember a staff copy of a report, to update it when the report changes."""
        await store.add_message(self.db, report_id, chat_id, message_id)

    async def messages(self, report_id: int) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every staff copy of a report."""
        return await store.messages(self.db, report_id)

    async def check(self, report_id: int, user_id: int) -> tuple[FloodReport, bool]:
        """Mark a new report checked: (the report now, whether this call changed it). A report
        already checked or resolved is left as it is, so two presses at once change it once.
        Raises LookupError for a report that is not there. The caller checks the role."""
        _known(report_id)
        now = _stamp(self.clock())
        async with self.db.transaction() as conn:
            changed = await store.set_checked(conn, report_id, user_id, now)
            if changed:
                await audit.record(conn, str(user_id), "flood_report.check", str(report_id),
                                   at=now)
            report = await store.read(conn, report_id)
        if report is None:
            raise LookupError(f"no flood report {report_id}")
        return report, changed

    async def resolve(self, report_id: int,
                      user_id: int) -> tuple[FloodReport, int | None, bool]:
        """Mark a report resolved and forget who sent it: (the report now, the chat to tell, or
        None, whether this call changed it). The chat is read and cleared in the transaction
        that resolves, so only the one press that changed it gets it back.
        Raises LookupError for a report that is not there. The caller checks the role."""
        _known(report_id)
        now = _stamp(self.clock())
        async with self.db.transaction() as conn:
            changed, chat = await store.set_resolved(conn, report_id, user_id, now)
            if changed:
                await audit.record(conn, str(user_id), "flood_report.resolve", str(report_id),
                                   at=now)
            report = await store.read(conn, report_id)
        if report is None:
            raise LookupError(f"no flood report {report_id}")
        return report, chat, changed

    async def in_period(self, start_utc: str, end_utc: str) -> list[FloodReport]:
        """Reports created from `start_utc` to before `end_utc` (ISO 8601; a time without a zone
        is UTC), oldest first. Raises ValueError for a time that is not ISO 8601."""
        return await store.created_between(self.db, _stamp(_utc(start_utc)),
                                           _stamp(_utc(end_utc)))

    async def points(self, *, since: datetime | None = None,
                     until: datetime | None = None) -> list[FloodPoint]:
        """The flooding points of the reports created from `since` to before `until` (either may
        be None: no bound), worst first (depth, then reports)."""
        reports = await store.created_between(
            self.db, _stamp(since) if since else None, _stamp(until) if until else None)
        return cluster(reports, self.placer)
