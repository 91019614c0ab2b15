"""Outreach statistics for a period, per area and in total, from the anonymous outreach log.

Everything is counted from `events`, which never holds a chat id, so the figures stay right after
a resident's /forget and no export can name anyone.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.floods.places import Placer
from bot.floods.points import cluster
from bot.redact import redact_contacts
from bot.store import Database
from bot.store import advisories as advisory_store
from bot.store import broadcasts as broadcast_store
from bot.store import flood_reports as flood_store
from bot.store import reports as queries
from bot.subscriptions.areas import AreaCatalog

NO_AREA = ""  # events with no area (a chat that never chose one)
OLD_TARGET_CUT = 200  # broadcast events before migration 0008 kept this many characters of targets


@dataclass(frozen=True)
class Period:
    start: date  # inclusive, local
    end: date  # inclusive, local

    @classmethod
    def parse(cls, *, from_: str | None = None, to: str | None = None, month: str | None = None,
              quarter: str | None = None, year: str | None = None) -> Period:
        """One of: from/to (YYYY-MM-DD), month (YYYY-MM), quarter (YYYY-Qn), year (YYYY)."""
        if month:
            m = re.fullmatch(r"(\d{4})-(\d{2})", month)
            if not m or not 1 <= int(m.group(2)) <= 12:
                raise ValueError(f"--month {month!r}: use YYYY-MM, e.g. 2026-10")
            first = date(int(m.group(1)), int(m.group(2)), 1)
            return cls(first, _month_end(first))
        if quarter:
            m = re.fullmatch(r"(\d{4})-Q([1-4])", quarter.upper())
            if not m:
                raise ValueError(f"--quarter {quarter!r}: use YYYY-Qn, e.g. 2026-Q3")
            first = date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
            return cls(first, _month_end(date(first.year, first.month + 2, 1)))
        if year:
            if not re.fullmatch(r"\d{4}", year):
                raise ValueError(f"--year {year!r}: use YYYY, e.g. 2026")
            return cls(date(int(year), 1, 1), date(int(year), 12, 31))
        if from_ and to:
            try:
                start, end = date.fromisoformat(from_), date.fromisoformat(to)
            except ValueError:
                raise ValueError("--from and --to are dates like 2026-10-01") from None
            if end < start:
                raise ValueError("--to is before --from")
            return cls(start, end)
        raise ValueError("give --from and --to, or --month, --quarter or --year")

    def utc_bounds(self, tz: ZoneInfo) -> tuple[str, str]:
        start = datetime.combine(self.start, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")

    def previous(self) -> Period:
        """The period of the same length just before: the previous month (quarter, year, run of
        whole months) when this one is whole months, else the same number of days before."""
        if self.start.day == 1 and self.end == _month_end(self.end.replace(day=1)):
            n = len(self.months())
            index = self.start.year * 12 + self.start.month - 1 - n
            first = date(index // 12, index % 12 + 1, 1)
            return Period(first, self.start - timedelta(days=1))
        days = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=days), self.start - timedelta(days=1))

    def months(self) -> list[str]:
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(day.strftime("%Y-%m"))
            day = _month_end(day) + timedelta(days=1)
        return out


def _month_end(first: date) -> date:
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@dataclass
class AreaFigures:
    area_id: str
    area_name: str
    households_active: int = 0
    groups_active: int = 0
    subscribers_new: int = 0
    unsubscribed: int = 0
    blocked: int = 0
    broadcasts: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    messages_blocked: int = 0
    guide_views: int = 0
    searches: int = 0
    answered: int = 0
    # Groups receiving warnings at the period's end by kind (together: groups_active); a group
    # whose kind is not set yet counts in other_groups_active.
    schools_active: int = 0
    markets_active: int = 0
    offices_active: int = 0
    residential_active: int = 0
    other_groups_active: int = 0
    # Issue 15: flood reports made in the period (from the outreach log), and the flooding points
    # (reports within 100 m of each other) the period's reports make, by the point's area.
    flood_reports: int = 0
    flooding_points: int = 0
    # Issue 16: Zalo chats receiving warnings at the period's end (part of subscribers_active),
    # and broadcast messages no channel could deliver in the period (Zalo followers silent for
    # more than 7 days who shared no phone number).
    zalo_active: int = 0
    unreachable: int = 0

    @property
    def subscribers_active(self) -> int:
        return self.households_active + self.groups_active

    def add(self, other: AreaFigures) -> None:
        for name in self.__dataclass_fields__:
            if name not in ("area_id", "area_name"):
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class BroadcastLine:
    """One broadcast of the period, from its event (detail "id:recipients")."""

    at: datetime  # local time, naive (as a spreadsheet shows it)
    broadcast_id: str
    recipients: int
    target: str  # area ids joined by commas, or "all"


RECIPIENT_KINDS = ("household", "school", "market", "office", "residential", "other")
"""The kinds the report counts reach by (`bot.broadcasts.broadcasts.RECIPIENT_KINDS`)."""
KIND_FIELD = {"school": "schools_active", "market": "markets_active", "office": "offices_active",
              "residential": "residential_active"}


def recipient_kind(chat_kind: str | None) -> str:
    """The outreach log's chat kind as a recipient kind: private is a household, a group whose
    kind is not set (logged `group`) is other."""
    if chat_kind in ("private", "", None):
        return "household"
    return chat_kind if chat_kind in KIND_FIELD else "other"


@dataclass(frozen=True)
class KindReach:
    """One kind of recipient in one month: receiving warnings at its end, messages delivered."""

    active: int = 0
    sent: int = 0


CHANNELS = ("telegram", "zalo")


@dataclass(frozen=True)
class ChannelReach:
    """One channel's reach in the period: chats receiving warnings at its end, broadcast
    messages delivered, and those that could not be (unreachable)."""

    active: int = 0
    sent: int = 0
    unreachable: int = 0


@dataclass
class Report:
    period: Period
    areas: list[AreaFigures]
    total: AreaFigures
    by_month: dict[str, AreaFigures]
    views_by_hazard: Counter[str]
    unanswered: list[tuple[str, int]]
    broadcasts: list[BroadcastLine] = field(default_factory=list)
    # {month YYYY-MM: {recipient kind: reach}}: every month of the period, every kind
    by_kind: dict[str, dict[str, KindReach]] = field(default_factory=dict)
    # The figures of the period of the same length just before (`Period.previous`), to compare
    # with; its own `previous` is None.
    previous: Report | None = None
    # {"telegram": reach, "zalo": reach} over the whole ward (Telegram's: the total less Zalo's)
    by_channel: dict[str, ChannelReach] = field(default_factory=dict)
    # Issue 17: of the period's flood reports, those resolved by the period's end, and the
    # flooding points whose every report was (the reports and points: `total`).
    flood_resolved: int = 0
    points_resolved: int = 0
    # Weather advisories staff approved in the period (each sent as an urgent broadcast), by
    # the Vietnamese name of their category ("mưa rất to"), most first.
    advisories: Counter[str] = field(default_factory=Counter)

    @property
    def advisories_sent(self) -> int:
        return sum(self.advisories.values())


IN_PERIOD = {
    "subscribe": "subscribers_new", "unsubscribe": "unsubscribed", "blocked": "blocked",
    "delivery_sent": "messages_sent", "delivery_failed": "messages_failed",
    "delivery_blocked": "messages_blocked", "delivery_unreachable": "unreachable",
    "guide_view": "guide_views",
    "question": "searches",
}


def _count(f: AreaFigures, r: Any) -> None:
    """Add one grouped row (kind, n, answered) of the roll-up to a set of figures."""
    name = IN_PERIOD[r["kind"]]
    setattr(f, name, getattr(f, name) + r["n"])
    if r["kind"] == "question":
        f.answered += r["answered"]


async def report(db: Database, areas: AreaCatalog, period: Period,
                 top_unanswered: int = 20, compare: bool = True) -> Report:
    """The period's figures, counted in the ward's zone (the database's `tz`).

    Counts come from the daily roll-up `event_days` (local days); the unanswered questions and
    the list of broadcasts from `events` through their partial indexes. Every query runs on a
    read-only connection of its own (one snapshot), never on the bot's.
    The report carries `previous`, the same figures for `period.previous()` (unless `compare` is
    false), read in the same snapshot.
    """
    async with db.reader() as reader:
        found = await _report(reader, areas, period, top_unanswered)
        if compare:
            found.previous = await _report(reader, areas, period.previous(), top_unanswered)
        return found


async def _report(db: Database, areas: AreaCatalog, period: Period,
                  top_unanswered: int) -> Report:
    tz = db.tz
    start, end = period.utc_bounds(tz)
    first_day, last_day = period.start.isoformat(), period.end.isoformat()
    names = {a.id: a.name_vi for a in areas.areas}
    per_area: dict[str, AreaFigures] = {a.id: AreaFigures(a.id, a.name_vi) for a in areas.areas}

    def figures(area_id: str | None) -> AreaFigures:
        key = area_id or NO_AREA
        if key not in per_area:
            per_area[key] = AreaFigures(key, names.get(key, key or "(chưa chọn khu)"))
        return per_area[key]

    # Active at the period's end: every change of "receiving warnings" up to then.
    for r in await queries.active_at(db, last_day):
        f = figures(r["area_id"])
        kind = recipient_kind(r["chat_kind"])
        if kind == "household":
            f.households_active += r["active"]
            continue
        f.groups_active += r["active"]  # every group, whatever its kind
        name = KIND_FIELD.get(kind, "other_groups_active")
        setattr(f, name, getattr(f, name) + r["active"])
    # The kinds of IN_PERIOD, per area and local month in one pass: each row adds to both.
    by_month = {m: AreaFigures("", m) for m in period.months()}
    for r in await queries.counts_by_area_and_month(db, first_day, last_day):
        _count(figures(r["area_id"]), r)
        _count(by_month[r["month"]], r)
    for r in await flood_store.counts_by_area_and_month(db, first_day, last_day):
        figures(r["area_id"]).flood_reports += r["n"]
        by_month[r["month"]].flood_reports += r["n"]
    flood_resolved = points_resolved = 0
    if await flood_store.present(db):
        reports = await flood_store.created_between(db, start, end)
        period_end = datetime.fromisoformat(end)
        resolved = {r.id for r in reports
                    if r.resolved_at is not None and r.resolved_at < period_end}
        flood_resolved = len(resolved)
        for point in await asyncio.to_thread(cluster, reports, Placer(areas)):
            figures(point.area_id).flooding_points += 1
            points_resolved += all(i in resolved for i in point.report_ids)
    advisories = await _advisories(db, start, end)
    views: Counter[str] = Counter()
    for r in await queries.views_by_topic(db, first_day, last_day):
        views[r["topic"]] += r["n"]
    unanswered = await asyncio.to_thread(_unanswered, await queries.unanswered(db, start, end))
    broadcast_rows: list[BroadcastLine] = []
    events_of_broadcasts = await queries.broadcast_events(db, start, end)
    # An event logged before migration 0008 cut its targets at 200 characters: read those whole
    # from the broadcast itself (today's events hold every target).
    cut = {int(i) for r in events_of_broadcasts
           if len(r["area_id"] or "") == OLD_TARGET_CUT
           and (i := (r["detail"] or "").partition(":")[0]).isdigit()}
    whole = await broadcast_store.areas_of(db, cut)
    for r in events_of_broadcasts:
        targets = r["area_id"].split(",") if r["area_id"] else list(names)
        broadcast_key = (r["detail"] or "").partition(":")[0]
        if len(r["area_id"] or "") == OLD_TARGET_CUT and broadcast_key.isdigit():
            targets = list(whole.get(int(broadcast_key), ()) or targets)
        for area_id in targets:
            figures(area_id).broadcasts += 1
        local = datetime.fromisoformat(r["at"]).astimezone(tz)
        month = local.strftime("%Y-%m")
        if month in by_month:
            by_month[month].broadcasts += 1
        broadcast_id, _, recipients = (r["detail"] or "").partition(":")
        broadcast_rows.append(BroadcastLine(
            local.replace(tzinfo=None), broadcast_id,
            int(recipients) if recipients.isdigit() else 0,
            ",".join(targets) if r["area_id"] else "all"))
    zalo = await _zalo(db, first_day, last_day, figures)
    ordered = [per_area[a.id] for a in areas.areas] + [
        f for k, f in sorted(per_area.items()) if k not in names]
    total = AreaFigures("TOTAL", "Tổng cộng")
    for f in ordered:
        total.add(f)
    total.broadcasts = len(broadcast_rows)  # a broadcast to several areas counts once in total
    by_kind = await _by_kind(db, period, first_day, last_day)
    by_channel = {
        "zalo": zalo,
        "telegram": ChannelReach(total.subscribers_active - zalo.active,
                                 total.messages_sent - zalo.sent,
                                 total.unreachable - zalo.unreachable),
    }
    return Report(period, ordered, total, by_month, views,
                  unanswered.most_common(top_unanswered), broadcast_rows, by_kind,
                  by_channel={c: by_channel[c] for c in CHANNELS},
                  flood_resolved=flood_resolved, points_resolved=points_resolved,
                  advisories=advisories)


async def _advisories(db: Database, start: str, end: str) -> Counter[str]:
    """The weather advisories approved from `start` to before `end` (UTC), by category name."""
    try:
        rows = await advisory_store.approved(db)
    except sqlite3.OperationalError as exc:
        if "advisories" not in str(exc):
            raise
        return Counter()  # a database not yet migrated to the weather tables
    low, high = datetime.fromisoformat(start), datetime.fromisoformat(end)
    found: Counter[str] = Counter()
    for r in rows:
        at = datetime.fromisoformat(r["decided_at"]) if r["decided_at"] else None
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at is not None and low <= at < high:
            found[r["name_vi"]] += 1
    return found


async def _zalo(db: Database, first_day: str, last_day: str,
                figures: Any) -> ChannelReach:
    """Zalo's part: `zalo_active` of each area, and the ward's Zalo reach in the period."""
    try:
        active_rows = await queries.zalo_active_at(db, last_day)
        delivery_rows = await queries.zalo_deliveries(db, first_day, last_day)
    except sqlite3.OperationalError as exc:
        if "channel" not in str(exc):
            raise
        return ChannelReach()  # a database not yet migrated to 0012: no Zalo at all
    active = 0
    for r in active_rows:
        figures(r["area_id"]).zalo_active += r["active"]
        active += r["active"]
    sent = sum(r["n"] for r in delivery_rows if r["kind"] == "delivery_sent")
    unreachable = sum(r["n"] for r in delivery_rows if r["kind"] == "delivery_unreachable")
    return ChannelReach(active, sent, unreachable)


async def _by_kind(db: Database, period: Period, first_day: str,
                   last_day: str) -> dict[str, dict[str, KindReach]]:
    """Each month's reach by recipient kind: active at the month's end, messages delivered."""
    months = period.months()
    changes: dict[str, Counter[str]] = defaultdict(Counter)
    for r in await queries.active_changes_by_kind_and_month(db, last_day):
        changes[r["month"]][recipient_kind(r["chat_kind"])] += r["active"]
    sent: dict[str, Counter[str]] = defaultdict(Counter)
    for r in await queries.sent_by_kind_and_month(db, first_day, last_day):
        sent[r["month"]][recipient_kind(r["chat_kind"])] += r["n"]
    running: Counter[str] = Counter()
    for month in sorted(m for m in changes if m < months[0]):  # before the period
        running.update(changes[month])
    found = {}
    for month in months:
        running.update(changes.get(month, Counter()))
        found[month] = {k: KindReach(running[k], sent[month][k]) for k in RECIPIENT_KINDS}
    return found


def _unanswered(rows: list[Any]) -> Counter[str]:
    """The period's unanswered questions, blanked again (rows an older version stored) and
    counted by their folded text. Run off the event loop: a year can hold tens of thousands."""
    counted: Counter[str] = Counter()
    for r in rows:
        counted[" ".join(redact_contacts(r["detail"]).lower().split())] += r["n"]
    return counted
