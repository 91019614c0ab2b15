"""Broadcasts: what staff send, to whom and when. The `broadcasts` table is the schedule's truth.

Recipients are worked out when sending starts (so a chat that unsubscribed after scheduling gets
nothing) and written to the outbox, in chunks, before the transaction that starts sending (see
store/outbox.write_recipients); delivery.py sends from there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import aiosqlite

from bot.store import Database, audit, outbox, utcnow
from bot.store import broadcasts as store
from bot.store.events import CHANNELS
from bot.subscriptions.areas import AreaCatalog

logger = logging.getLogger(__name__)

RECIPIENT_KINDS = ("household", "school", "market", "office", "residential", "other")
"""Whom a broadcast can be limited to: households (private chats) and the kinds of groups (a
group whose kind is not set yet counts as `other`)."""
MAX_TEXT = 3500  # room for the escaped text under Telegram's 4,096
STATUSES = ("scheduled", "sending", "done", "cancelled", "missed")


class BroadcastError(ValueError):
    """A broadcast that cannot be made as asked; the message says why, for staff."""


@dataclass(frozen=True)
class Broadcast:
    id: int
    status: str
    text_vi: str
    text_en: str | None
    target_all: bool
    areas: tuple[str, ...]
    urgent: bool
    send_at: datetime
    campaign: str | None
    created_by: str
    notify_chat: int | None
    progress_msg: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    reason: str | None = None  # why it was not sent as asked (e.g. its areas were removed)
    kinds: tuple[str, ...] | None = None  # recipient kinds it goes to; None: every kind


CHANNEL_COUNTS = ("recipients", "sent", "failed", "blocked", "pending", "unreachable")
"""The counts `Counts.by_channel` holds for each channel (and `broadcast show --json` shows)."""


@dataclass(frozen=True)
class Counts:
    recipients: int
    sent: int
    failed: int
    blocked: int
    pending: int
    cancelled: int = 0  # rows not sent because the broadcast was cancelled while sending
    # Zalo followers no message can reach (silent for more than 7 days, no phone shared):
    # counted, never retried, never silently dropped.
    unreachable: int = 0
    # {"telegram": {"recipients": ..., "sent": ..., ...CHANNEL_COUNTS}, "zalo": {...}}
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, by_status: dict[str, dict[str, int]]) -> Counts:
        """From {channel: {outbox status: rows}}; every channel present in by_channel."""
        total: dict[str, int] = {}
        per: dict[str, dict[str, int]] = {}
        for channel in (*CHANNELS, *sorted(set(by_status) - set(CHANNELS))):
            found = by_status.get(channel, {})
            per[channel] = {"recipients": sum(found.values()),
                            **{k: found.get(k, 0) for k in CHANNEL_COUNTS[1:]}}
            for status, n in found.items():
                total[status] = total.get(status, 0) + n
        return cls(sum(total.values()), total.get("sent", 0), total.get("failed", 0),
                   total.get("blocked", 0), total.get("pending", 0), total.get("cancelled", 0),
                   total.get("unreachable", 0), per)

    def plus(self, other: Counts) -> Counts:
        """Two disjoint sets of rows (e.g. two channels' counts) counted together."""
        per = {ch: dict(c) for ch, c in self.by_channel.items()}
        for ch, c in other.by_channel.items():
            mine = per.setdefault(ch, dict.fromkeys(CHANNEL_COUNTS, 0))
            for k, n in c.items():
                mine[k] = mine.get(k, 0) + n
        return Counts(self.recipients + other.recipients, self.sent + other.sent,
                      self.failed + other.failed, self.blocked + other.blocked,
                      self.pending + other.pending, self.cancelled + other.cancelled,
                      self.unreachable + other.unreachable, per)

    def moved(self, channel: str, status: str) -> Counts:
        """One pending row of `channel` ended as `status` (sent, failed, blocked, ...)."""
        per = {ch: dict(c) for ch, c in self.by_channel.items()}
        mine = per.setdefault(channel, dict.fromkeys(CHANNEL_COUNTS, 0))
        mine["pending"] = mine.get("pending", 0) - 1
        if status in CHANNEL_COUNTS:
            mine[status] = mine.get(status, 0) + 1
        return replace(self, pending=self.pending - 1, by_channel=per,
                       **{status: getattr(self, status) + 1})


def _row(r: object) -> Broadcast:
    g = r.__getitem__  # type: ignore[attr-defined]
    return Broadcast(
        id=g("id"), status=g("status"), text_vi=g("text_vi"), text_en=g("text_en"),
        target_all=bool(g("target_all")), areas=tuple(json.loads(g("areas"))),
        urgent=bool(g("urgent")), send_at=datetime.fromisoformat(g("send_at")),
        campaign=g("campaign"), created_by=g("created_by"), notify_chat=g("notify_chat"),
        progress_msg=g("progress_msg"), created_at=g("created_at"), started_at=g("started_at"),
        finished_at=g("finished_at"),
        # A row's `in` looks at values: ask its keys (a database before migration 0008 has none).
        reason=g("reason") if "reason" in r.keys() else None,  # type: ignore[attr-defined]  # noqa: SIM118
        kinds=_kinds(g("kinds")) if "kinds" in r.keys() else None,  # type: ignore[attr-defined]  # noqa: SIM118
    )


def _kinds(stored: str | None) -> tuple[str, ...] | None:
    return None if stored is None else tuple(json.loads(stored))


def check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...] | None:
    """Recipient kinds in their canonical order, once each (None or all six: None, every kind);
    an unknown kind is a BroadcastError naming the choices."""
    if kinds is None:
        return None
    wanted = set(kinds)
    unknown = sorted(wanted - set(RECIPIENT_KINDS))
    if unknown:
        raise BroadcastError(f"unknown recipient kind {', '.join(map(repr, unknown))} "
                             f"(choose from {', '.join(RECIPIENT_KINDS)})")
    if not wanted:
        raise BroadcastError("no recipient kind chosen")
    if wanted == set(RECIPIENT_KINDS):
        return None
    return tuple(k for k in RECIPIENT_KINDS if k in wanted)


