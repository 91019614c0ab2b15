"""Queries on flood_reports and flood_report_messages (migration 0011).

Writes take the caller's transaction connection, so a report, its outreach event and its audit
line are kept or lost together. Nothing here returns a reporter's chat to an export.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.floods.models import FloodReport
from bot.store.database import Database


def _time(stored: str | None) -> datetime | None:
    if not stored:
        return None
    at = datetime.fromisoformat(stored)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def to_report(r: Any) -> FloodReport:
    created = _time(r["created_at"])
    assert created is not None  # NOT NULL in the schema
    return FloodReport(
        id=r["id"], created_at=created, lat=r["lat"], lon=r["lon"], area_id=r["area_id"],
        outside=bool(r["outside"]), depth=r["depth"], photo_file_id=r["photo_file_id"],
        note=r["note"], lang=r["lang"], status=r["status"], reporter_chat=r["reporter_chat"],
        checked_by=r["checked_by"], resolved_by=r["resolved_by"],
        resolved_at=_time(r["resolved_at"]),
    )


async def read(conn: aiosqlite.Connection, report_id: int) -> FloodReport | None:
    """One report, on the caller's (transaction) connection."""
    async with conn.execute("SELECT * FROM flood_reports WHERE id = ?",
                            (report_id,)) as cur:
        r = await cur.fetchone()
    return to_report(r) if r is not None else None


async def get(db: Database, report_id: int) -> FloodReport | None:
    r = await db.fetchone("SELECT * FROM flood_reports WHERE id = ?", (report_id,))
    return to_report(r) if r is not None else None


async def count_since(conn: aiosqlite.Connection, chat_id: int, since: str) -> int:
    """Reports this chat made from `since` (UTC) on that still carry its id."""
    async with conn.execute(
        "SELECT COUNT(*) FROM flood_reports WHERE reporter_chat = ? AND created_at >= ?",
        (chat_id, since),
    ) as cur:
        r = await cur.fetchone()
    return int(r[0]) if r else 0


async def same_since(
    conn: aiosqlite.Connection, chat_id: int, since: str, *, lat: float, lon: float,
    depth: str, photo_file_id: str | None, note: str | None,
) -> FloodReport | None:
    """This chat's identical report made from `since` on (a second press of the last button)."""
    async with conn.execute(
        "SELECT * FROM flood_reports WHERE reporter_chat = ? AND created_at >= ? "
        "AND lat = ? AND lon = ? AND depth = ? AND photo_file_id IS ? AND note IS ? "
        "ORDER BY id DESC LIMIT 1",
        (chat_id, since, lat, lon, depth, photo_file_id, note),
    ) as cur:
        r = await cur.fetchone()
    return to_report(r) if r is not None else None


async def insert(
    conn: aiosqlite.Connection, *, created_at: str, lat: float, lon: float,
    area_id: str | None, outside: bool, depth: str, photo_file_id: str | None,
    note: str | None, lang: str, reporter_chat: int,
) -> int:
    async with conn.execute(
        "INSERT INTO flood_reports (created_at, lat, lon, area_id, outside, depth, "
        "photo_file_id, note, lang, status, reporter_chat) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)",
        (created_at, lat, lon, area_id, int(outside), depth, photo_file_id, note, lang,
         reporter_chat),
    ) as cur:
        new_id = cur.lastrowid
    assert new_id is not None
    return int(new_id)


async def set_checked(conn: aiosqlite.Connection, report_id: int, user_id: int,
                      at: str) -> bool:
    """new → checked; False when it was already checked or resolved (or is not there)."""
    async with conn.execute(
        "UPDATE flood_reports SET status = 'checked', checked_by = ?, checked_at = ? "
        "WHERE id = ? AND status = 'new'", (user_id, at, report_id),
    ) as cur:
        return cur.rowcount == 1


async def set_resolved(conn: aiosqlite.Connection, report_id: int, user_id: int,
                       at: str) -> tuple[bool, int | None]:
    """→ resolved, clearing the reporter's chat: (changed, the chat it held before)."""
    async with conn.execute(
        "SELECT reporter_chat FROM flood_reports WHERE id = ? AND status <> 'resolved'",
        (report_id,),
    ) as cur:
        before = await cur.fetchone()
    async with conn.execute(
        "UPDATE flood_reports SET status = 'resolved', resolved_by = ?, resolved_at = ?, "
        "reporter_chat = NULL WHERE id = ? AND status <> 'resolved'",
        (user_id, at, report_id),
    ) as cur:
        changed = cur.rowcount == 1
    return changed, (before["reporter_chat"] if changed and before is not None else None)


async def forget_chat(conn: aiosqlite.Connection, chat_id: int) -> int:
    """/forget: no report links to this chat any more; the reports and counts stay."""
    async with conn.execute(
        "UPDATE flood_reports SET reporter_chat = NULL WHERE reporter_chat = ?", (chat_id,),
    ) as cur:
        return cur.rowcount


async def add_message(db: Database, report_id: int, chat_id: int, message_id: int) -> None:
    """A staff copy of a report (the latest message in that chat wins)."""
    await db.execute(
        "INSERT INTO flood_report_messages (report_id, chat_id, message_id) VALUES (?, ?, ?) "
        "ON CONFLICT (report_id, chat_id) DO UPDATE SET message_id = excluded.message_id",
        (report_id, chat_id, message_id),
    )


async def messages(db: Database, report_id: int) -> list[tuple[int, int]]:
    rows = await db.fetchall(
        "SELECT chat_id, message_id FROM flood_report_messages WHERE report_id = ? "
        "ORDER BY chat_id", (report_id,),
    )
    return [(r["chat_id"], r["message_id"]) for r in rows]


async def created_between(db: Database, start: str | None, end: str | None) -> list[FloodReport]:
    """Reports created from `start` to before `end` (UTC ISO; None: no bound), oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM flood_reports WHERE (? IS NULL OR created_at >= ?) "
        "AND (? IS NULL OR created_at < ?) ORDER BY created_at, id",
        (start, start, end, end),
    )
    return [to_report(r) for r in rows]


async def present(db: Database) -> bool:
    """Whether the database has the table (migration 0011): a report of an older file reads
    none instead of failing."""
    return await db.fetchone(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flood_reports'"
    ) is not None


async def counts_by_area_and_month(db: Database, first_day: str, last_day: str) -> list[Any]:
    """(area_id, month YYYY-MM, n): reports made between two local days (inclusive), from the
    outreach log's daily roll-up like every other count of the report."""
    return await db.fetchall(
        "SELECT area_id, substr(day, 1, 7) AS month, SUM(n) AS n FROM event_days "
        "WHERE kind = 'flood_report' AND day BETWEEN ? AND ? GROUP BY area_id, month",
        (first_day, last_day),
    )
