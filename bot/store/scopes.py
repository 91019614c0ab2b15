"""Queries behind the per-chat command menus (Telegram's command scopes)."""

from __future__ import annotations

from bot.store.database import Database


async def former_role_holders(db: Database) -> set[int]:
    """Users whose role was ever taken away (the audit's role.remove): their menus may need
    clearing after a restart, when the bot no longer knows which menus it set."""
    rows = await db.fetchall(
        "SELECT DISTINCT target FROM audit WHERE action = ?", ("role.remove",)
    )
    return {int(r["target"]) for r in rows if str(r["target"]).isdigit()}