class Broadcasts:
    def __init__(self, db: Database, areas: AreaCatalog) -> None:
        self.db = db
        self.areas = areas

    def expand_targets(self, targets: Iterable[str]) -> tuple[str, ...]:
        """Area ids and group ids to a sorted set of area ids; unknown ids are an error."""
        found: set[str] = set()
        for target in targets:
            group = next((g for g in self.areas.groups if g.id == target), None)
            if group is not None:
                found.update(group.area_ids)
            elif self.areas.get(target) is not None:
                found.add(target)
            else:
                raise BroadcastError(f"unknown area or group {target!r} (see: sansang areas)")
        return tuple(sorted(found))

    def known_targets(self, targets: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the area ids these targets still reach, the ids no longer in the area list)."""
        known = {g.id for g in self.areas.groups} | {a.id for a in self.areas.areas}
        wanted = tuple(targets)
        missing = tuple(sorted({t for t in wanted if t not in known}))
        return self.expand_targets(t for t in wanted if t in known), missing

    async def create(
        self, text_vi: str, *, text_en: str | None = None, targets: Iterable[str] | None = None,
        send_at: datetime | None = None, urgent: bool = False, created_by: str,
        notify_chat: int | None = None, campaign: str | None = None,
        occurrence: str | None = None, kinds: Iterable[str] | None = None,
    ) -> Broadcast:
        """A new scheduled broadcast (send_at None: now). targets None: every subscriber;
        kinds None: every recipient kind (households and every kind of group)."""
        async with self.db.transaction() as conn:
            new_id = await self.create_on(
                conn, text_vi, text_en=text_en, targets=targets, send_at=send_at, urgent=urgent,
                created_by=created_by, notify_chat=notify_chat, campaign=campaign,
                occurrence=occurrence, kinds=kinds,
            )
        created = await self.get(new_id)
        assert created is not None
        return created

    async def create_on(
        self, conn: aiosqlite.Connection, text_vi: str, *, text_en: str | None = None,
        targets: Iterable[str] | None = None, send_at: datetime | None = None,
        urgent: bool = False, created_by: str, notify_chat: int | None = None,
        campaign: str | None = None, occurrence: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> int:
        """`create` on the caller's transaction (a weather advisory approved and its broadcast
        are one transaction); returns the new id. BroadcastError before anything is written."""
        chosen_kinds = check_kinds(kinds)
        text_vi = (text_vi or "").strip()
        text_en = (text_en or "").strip() or None
        if not text_vi:
            raise BroadcastError("the Vietnamese text is empty")
        for text in (text_vi, text_en or ""):
            if len(text) > MAX_TEXT:
                raise BroadcastError(f"a text has {len(text)} characters; at most {MAX_TEXT}")
        areas = () if targets is None else self.expand_targets(targets)
        if targets is not None and not areas:
            raise BroadcastError("no area chosen")
        when = (send_at or datetime.now(UTC)).astimezone(UTC)
        now = utcnow()
        new_id = await store.insert(
            conn, text_vi=text_vi, text_en=text_en, target_all=targets is None, areas=areas,
            urgent=urgent, send_at=when.isoformat(timespec="seconds"), campaign=campaign,
            occurrence=occurrence, created_by=created_by, notify_chat=notify_chat,
            created_at=now, kinds=chosen_kinds,
        )
        await audit.record(
            conn, created_by, "broadcast.create", str(new_id),
            json.dumps({"areas": list(areas) or "all", "send_at": when.isoformat(),
                        "urgent": urgent, "kinds": list(chosen_kinds or ()) or "all"}),
            at=now,
        )
        return new_id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        r = await store.get(self.db, broadcast_id)
        return _row(r) if r else None

    async def list(self, statuses: Iterable[str] = STATUSES, limit: int = 200) -> list[Broadcast]:
        wanted = [s for s in statuses if s in STATUSES]
        return [_row(r) for r in await store.by_status(self.db, wanted, limit)]

    async def counts(self, broadcast_id: int, channel: str | None = None) -> Counts:
        """The outbox of a broadcast counted, in all and per channel (`channel`: only its rows;
        through the channel index, so cheap however big the other channel's part is)."""
        return Counts.of(await store.outbox_counts_by_channel(self.db, broadcast_id, channel))

    async def recipients_now(self, broadcast: Broadcast) -> int:
        """How many chats would get it if it started now (for previews)."""
        return await self.count_recipients(None if broadcast.target_all else broadcast.areas,
                                           broadcast.kinds)

    async def count_recipients(self, areas: tuple[str, ...] | None,
                               kinds: Iterable[str] | None = None) -> int:
        """How many chats a broadcast to these areas (None: all) and recipient kinds (None:
        every kind) would reach now."""
        return await store.count_recipients(self.db, areas, check_kinds(kinds))

    async def recipients_by_kind(self, areas: Iterable[str] | None) -> dict[str, int]:
        """For a preview: {recipient kind: chats reached now} in these areas (None: all), every
        one of the six kinds present (0 when none)."""
        found = await store.recipients_by_kind(self.db, None if areas is None else tuple(areas))
        return {kind: found.get(kind, 0) for kind in RECIPIENT_KINDS}

    async def cancel(self, broadcast_id: int, actor: str, reason: str | None = None) -> Broadcast:
        """Cancel a scheduled or sending broadcast; its pending outbox rows become 'cancelled'.

        The status is read and changed in one transaction, so a broadcast that finished (or was
        cancelled) meanwhile is never overwritten: the first to commit wins, the other is told.
        """
        now = utcnow()
        async with self.db.transaction() as conn:
            status = await store.status_of(conn, broadcast_id)
            if status is None:
                raise BroadcastError(f"no broadcast {broadcast_id}")
            if status not in store.CANCELLABLE or not await store.cancel(
                conn, broadcast_id, now, reason
            ):
                raise BroadcastError(f"broadcast {broadcast_id} is {status}; it cannot be "
                                     "cancelled")
            await audit.record(conn, actor, "broadcast.cancel", str(broadcast_id),
                               status if reason is None else f"{status}: {reason}", at=now)
        cancelled = await self.get(broadcast_id)
        assert cancelled is not None
        return cancelled

    async def start(self, broadcast_id: int, areas: tuple[str, ...] | None = None) -> int | None:
        """Write the outbox and mark it sending (in chunks: see outbox.write_recipients);
        return the recipients, or None when this call did not start it (cancelled meanwhile, or
        started by another call).

        `areas`: the areas to send to when they differ from the broadcast's own (some of them
        were removed from the area list)."""
        b = await self.get(broadcast_id)
        if b is None or b.status != "scheduled":
            return None
        targets = None if b.target_all else (b.areas if areas is None else areas)
        sql, params = store.recipients_query(targets, b.kinds)
        # The targets whole (area ids hold no comma): the report counts it in each of them.
        recipients = await outbox.write_recipients(
            self.db, broadcast_id, sql, params,
            targets=None if targets is None else ",".join(targets))
        if recipients is None:  # someone else started or cancelled it
            return None
        logger.info("broadcast %s started: %d recipients", broadcast_id, recipients)
        return recipients

    async def due(self, now: datetime) -> list[Broadcast]:
        rows = await store.due(self.db, now.astimezone(UTC).isoformat(timespec="seconds"))
        return [_row(r) for r in rows]

    async def mark_missed(self, broadcast_id: int) -> None:
        await store.mark_missed(self.db, broadcast_id, utcnow())

    async def finish_if_complete(self, broadcast_id: int) -> bool:
        """Done when nothing is pending; True the one time it becomes done."""
        return await store.finish(self.db, broadcast_id, utcnow())

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        await store.set_progress_message(self.db, broadcast_id, message_id)
