"""The outbox's SQL: writing a broadcast's recipients in chunks, reading the rows due, and
rescheduling rows for later. (Results are written by `Delivery.flush`.)

Every query on a big outbox goes through an index: `outbox_channel (channel, status,
broadcast_id)` for one channel's rows left to send, `outbox_pending (status, broadcast_id)` for
whether any is left, the primary key (broadcast_id, chat_id) for one row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.store import events
from bot.store.database import Database, utcnow
from bot.store.events import Event

logger = logging.getLogger(__name__)

CHUNK_ROWS = 20_000  # recipients written per transaction: ~50 ms each on a 2-core machine


@dataclass
class Row:
    """One pending outbox row, as delivery sends it."""

    broadcast_id: int
    chat_id: int
    lang: str
    area_id: str | None
    chat_kind: str
    attempts: int
    channel: str = "telegram"


async def write_recipients(
    db: Database, broadcast_id: int, recipients_sql: str, params: tuple[object, ...],
    *, chunk: int | None = None, targets: str | None = None,
) -> int | None:
    """Write a scheduled broadcast's recipients, then mark it 'sending'; the count, or None when
    it is no longer 'scheduled' (cancelled, or started by someone else).

    `recipients_sql` selects (chat_id, lang, area_id, kind, channel) of the chats to reach now. A
    big outbox is written in chunks of `chunk` rows, each its own short transaction, so the bot's
    one connection answers residents between them. The broadcast stays 'scheduled' meanwhile
    (delivery sends only 'sending' broadcasts), and the last transaction re-checks the chats
    changed since the first chunk: it drops those no longer recipients, adds new ones, and flips
    the status. So the recipients are still those of the moment sending starts, written in the
    transaction that starts it. A crash mid-way leaves it 'scheduled' with part of its outbox: the
    next start goes on from the last chat written (started_at marks when writing began).

    The outreach event of the start ("broadcast", its recipients, `targets`: the area ids joined
    by commas, None for everyone) is written in that same last transaction.
    """
    chunk = chunk or CHUNK_ROWS
    first = True
    while True:
        if not first:
            await asyncio.sleep(0)  # let the replies waiting for the connection go first
        first = False
        async with db.transaction() as conn:
            async with conn.execute(
                "SELECT status, started_at FROM broadcasts WHERE id = ?", (broadcast_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is None or row[0] != "scheduled":
                return None
            began = row[1]
            if began is None:
                began = utcnow()
                await conn.execute("UPDATE broadcasts SET started_at = ? WHERE id = ?",
                                   (began, broadcast_id))
            async with conn.execute(
                "SELECT MAX(chat_id) FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
            ) as cur:
                last_row = await cur.fetchone()
            last = last_row[0] if last_row is not None and last_row[0] is not None else None
            after = "" if last is None else " WHERE chat_id > ?"
            # The query is ours; its values are '?' parameters.
            select = (f"SELECT ?, chat_id, lang, area_id, kind, channel "  # noqa: S608
                      f"FROM ({recipients_sql}){after} ")
            args = (broadcast_id, *params, *(() if last is None else (last,)), chunk)
            async with conn.execute(
                "INSERT OR IGNORE INTO outbox "
                "(broadcast_id, chat_id, lang, area_id, chat_kind, channel) "
                + select + "ORDER BY chat_id LIMIT ?", args
            ) as cur:
                written = cur.rowcount
            if written >= chunk:
                continue  # committed: the next chunk in a transaction of its own
            await _recheck_changed(conn, broadcast_id, recipients_sql, params, began)
            async with conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
            ) as cur:
                count_row = await cur.fetchone()
            recipients = int(count_row[0]) if count_row else 0
            await conn.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = ? WHERE id = ?",
                (utcnow(), broadcast_id),
            )
            await events.add(conn, db.tz, [Event("broadcast", area_id=targets,
                                                 detail=f"{broadcast_id}:{recipients}")])
            return recipients


async def _recheck_changed(conn: aiosqlite.Connection, broadcast_id: int, recipients_sql: str,
                           params: tuple[object, ...], began: str) -> None:
    """Inside the final transaction: chats changed since writing began are recipients exactly
    when they are recipients now. (A forgotten chat's rows are deleted with the chat.)"""
    since = (datetime.fromisoformat(began) - timedelta(seconds=1)).astimezone(UTC)
    changed = "SELECT chat_id FROM chats WHERE updated_at >= ?"
    stamp = since.isoformat(timespec="seconds")
    await conn.execute(
        f"DELETE FROM outbox WHERE broadcast_id = ? AND status = 'pending' "  # noqa: S608
        f"AND chat_id IN ({changed}) "
        f"AND chat_id NOT IN (SELECT chat_id FROM ({recipients_sql}) WHERE chat_id IN "
        f"({changed}))",
        (broadcast_id, stamp, *params, stamp),
    )
    await conn.execute(
        "INSERT OR IGNORE INTO outbox "  # noqa: S608
        "(broadcast_id, chat_id, lang, area_id, chat_kind, channel) "
        f"SELECT ?, chat_id, lang, area_id, kind, channel FROM ({recipients_sql}) "
        f"WHERE chat_id IN ({changed})",
        (broadcast_id, *params, stamp),
    )


async def sending_broadcasts(db: Database) -> list[int]:
    """Ids of the broadcasts being sent, urgent first, then oldest first."""
    rows = await db.fetchall(
        "SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY urgent DESC, id")
    return [int(r[0]) for r in rows]


async def due_rows(db: Database, broadcast_id: int, now: str, limit: int,
                   channel: str = "telegram") -> list[Row]:
    """Pending rows of one broadcast and channel whose time has come, in the order they were
    written (through the outbox_channel index: the rows already sent are never read)."""
    rows = await db.fetchall(
        "SELECT broadcast_id, chat_id, lang, area_id, chat_kind, attempts, channel FROM outbox "
        "WHERE channel = ? AND status = 'pending' AND broadcast_id = ? "
        "AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY rowid LIMIT ?",
        (channel, broadcast_id, now, limit),
    )
    return [Row(*tuple(r)) for r in rows]


async def has_pending(db: Database, broadcast_id: int) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM outbox WHERE status = 'pending' AND broadcast_id = ? LIMIT 1",
        (broadcast_id,))
    return row is not None


async def postpone(db: Database, broadcast_id: int, chat_id: int, until: str) -> None:
    """A chat's own limit (1 a second, 20 a minute per group) holds this row back until then."""
    await db.execute(
        "UPDATE outbox SET next_try_at = ? WHERE broadcast_id = ? AND chat_id = ?",
        (until, broadcast_id, chat_id),
    )


async def retry_later(db: Database, broadcast_id: int, chat_id: int, attempts: int, until: str,
                      error: str) -> None:
    """A transient failure: try this row again at `until`."""
    await db.execute(
        "UPDATE outbox SET attempts = ?, next_try_at = ?, error = ? "
        "WHERE broadcast_id = ? AND chat_id = ?",
        (attempts, until, error[:200], broadcast_id, chat_id),
    )


async def record_results(
    conn: aiosqlite.Connection, results: list[tuple[str, str | None, str, int, int]]
) -> None:
    """Final outcomes (status, error, at, broadcast_id, chat_id), in the caller's transaction.

    Only a row still pending changes: a row cancelled while its request was in flight stays
    cancelled."""
    await conn.executemany(
        "UPDATE outbox SET status = ?, error = ?, sent_at = ?, attempts = attempts + 1 "
        "WHERE broadcast_id = ? AND chat_id = ? AND status = 'pending'",
        results,
    )
