"""Broadcasts: what staff send, to whom and when. The `broadcasts` table is the schedule's truth.

Recipients are worked out when sending starts (so a chat that unsubscribed after scheduling gets
nothing) and written to the outbox in the same transaction; delivery.py sends from there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.areas import AreaCatalog
from bot.store import Database, events, outbox, utcnow

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Counts:
    recipients: int
    sent: int
    failed: int
    blocked: int
    pending: int


def _row(r: object) -> Broadcast:
    g = r.__getitem__  # type: ignore[attr-defined]
    return Broadcast(
        id=g("id"), status=g("status"), text_vi=g("text_vi"), text_en=g("text_en"),
        target_all=bool(g("target_all")), areas=tuple(json.loads(g("areas"))),
        urgent=bool(g("urgent")), send_at=datetime.fromisoformat(g("send_at")),
        campaign=g("campaign"), created_by=g("created_by"), notify_chat=g("notify_chat"),
        progress_msg=g("progress_msg"), created_at=g("created_at"), started_at=g("started_at"),
        finished_at=g("finished_at"),
    )


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

    async def create(
        self, text_vi: str, *, text_en: str | None = None, targets: Iterable[str] | None = None,
        send_at: datetime | None = None, urgent: bool = False, created_by: str,
        notify_chat: int | None = None, campaign: str | None = None,
        occurrence: str | None = None,
    ) -> Broadcast:
        """A new scheduled broadcast (send_at None: now). targets None: every subscriber."""
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
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO broadcasts (status, text_vi, text_en, target_all, areas, urgent, "
                "send_at, campaign, occurrence, created_by, notify_chat, created_at) "
                "VALUES ('scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (text_vi, text_en, int(targets is None), json.dumps(areas), int(urgent),
                 when.isoformat(timespec="seconds"), campaign, occurrence, created_by,
                 notify_chat, now),
            )
            new_id = cur.lastrowid
            await conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (now, created_by, "broadcast.create", str(new_id),
                 json.dumps({"areas": list(areas) or "all", "send_at": when.isoformat(),
                             "urgent": urgent})),
            )
        created = await self.get(int(new_id or 0))
        assert created is not None
        return created

    async def get(self, broadcast_id: int) -> Broadcast | None:
        r = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _row(r) if r else None

    async def list(self, statuses: Iterable[str] = STATUSES, limit: int = 200) -> list[Broadcast]:
        wanted = [s for s in statuses if s in STATUSES]
        marks = ",".join("?" * len(wanted))
        rows = await self.db.fetchall(
            f"SELECT * FROM broadcasts WHERE status IN ({marks}) "  # noqa: S608 - only '?' marks
            "ORDER BY send_at DESC, id DESC LIMIT ?",
            (*wanted, limit),
        )
        return [_row(r) for r in rows]

    async def counts(self, broadcast_id: int) -> Counts:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        c = {r["status"]: r["n"] for r in rows}
        return Counts(sum(c.values()), c.get("sent", 0), c.get("failed", 0), c.get("blocked", 0),
                      c.get("pending", 0))

    async def recipients_now(self, broadcast: Broadcast) -> int:
        """How many chats would get it if it started now (for previews)."""
        return await self.count_recipients(None if broadcast.target_all else broadcast.areas)

    async def count_recipients(self, areas: tuple[str, ...] | None) -> int:
        """How many chats a broadcast to these areas (None: all) would reach now."""
        sql, params = _recipients_query(areas)
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM ({sql})", params)  # noqa: S608
        return int(row[0]) if row else 0

    async def cancel(self, broadcast_id: int, actor: str) -> Broadcast:
        b = await self.get(broadcast_id)
        if b is None:
            raise BroadcastError(f"no broadcast {broadcast_id}")
        if b.status not in ("scheduled", "sending"):
            raise BroadcastError(f"broadcast {broadcast_id} is {b.status}; it cannot be cancelled")
        now = utcnow()
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ?",
                (now, broadcast_id),
            )
            await conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (now, actor, "broadcast.cancel", str(broadcast_id), b.status),
            )
        cancelled = await self.get(broadcast_id)
        assert cancelled is not None
        return cancelled

    async def start(self, broadcast_id: int) -> int:
        """Write the outbox and mark it sending (in chunks: see outbox.write_recipients)."""
        b = await self.get(broadcast_id)
        if b is None or b.status != "scheduled":
            return 0
        sql, params = _recipients_query(None if b.target_all else b.areas)
        recipients = await outbox.write_recipients(self.db, broadcast_id, sql, params)
        if recipients is None:  # someone else started or cancelled it
            return 0
        await events.log(self.db, "broadcast", detail=f"{broadcast_id}:{recipients}",
                         area_id=None if b.target_all else ",".join(b.areas)[:200])
        logger.info("broadcast %s started: %d recipients", broadcast_id, recipients)
        return recipients

    async def due(self, now: datetime) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE status = 'scheduled' AND send_at <= ? "
            "ORDER BY urgent DESC, send_at, id",
            (now.astimezone(UTC).isoformat(timespec="seconds"),),
        )
        return [_row(r) for r in rows]

    async def mark_missed(self, broadcast_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET status = 'missed', finished_at = ? "
            "WHERE id = ? AND status = 'scheduled'",
            (utcnow(), broadcast_id),
        )

    async def finish_if_complete(self, broadcast_id: int) -> bool:
        """Done when nothing is pending; True the one time it becomes done."""
        counts = await self.counts(broadcast_id)
        if counts.pending:
            return False
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET status = 'done', finished_at = ? "
                "WHERE id = ? AND status = 'sending'",
                (utcnow(), broadcast_id),
            )
            return cur.rowcount == 1

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET progress_msg = ? WHERE id = ?", (message_id, broadcast_id)
        )


def _recipients_query(areas: tuple[str, ...] | None) -> tuple[str, tuple[object, ...]]:
    """Subscribed, not blocked chats of these areas (None: all); each chat once."""
    base = "SELECT chat_id, lang, area_id, kind FROM chats WHERE subscribed = 1 AND blocked = 0"
    if areas is None:
        return base, ()
    marks = ",".join("?" * len(areas))
    return f"{base} AND area_id IN ({marks})", tuple(areas)
