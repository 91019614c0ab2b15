"""Queries for `sansang groups`: the subscribed groups and their cached member counts.

Never a group's title: the listing names a group by its area and kind only.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Database


@dataclass(frozen=True)
class GroupRow:
    chat_id: int
    area_id: str | None
    group_kind: str | None
    members: int | None
    members_at: str | None  # UTC ISO time the count was read from Telegram
    created_at: str


async def subscribed(db: Database) -> list[GroupRow]:
    """Groups subscribed to warnings (and not blocked), by area, oldest first."""
    rows = await db.fetchall(
        "SELECT chat_id, area_id, group_kind, members, members_at, created_at FROM chats "
        "WHERE kind != 'private' AND subscribed = 1 AND blocked = 0 "
        "ORDER BY area_id, created_at, chat_id")
    return [GroupRow(r["chat_id"], r["area_id"], r["group_kind"], r["members"],
                     r["members_at"], r["created_at"]) for r in rows]


async def set_members(db: Database, chat_id: int, members: int, at: str) -> None:
    """Cache a group's member count (not a change of its settings: updated_at stays)."""
    await db.execute("UPDATE chats SET members = ?, members_at = ? WHERE chat_id = ?",
                     (members, at, chat_id))
