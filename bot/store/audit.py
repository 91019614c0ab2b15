"""The audit trail of staff actions: who did what to which target, and when.

`record` is the only place that writes the `audit` table; it runs inside the caller's
transaction, so an action and its audit line are kept or lost together.
"""

from __future__ import annotations

import aiosqlite

from bot.store.database import utcnow


async def record(
    conn: aiosqlite.Connection, actor: str, action: str, target: str,
    detail: str | None = None, at: str | None = None,
) -> None:
    """One audit line, written on the caller's transaction connection."""
    await conn.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (at or utcnow(), actor, action, target, detail),
    )
