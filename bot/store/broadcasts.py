"""Queries on the broadcasts table and its outbox (the rows delivery sends from).

Functions that change state take the caller's transaction connection, so a check and its change
(a cancel reading the status, a start writing the outbox) are one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

import aiosqlite

from bot.store.chats import CHAT_KIND_SQL
from bot.store.database import Database

CANCELLABLE = ("scheduled", "sending")
OUTBOX_STATUSES = ("pending", "sent", "failed", "blocked", "cancelled", "unreachable")


RECIPIENT_KIND_SQL = (
    "CASE WHEN kind = 'private' THEN 'household' ELSE coalesce(group_kind, 'other') END"
)
"""A chat's recipient kind as broadcasts target it: household (a private chat) or its group kind;
a group whose kind is not set yet counts as `other`."""


def recipients_query(
    areas: Sequence[str] | None, kinds: Sequence[str] | None = None,
) -> tuple[str, tuple[object, ...]]:
    """Subscribed, not blocked chats of these areas (None: all) and recipient kinds (None: every
    kind); each chat once. Its `kind` is the outreach log's (`chat_kind`): private, a group
    kind, or group while not set; its `channel` the chat's (telegram or zalo)."""
    sql = (f"SELECT chat_id, lang, area_id, {CHAT_KIND_SQL} AS kind, channel "  # noqa: S608
           "FROM chats WHERE subscribed = 1 AND blocked = 0")
    params: tuple[object, ...] = ()
    if areas is not None:
        sql += f" AND area_id IN ({','.join('?' * len(areas))})"
        params += tuple(areas)
    if kinds is not None:
        sql += f" AND {RECIPIENT_KIND_SQL} IN ({','.join('?' * len(kinds))})"
        params += tuple(kinds)
    return sql, params


async def recipients_by_kind(db: Database, areas: Sequence[str] | None) -> dict[str, int]:
    """{recipient kind: chats a broadcast to these areas (None: all) would reach now}."""
    sql = (f"SELECT {RECIPIENT_KIND_SQL} AS rkind, COUNT(*) AS n FROM chats "  # noqa: S608
           "WHERE subscribed = 1 AND blocked = 0")
    params: tuple[object, ...] = ()
    if areas is not None:
        sql += f" AND area_id IN ({','.join('?' * len(areas))})"
        params = tuple(areas)
    rows = await db.fetchall(sql + " GROUP BY rkind", params)
    return {str(r["rkind"]): int(r["n"]) for r in rows}


async def insert(
    conn: aiosqlite.Connection, *, text_vi: str, text_en: str | None, target_all: bool,
    areas: Sequence[str], urgent: bool, send_at: str, campaign: str | None,
    occurrence: str | None, created_by: str, notify_chat: int | None, created_at: str,
    kinds: Sequence[str] | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO broadcasts (status, text_vi, text_en, target_all, areas, urgent, "
        "send_at, campaign, occurrence, created_by, notify_chat, created_at, kinds) "
        "VALUES ('scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (text_vi, text_en, int(target_all), json.dumps(list(areas)), int(urgent), send_at,
         campaign, occurrence, created_by, notify_chat, created_at,
         None if kinds is None else json.dumps(list(kinds))),
    )
    return int(cur.lastrowid or 0)


async def get(db: Database, broadcast_id: int) -> aiosqlite.Row | None:
    return await db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))


async def by_status(db: Database, statuses: Iterable[str], limit: int) -> list[aiosqlite.Row]:
    wanted = list(statuses)
    marks = ",".join("?" * len(wanted))
    return await db.fetchall(
        f"SELECT * FROM broadcasts WHERE status IN ({marks}) "  # noqa: S608 - only '?' marks
        "ORDER BY send_at DESC, id DESC LIMIT ?",
        (*wanted, limit),
    )


async def due(db: Database, now: str) -> list[aiosqlite.Row]:
    """Scheduled broadcasts whose time has come, urgent first."""
    return await db.fetchall(
        "SELECT * FROM broadcasts WHERE status = 'scheduled' AND send_at <= ? "
        "ORDER BY urgent DESC, send_at, id",
        (now,),
    )


async def outbox_counts(db: Database, broadcast_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,),
    )
    return {r["status"]: int(r["n"]) for r in rows}


