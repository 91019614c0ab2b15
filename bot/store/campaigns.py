"""Queries on the campaigns table: seasonal campaigns synced from files, and staff's weekly
broadcasts (keys starting with `staff-`), each stored as its spec in JSON."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from bot.store.database import Database


async def upsert(conn: aiosqlite.Connection, key: str, spec: str, now: str) -> bool:
    """Insert or update a file's campaign; True if it is new or its spec changed."""
    cur = await conn.execute(
        "INSERT INTO campaigns (key, spec, synced_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET spec = excluded.spec "
        "WHERE campaigns.spec IS NOT excluded.spec",
        (key, spec, now),
    )
    return cur.rowcount == 1


async def insert_new(conn: aiosqlite.Connection, key: str, spec: str, now: str) -> bool:
    """Insert a campaign under a new key; False if the key is taken."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO campaigns (key, spec, synced_at) VALUES (?, ?, ?)",
        (key, spec, now),
    )
    return cur.rowcount == 1


async def keys(conn: aiosqlite.Connection) -> list[str]:
    async with conn.execute("SELECT key FROM campaigns ORDER BY key") as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def delete(conn: aiosqlite.Connection, key: str) -> None:
    await conn.execute("DELETE FROM campaigns WHERE key = ?", (key,))


async def set_paused(conn: aiosqlite.Connection, key: str, paused: bool) -> bool:
    cur = await conn.execute("UPDATE campaigns SET paused = ? WHERE key = ?", (int(paused), key))
    return cur.rowcount == 1


async def all_rows(db: Database) -> list[aiosqlite.Row]:
    return await db.fetchall(
        "SELECT key, paused, spec, synced_at FROM campaigns ORDER BY key"
    )


def staff_specs_readonly(db_path: Path, prefix: str) -> list[str] | None:
    """The specs of staff's weekly broadcasts, read without writing anything (for
    `sansang content check`); None when there is no database (or no campaigns table) there."""
    if not db_path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute(
            "SELECT spec FROM campaigns WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return [str(r[0]) for r in rows]
