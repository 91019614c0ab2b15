"""What staff were told about problems (a campaign naming a removed area, an empty campaigns
folder), so each problem is told once and not at every reconcile or restart."""

from __future__ import annotations

from bot.store.database import Database, utcnow


async def remember(db: Database, key: str) -> bool:
    """Note that staff were told `key`; True only the first time."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO staff_notices (key, at) VALUES (?, ?)", (key, utcnow())
        )
        return cur.rowcount == 1


async def forget(db: Database, prefix: str) -> None:
    """The problems under `prefix` were fixed: tell them again if they come back."""
    async with db.transaction() as conn:
        await conn.execute(
            "DELETE FROM staff_notices WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