async def outbox_counts_by_channel(db: Database, broadcast_id: int,
                                   channel: str | None = None) -> dict[str, dict[str, int]]:
    """{channel: {status: rows}} of one broadcast (`channel`: only that one's rows, each status
    counted on its own range of the outbox_channel index, never reading the other channel's)."""
    found: dict[str, dict[str, int]] = {}
    if channel is None:
        try:
            rows = await db.fetchall(
                "SELECT channel, status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? "
                "GROUP BY channel, status", (broadcast_id,))
        except sqlite3.OperationalError as exc:
            # The CLI reads a database a running older bot has not migrated to 0012 yet: every
            # row of it is Telegram's.
            if "channel" not in str(exc):
                raise
            return {"telegram": await outbox_counts(db, broadcast_id)}
        for r in rows:
            found.setdefault(str(r["channel"]), {})[str(r["status"])] = int(r["n"])
        return found
    mine = found.setdefault(channel, {})
    for status in OUTBOX_STATUSES:
        row = await db.fetchone(
            "SELECT COUNT(*) FROM outbox WHERE channel = ? AND status = ? AND broadcast_id = ?",
            (channel, status, broadcast_id))
        if row is not None and row[0]:
            mine[status] = int(row[0])
    return found


async def count_recipients(db: Database, areas: Sequence[str] | None,
                           kinds: Sequence[str] | None = None) -> int:
    sql, params = recipients_query(areas, kinds)
    sql = sql.replace(" AS kind, channel ", " AS kind ")  # a count needs no channel (pre-0012)
    try:
        row = await db.fetchone(f"SELECT COUNT(*) FROM ({sql})", params)  # noqa: S608
    except sqlite3.OperationalError as exc:
        # The CLI reads a database a running older bot has not migrated to 0009 yet: it has
        # no group kinds, and every broadcast on it goes to every kind.
        if "group_kind" not in str(exc) or kinds is not None:
            raise
        sql, params = recipients_query(areas)
        sql = sql.replace(CHAT_KIND_SQL, "kind").replace(" AS kind, channel ", " AS kind ")
        row = await db.fetchone(f"SELECT COUNT(*) FROM ({sql})", params)  # noqa: S608
    return int(row[0]) if row else 0


async def status_of(conn: aiosqlite.Connection, broadcast_id: int) -> str | None:
    """The status as this transaction sees it."""
    async with conn.execute("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def cancel(
    conn: aiosqlite.Connection, broadcast_id: int, now: str, reason: str | None = None
) -> bool:
    """Cancel a scheduled or sending broadcast and its pending outbox rows; False if it was
    in another status (a concurrent finish or cancel won)."""
    cur = await conn.execute(
        "UPDATE broadcasts SET status = 'cancelled', finished_at = ?, reason = ? "
        "WHERE id = ? AND status IN ('scheduled', 'sending')",
        (now, reason, broadcast_id),
    )
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'pending'",
        (broadcast_id,),
    )
    return True


# A scheduled broadcast may hold part of its outbox (written in chunks before it starts, or
# left by a crash mid-way): whatever ends it cancels those rows too, or they stay pending.
CANCEL_UNSENT_OF = (
    "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' AND broadcast_id IN "
    "(SELECT id FROM broadcasts WHERE {})"
)


async def cancel_scheduled_of_campaign(conn: aiosqlite.Connection, campaign: str,
                                       now: str) -> None:
    """A campaign paused or removed: what it planned and has not started is cancelled."""
    await conn.execute(
        CANCEL_UNSENT_OF.format("campaign = ? AND status = 'scheduled'"), (campaign,))
    await conn.execute(
        "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
        "WHERE campaign = ? AND status = 'scheduled'", (now, campaign),
    )


async def mark_missed(db: Database, broadcast_id: int, now: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            CANCEL_UNSENT_OF.format("id = ? AND status = 'scheduled'"), (broadcast_id,))
        await conn.execute(
            "UPDATE broadcasts SET status = 'missed', finished_at = ? "
            "WHERE id = ? AND status = 'scheduled'",
            (now, broadcast_id),
        )


async def finish(db: Database, broadcast_id: int, now: str) -> bool:
    """Sending → done when no outbox row is pending, in one statement; True if it changed."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE broadcasts SET status = 'done', finished_at = ? "
            "WHERE id = ? AND status = 'sending' AND NOT EXISTS "
            "(SELECT 1 FROM outbox WHERE broadcast_id = ? AND status = 'pending')",
            (now, broadcast_id, broadcast_id),
        )
        return cur.rowcount == 1


async def set_progress_message(db: Database, broadcast_id: int, message_id: int) -> None:
    await db.execute(
        "UPDATE broadcasts SET progress_msg = ? WHERE id = ?", (message_id, broadcast_id)
    )


async def occurrence_exists(db: Database, campaign: str, occurrence: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM broadcasts WHERE campaign = ? AND occurrence = ?", (campaign, occurrence)
    )
    return row is not None


async def areas_of(db: Database, broadcast_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The whole target list of each broadcast (empty: everyone), to read old outreach events
    whose target list was cut at 200 characters."""
    ids = sorted(set(broadcast_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(
        f"SELECT id, target_all, areas FROM broadcasts WHERE id IN ({marks})",  # noqa: S608
        ids,
    )
    return {int(r["id"]): () if r["target_all"] else tuple(json.loads(r["areas"]))
            for r in rows}
