"""Queries on the chats table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.store import events
from bot.store.database import Database, utcnow
from bot.store.events import Event

GROUP_KINDS = ("school", "market", "office", "residential", "other")
"""What a group says it is (chats.group_kind); NULL until an administrator chooses."""


def chat_kind(kind: str, group_kind: str | None = None) -> str:
    """The kind the outreach log records: `private` for a person's private chat; for a group its
    group kind (school, market, ...), or `group` while it has none.

    A kind that already is a group kind (an outbox row's, written from this function's SQL twin
    in `bot.store.broadcasts`) stays as it is.
    """
    if kind == "private":
        return "private"
    if group_kind in GROUP_KINDS:
        return group_kind
    return kind if kind in GROUP_KINDS else "group"


CHAT_KIND_SQL = (
    "CASE WHEN kind = 'private' THEN 'private' ELSE coalesce(group_kind, 'group') END"
)
"""`chat_kind(kind, group_kind)` as an SQL expression on the chats table."""


@dataclass(frozen=True)
class ChatRow:
    chat_id: int
    kind: str
    lang: str
    lang_chosen: bool
    area_id: str | None
    subscribed: bool
    blocked: bool
    title: str | None
    created_at: str
    updated_at: str
    group_kind: str | None = None
    kind_asked: bool = False


def _row(r: Any) -> ChatRow:
    return ChatRow(
        chat_id=r["chat_id"],
        kind=r["kind"],
        lang=r["lang"],
        lang_chosen=bool(r["lang_chosen"]),
        area_id=r["area_id"],
        subscribed=bool(r["subscribed"]),
        blocked=bool(r["blocked"]),
        title=r["title"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        group_kind=r["group_kind"],
        kind_asked=bool(r["kind_asked"]),
    )


async def get(db: Database, chat_id: int) -> ChatRow | None:
    """The chat as stored now; to change it from what it is, use `read` in a transaction."""
    r = await db.fetchone("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
    return _row(r) if r else None


async def read(conn: aiosqlite.Connection, chat_id: int) -> ChatRow | None:
    """The chat inside the caller's transaction: the state its change is decided on."""
    async with conn.execute("SELECT * FROM chats WHERE chat_id = ?", (chat_id,)) as cur:
        r = await cur.fetchone()
    return _row(r) if r else None


async def ensure(db: Database, chat_id: int, kind: str, lang: str, title: str | None) -> ChatRow:
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO chats (chat_id, kind, lang, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO NOTHING",
            (chat_id, kind, lang, title, now, now),
        )
        row = await read(conn, chat_id)
    assert row is not None
    return row


_FIELDS = {"kind", "lang", "lang_chosen", "area_id", "subscribed", "blocked", "title",
           "group_kind", "kind_asked"}


async def change(conn: aiosqlite.Connection, chat_id: int, **fields: Any) -> ChatRow | None:
    """Set some fields in the caller's transaction; the chat as it is now (None: no such chat)."""
    if not fields or set(fields) - _FIELDS:
        raise ValueError(f"unknown chat fields {set(fields) - _FIELDS}")
    # Column names come from the whitelist above; values are parameters.
    assignments = ", ".join(f"{name} = ?" for name in fields)
    async with conn.execute(
        f"UPDATE chats SET {assignments}, updated_at = ? WHERE chat_id = ? RETURNING *",  # noqa: S608
        (*fields.values(), utcnow(), chat_id),
    ) as cur:
        r = await cur.fetchone()
    return _row(r) if r else None


async def update(db: Database, chat_id: int, **fields: Any) -> None:
    """Set some fields in a transaction of their own (set-up code and tests; no event)."""
    async with db.transaction() as conn:
        await change(conn, chat_id, **fields)


async def delete(conn: aiosqlite.Connection, chat_id: int) -> None:
    """Everything tied to a chat, in the caller's transaction: its settings and its outbox rows."""
    await conn.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
    await conn.execute("DELETE FROM chats WHERE chat_id = ?", (chat_id,))


async def move(db: Database, old_id: int, new_id: int, kind: str) -> bool:
    """A group became a supergroup: its settings and its unsent broadcasts follow the new id.

    False (and nothing changed) when the old id is not known.
    """
    async with db.transaction() as conn:
        if await read(conn, old_id) is None:
            return False
        await conn.execute("DELETE FROM chats WHERE chat_id = ?", (new_id,))
        await conn.execute(
            "UPDATE chats SET chat_id = ?, kind = ?, updated_at = ? WHERE chat_id = ?",
            (new_id, kind, utcnow(), old_id),
        )
        await conn.execute(
            "UPDATE OR IGNORE outbox SET chat_id = ? WHERE chat_id = ? AND status = 'pending'",
            (new_id, old_id),
        )
    return True


async def set_blocked(
    conn: aiosqlite.Connection, tz: ZoneInfo, chat_id: int, blocked: bool, at: str
) -> bool:
    """Mark a chat blocked (or back) and log it, once, in the caller's transaction.

    Nothing happens when the chat already is so (or is gone): a 403 to a resident and Telegram's
    update that they blocked the bot come in either order, and the chat leaves once. The event's
    `active` is the change in chats receiving warnings: only a subscribed chat counts.
    """
    async with conn.execute(
        "UPDATE chats SET blocked = ?, updated_at = ? WHERE chat_id = ? AND blocked = ? "
        "RETURNING kind, group_kind, area_id, lang, subscribed",
        (int(blocked), at, chat_id, int(not blocked)),
    ) as cur:
        chat = await cur.fetchone()
    if chat is None:
        return False
    await events.add(conn, tz, [Event(
        "blocked" if blocked else "unblocked", area_id=chat["area_id"], lang=chat["lang"],
        chat_kind=chat_kind(chat["kind"], chat["group_kind"]),
        active=(-1 if blocked else 1) if chat["subscribed"] else 0, at=at,
    )])
    return True


async def claim_kind_question(db: Database, chat_id: int) -> bool:
    """True once per group: the caller may ask the group its kind now (issue 12).

    The flag is set in the same statement that reads it, so two updates handled at once never
    both ask; a group that already has a kind, or a private chat, is never asked.
    """
    async with db.transaction() as conn, conn.execute(
        "UPDATE chats SET kind_asked = 1, updated_at = ? WHERE chat_id = ? AND kind_asked = 0 "
        "AND group_kind IS NULL AND kind != 'private' RETURNING chat_id",
        (utcnow(), chat_id),
    ) as cur:
        return await cur.fetchone() is not None
