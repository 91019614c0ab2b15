"""Advisories: drafts made from the forecast's events, and what staff do with them.

Drafting remembers each (hazard, day) drafted in `advisory_days`: an event is drafted again only
when one of its days is new or got worse by a category, and a still-undecided older draft of the
same hazard over the same days is superseded by it. Approve, discard, edit and set_areas change
a draft only while it is one (`... WHERE status = 'draft'` decides who won), each with its audit
line in the same transaction; approve also writes the urgent broadcast there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import aiosqlite

from bot.broadcasts.broadcasts import MAX_TEXT, BroadcastError, Broadcasts
from bot.store import Database, audit, utcnow
from bot.store import advisories as store
from bot.subscriptions.areas import WardPlace
from bot.weather import drafts
from bot.weather.models import Advisory, Decision, Event
from bot.weather.thresholds import WeatherSettings

logger = logging.getLogger(__name__)

DEFAULT_REMIND_AFTER = timedelta(minutes=120)
SYSTEM_ACTOR = "weather"


class AdvisoryError(ValueError):
    """An advisory action that cannot be done as asked (no such advisory, an empty or too long
    text, an unknown area); the message says why, for staff. Nothing was changed."""


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _row(r: aiosqlite.Row) -> Advisory:
    areas = r["areas"]
    return Advisory(
        id=int(r["id"]), hazard=r["hazard"], level=int(r["level"]), name_vi=r["name_vi"],
        name_en=r["name_en"], first_day=date.fromisoformat(r["first_day"]),
        last_day=date.fromisoformat(r["last_day"]), peak_day=date.fromisoformat(r["peak_day"]),
        value=float(r["value"]), beaufort=r["beaufort"], gust_beaufort=r["gust_beaufort"],
        guides=tuple(json.loads(r["guides"])), text_vi=r["text_vi"], text_en=r["text_en"],
        areas=None if areas is None else tuple(json.loads(areas)), status=r["status"],
        created_at=datetime.fromisoformat(r["created_at"]), reminded_at=_when(r["reminded_at"]),
        decided_by=r["decided_by"], decided_at=_when(r["decided_at"]),
        broadcast_id=r["broadcast_id"], supersedes=r["supersedes"],
    )


class Advisories:
    """The advisory drafts and decisions. Roles are checked by the channel; every change here is
    atomic, so two presses at once count once."""

    def __init__(self, db: Database, broadcasts: Broadcasts,
                 settings: WeatherSettings | None = None, ward: WardPlace | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        # The time drafts are made and decided (a test sets it; the bot runs on the real one).
        self.clock = clock
        self.broadcasts = broadcasts
        self.settings = settings
        self.ward = ward
        self.remind_after = (DEFAULT_REMIND_AFTER if settings is None
                             else timedelta(minutes=settings.remind_after_minutes))

    def _now(self) -> str:
        if self.clock is None:
            return utcnow()
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    async def draft_from(self, events: Sequence[Event]) -> list[Advisory]:
        """New drafts for the events not drafted before (or worse by a category now); an older
        undecided draft they cover is superseded. One event that fails is logged and the others
        go on."""
        made: list[Advisory] = []
        for event in events:
            try:
                new_id = await self._draft(event)
            except Exception:
                logger.exception("could not draft an advisory for %s %s..%s", event.hazard,
                                  event.first_day, event.last_day)
                continue
            if new_id is not None:
                found = await self.get(new_id)
                if found is not None:
                    made.append(found)
        return made

    async def _draft(self, event: Event) -> int | None:
        if self.settings is None or self.ward is None:
            raise RuntimeError("drafting needs the weather settings and the ward's place")
        text_vi, text_en = drafts.texts(event, self.settings, self.ward)
        days = [(d.isoformat(), level) for d, level in event.days]
        now = self._now()
        async with self.db.transaction() as conn:
            drafted = await store.drafted_days(conn, event.hazard, [d for d, _ in days])
            if all(d in drafted and level < drafted[d] + 1 for d, level in days):
                return None  # every day drafted before, none worse by a category
            older = await store.open_drafts_overlapping(
                conn, event.hazard, event.first_day.isoformat(), event.last_day.isoformat())
            superseded = [i for i in older if await store.supersede(conn, i, now)]
            new_id = await store.insert(
                conn, hazard=event.hazard, level=event.level, name_vi=event.name_vi,
                name_en=event.name_en, first_day=event.first_day.isoformat(),
                last_day=event.last_day.isoformat(), peak_day=event.peak_day.isoformat(),
                value=event.value, beaufort=event.beaufort, gust_beaufort=event.gust_beaufort,
                guides=json.dumps(list(event.guides)), text_vi=text_vi, text_en=text_en,
                status="draft", created_at=now,
                supersedes=superseded[-1] if superseded else None,
            )
            await store.remember_days(conn, event.hazard, days, new_id)
            for old in superseded:
                await audit.record(conn, SYSTEM_ACTOR, "advisory.supersede", str(old),
                                   json.dumps({"by": new_id}), at=now)
            await audit.record(
                conn, SYSTEM_ACTOR, "advisory.draft", str(new_id),
                json.dumps({"hazard": event.hazard, "level": event.level,
                            "days": [d for d, _ in days], "value": event.value}), at=now)
        logger.info("drafted advisory %s: %s level %s, %s..%s", new_id, event.hazard,
                    event.level, event.first_day, event.last_day)
        return new_id

    async def get(self, advisory_id: int) -> Advisory | None:
        r = await store.get(self.db, advisory_id)
        return _row(r) if r else None

    async def add_message(self, advisory_id: int, chat_id: int, message_id: int) -> None:
        """Remember a staff copy of the draft (to update it when someone decides)."""
        await store.add_message(self.db, advisory_id, chat_id, message_id)

    async def messages(self, advisory_id: int) -> list[tuple[int, int]]:
        """The staff copies: (chat_id, message_id)."""
        return await store.messages(self.db, advisory_id)

    async def _current(self, conn: aiosqlite.Connection, advisory_id: int) -> aiosqlite.Row:
        r = await store.get_on(conn, advisory_id)
        if r is None:
            raise AdvisoryError(f"no advisory {advisory_id}")
        return r

    async def _decision(self, advisory_id: int, changed: bool) -> Decision:
        found = await self.get(advisory_id)
        assert found is not None
        return Decision(found, changed, found.broadcast_id)

    async def approve(self, advisory_id: int, user_id: int) -> Decision:
        """Approve a draft: an urgent broadcast of its texts to its areas (None: every area),
        made in the same transaction. changed False: it was no longer a draft (nothing done).
        AdvisoryError (nothing changed) when the broadcast cannot be made, e.g. its areas were
        removed from the area list."""
        now = self._now()
        async with self.db.transaction() as conn:
            r = await self._current(conn, advisory_id)
            if not await store.decide(conn, advisory_id, "approved", user_id, now):
                changed = False
            else:
                areas = None if r["areas"] is None else json.loads(r["areas"])
                try:
                    broadcast_id = await self.broadcasts.create_on(
                        conn, r["text_vi"], text_en=r["text_en"], targets=areas, urgent=True,
                        created_by=f"advisory:{advisory_id}/tg:{user_id}", notify_chat=user_id,
                    )
                except BroadcastError as exc:
                    raise AdvisoryError(f"advisory {advisory_id} cannot be sent: {exc}") from exc
                await store.set_broadcast(conn, advisory_id, broadcast_id)
                await audit.record(conn, str(user_id), "advisory.approve", str(advisory_id),
                                   json.dumps({"broadcast": broadcast_id,
                                               "areas": areas or "all"}), at=now)
                changed = True
        if changed:
            logger.info("advisory %s approved by %s", advisory_id, user_id)
        return await self._decision(advisory_id, changed)

    async def discard(self, advisory_id: int, user_id: int) -> Decision:
        """Discard a draft: nothing is sent. Its days stay drafted (not drafted again unless
        worse by a category)."""
        now = self._now()
        async with self.db.transaction() as conn:
            await self._current(conn, advisory_id)
            changed = await store.decide(conn, advisory_id, "discarded", user_id, now)
            if changed:
                await audit.record(conn, str(user_id), "advisory.discard", str(advisory_id),
                                   at=now)
        return await self._decision(advisory_id, changed)

    async def edit(self, advisory_id: int, user_id: int, text_vi: str,
                   text_en: str | None) -> Decision:
        """New texts for a draft (text_en None: the English text stays). AdvisoryError for an
        empty or too long text."""
        text_vi = (text_vi or "").strip()
        if not text_vi:
            raise AdvisoryError("the Vietnamese text is empty")
        if text_en is not None:
            text_en = text_en.strip()
            if not text_en:
                raise AdvisoryError("the English text is empty")
        for text in (text_vi, text_en or ""):
            if len(text) > MAX_TEXT:
                raise AdvisoryError(f"a text has {len(text)} characters; at most {MAX_TEXT}")
        async with self.db.transaction() as conn:
            r = await self._current(conn, advisory_id)
            changed = await store.set_texts(conn, advisory_id, text_vi,
                                            r["text_en"] if text_en is None else text_en)
            if changed:
                await audit.record(conn, str(user_id), "advisory.edit", str(advisory_id),
                                   json.dumps({"en": text_en is not None}))
        return await self._decision(advisory_id, changed)

    async def set_areas(self, advisory_id: int, user_id: int,
                        areas: tuple[str, ...] | None) -> Decision:
        """The areas a draft goes to (None: every area). AdvisoryError for an unknown area or an
        empty choice."""
        chosen: tuple[str, ...] | None = None
        if areas is not None:
            unknown = sorted(a for a in set(areas) if self.broadcasts.areas.get(a) is None)
            if unknown:
                raise AdvisoryError(f"unknown area {', '.join(map(repr, unknown))}")
            if not areas:
                raise AdvisoryError("no area chosen")
            wanted = set(areas)
            chosen = tuple(a.id for a in self.broadcasts.areas.areas if a.id in wanted)
        async with self.db.transaction() as conn:
            await self._current(conn, advisory_id)
            changed = await store.set_areas(conn, advisory_id, chosen)
            if changed:
                await audit.record(conn, str(user_id), "advisory.areas", str(advisory_id),
                                   json.dumps(list(chosen) if chosen is not None else "all"))
        return await self._decision(advisory_id, changed)

    async def due_reminders(self, now: datetime | None = None) -> list[Advisory]:
        """Drafts older than remind_after_minutes and never reminded; each is marked reminded,
        so it is returned once."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        before = (now - self.remind_after).isoformat(timespec="seconds")
        async with self.db.transaction() as conn:
            ids = await store.mark_reminders(conn, before, now.isoformat(timespec="seconds"))
        return [_row(r) for r in await store.by_ids(self.db, ids)]

    async def active(self, today: date) -> list[Advisory]:
        """Approved advisories whose last day is today or later."""
        return [_row(r) for r in await store.active(self.db, today.isoformat())]

    async def approved(self) -> list[Advisory]:
        """Every approved advisory, oldest first (the CAP feed)."""
        return [_row(r) for r in await store.approved(self.db)]
