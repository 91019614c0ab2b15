"""Queries on the weather advisories, the days they were drafted for, the staff copies of each
draft and the weather watcher's state.

Functions that change an advisory take the caller's transaction connection, so the check (still
a draft?) and the change, the broadcast and the audit line are one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import aiosqlite

from bot.store.database import Database

COLUMNS = (
    "hazard", "level", "name_vi", "name_en", "first_day", "last_day", "peak_day", "value",
    "beaufort", "gust_beaufort", "guides", "text_vi", "text_en", "areas", "status",
    "created_at", "supersedes",
)


async def insert(conn: aiosqlite.Connection, **fields: object) -> int:
    """A new advisory row; `fields` are COLUMNS (guides and areas already JSON text)."""
    names = [c for c in COLUMNS if c in fields]
    marks = ",".join("?" * len(names))
    cur = await conn.execute(
        f"INSERT INTO advisories ({','.join(names)}) VALUES ({marks})",  # noqa: S608 - fixed names
        [fields[c] for c in names],
    )
    return int(cur.lastrowid or 0)


async def get(db: Database, advisory_id: int) -> aiosqlite.Row | None:
    return await db.fetchone("SELECT * FROM advisories WHERE id = ?", (advisory_id,))


async def get_on(conn: aiosqlite.Connection, advisory_id: int) -> aiosqlite.Row | None:
    """The row as this transaction sees it."""
    async with conn.execute("SELECT * FROM advisories WHERE id = ?", (advisory_id,)) as cur:
        return await cur.fetchone()


async def drafted_days(
    conn: aiosqlite.Connection, hazard: str, days: Sequence[str]
) -> dict[str, int]:
    """{day: the highest level drafted} for those of `days` drafted before."""
    if not days:
        return {}
    marks = ",".join("?" * len(days))
    async with conn.execute(
        f"SELECT day, level FROM advisory_days WHERE hazard = ? AND day IN ({marks})",  # noqa: S608
        (hazard, *days),
    ) as cur:
        return {str(r["day"]): int(r["level"]) for r in await cur.fetchall()}


async def remember_days(
    conn: aiosqlite.Connection, hazard: str, days: Iterable[tuple[str, int]], advisory_id: int
) -> None:
    """Note the days a draft covers; a day keeps the highest level drafted for it."""
    await conn.executemany(
        "INSERT INTO advisory_days (hazard, day, level, advisory_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (hazard, day) DO UPDATE SET "
        "advisory_id = excluded.advisory_id, level = max(level, excluded.level)",
        [(hazard, day, level, advisory_id) for day, level in days],
    )


async def open_drafts_overlapping(
    conn: aiosqlite.Connection, hazard: str, first_day: str, last_day: str
) -> list[int]:
    """Undecided drafts of this hazard whose days overlap first_day..last_day, oldest first."""
    async with conn.execute(
        "SELECT id FROM advisories WHERE status = 'draft' AND hazard = ? "
        "AND first_day <= ? AND last_day >= ? ORDER BY id",
        (hazard, last_day, first_day),
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def supersede(conn: aiosqlite.Connection, advisory_id: int, now: str) -> bool:
    cur = await conn.execute(
        "UPDATE advisories SET status = 'superseded', decided_at = ? "
        "WHERE id = ? AND status = 'draft'",
        (now, advisory_id),
    )
    return cur.rowcount == 1


async def decide(
    conn: aiosqlite.Connection, advisory_id: int, status: str, user_id: int, now: str
) -> bool:
    """draft → approved/discarded; False when it was no longer a draft (someone else won)."""
    cur = await conn.execute(
        "UPDATE advisories SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND status = 'draft'",
        (status, user_id, now, advisory_id),
    )
    return cur.rowcount == 1


async def set_broadcast(conn: aiosqlite.Connection, advisory_id: int, broadcast_id: int) -> None:
    await conn.execute(
        "UPDATE advisories SET broadcast_id = ? WHERE id = ?", (broadcast_id, advisory_id)
    )


async def set_texts(
    conn: aiosqlite.Connection, advisory_id: int, text_vi: str, text_en: str
) -> bool:
    cur = await conn.execute(
        "UPDATE advisories SET text_vi = ?, text_en = ? WHERE id = ? AND status = 'draft'",
        (text_vi, text_en, advisory_id),
    )
    return cur.rowcount == 1


async def set_areas(
    conn: aiosqlite.Connection, advisory_id: int, areas: Sequence[str] | None
) -> bool:
    cur = await conn.execute(
        "UPDATE advisories SET areas = ? WHERE id = ? AND status = 'draft'",
        (None if areas is None else json.dumps(list(areas)), advisory_id),
    )
    return cur.rowcount == 1


async def add_message(db: Database, advisory_id: int, chat_id: int, message_id: int) -> None:
    await db.execute(
        "INSERT INTO advisory_messages (advisory_id, chat_id, message_id) VALUES (?, ?, ?) "
        "ON CONFLICT (advisory_id, chat_id) DO UPDATE SET message_id = excluded.message_id",
        (advisory_id, chat_id, message_id),
    )


async def messages(db: Database, advisory_id: int) -> list[tuple[int, int]]:
    rows = await db.fetchall(
        "SELECT chat_id, message_id FROM advisory_messages WHERE advisory_id = ? "
        "ORDER BY chat_id", (advisory_id,),
    )
    return [(int(r["chat_id"]), int(r["message_id"])) for r in rows]


async def mark_reminders(conn: aiosqlite.Connection, created_before: str,
                         now: str) -> list[int]:
    """Drafts made before `created_before` and never reminded: mark them reminded now."""
    async with conn.execute(
        "SELECT id FROM advisories WHERE status = 'draft' AND reminded_at IS NULL "
        "AND created_at <= ? ORDER BY id", (created_before,),
    ) as cur:
        ids = [int(r[0]) for r in await cur.fetchall()]
    await conn.executemany(
        "UPDATE advisories SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
        [(now, i) for i in ids],
    )
    return ids


async def by_ids(db: Database, ids: Sequence[int]) -> list[aiosqlite.Row]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return await db.fetchall(
        f"SELECT * FROM advisories WHERE id IN ({marks}) ORDER BY id", list(ids)  # noqa: S608
    )


async def active(db: Database, today: str) -> list[aiosqlite.Row]:
    """Approved advisories whose last day is today or later, the most severe first."""
    return await db.fetchall(
        "SELECT * FROM advisories WHERE status = 'approved' AND last_day >= ? "
        "ORDER BY first_day, level DESC, id", (today,),
    )


async def approved(db: Database) -> list[aiosqlite.Row]:
    """Every approved advisory, oldest first (what `sansang cap` writes)."""
    return await db.fetchall(
        "SELECT * FROM advisories WHERE status = 'approved' ORDER BY decided_at, id"
    )


async def state_get(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM weather_state WHERE key = ?", (key,))
    return None if row is None else str(row[0])


async def state_set(conn: aiosqlite.Connection, key: str, value: str | None) -> None:
    """Set (or, with None, remove) one state value on the caller's transaction."""
    if value is None:
        await conn.execute("DELETE FROM weather_state WHERE key = ?", (key,))
    else:
        await conn.execute(
            "INSERT INTO weather_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value),
        )
