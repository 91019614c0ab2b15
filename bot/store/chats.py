"""Queries on the chats table.

A chat belongs to one channel (`telegram` or `zalo`). Telegram chats are keyed by Telegram's own
chat id; a Zalo chat gets an internal chat_id above ZALO_CHAT_BASE and keeps its Zalo user id, a
string, in `address` (see `channel_chat`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


ZALO_CHAT_BASE = 2**62
"""Internal chat ids of Zalo chats are ZALO_CHAT_BASE + n (n = 1, 2, ...): far above any Telegram
id (users and bots stay under 2^52; groups are negative), within SQLite's signed 64 bits."""


def channel_of(chat_id: int) -> str:
    """The channel of an internal chat id: Zalo's are above ZALO_CHAT_BASE."""
    return "zalo" if chat_id > ZALO_CHAT_BASE else "telegram"


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
    channel: str = "telegram"
    # The channel's own id (a Zalo user id, TEXT); None for Telegram. Never logged.
    address: str | None = field(default=None, repr=False)
    last_interaction_at: str | None = None  # UTC ISO: the resident's last act on Zalo
    phone: str | None = field(default=None, repr=False)  # shared for warnings; never logged
    phone_asked: bool = False


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
        channel=r["channel"],
        address=r["address"],
        last_interaction_at=r["last_interaction_at"],
        phone=r["phone"],
        phone_asked=bool(r["phone_asked"]),
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


async def channel_chat(
    conn_or_db: aiosqlite.Connection | Database, channel: str, address: str, lang: str = "vi",
) -> int:
    """The internal chat_id of a channel's chat (a Zalo user id), created if it is new.

    A new chat is a private chat with its chat_id ZALO_CHAT_BASE + n, allocated inside the
    transaction that creates it; two creations at once for the same address make one chat (the
    UNIQUE (channel, address) index, and the second insert does nothing). `address` stays a
    string: a Zalo id is longer than 2^53 and would lose digits as a float. Given a Database this
    is its own transaction; given a connection, the caller's.
    """
    if channel != "zalo":
        raise ValueError(f"channel_chat is for chats addressed by text ids, not {channel!r}")
    if not isinstance(address, str) or not address:
        raise TypeError("a channel address is a non-empty str (never a number)")
    if isinstance(conn_or_db, Database):
        async with conn_or_db.transaction() as conn:
            return await _channel_chat(conn, channel, address, lang)
    return await _channel_chat(conn_or_db, channel, address, lang)


async def _channel_chat(conn: aiosqlite.Connection, channel: str, address: str,
                        lang: str) -> int:
    now = utcnow()
    # The SELECT's WHERE keeps SQLite's parser from reading ON CONFLICT as a join's ON.
    await conn.execute(
        "INSERT INTO chats (chat_id, kind, lang, created_at, updated_at, channel, address) "
        "SELECT coalesce(max(chat_id), ?) + 1, 'private', ?, ?, ?, ?, ? "
        "FROM chats WHERE chat_id > ? "
        "ON CONFLICT (channel, address) WHERE address IS NOT NULL DO NOTHING",
        (ZALO_CHAT_BASE, lang, now, now, channel, address, ZALO_CHAT_BASE),
    )
    async with conn.execute(
        "SELECT chat_id FROM chats WHERE channel = ? AND address = ?", (channel, address)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def by_address(db: Database, channel: str, address: str) -> ChatRow | None:
    """The chat a channel knows by this id (a Zalo user id, as a string), or None."""
    r = await db.fetchone(
        "SELECT * FROM chats WHERE channel = ? AND address = ?", (channel, str(address)))
    return _row(r) if r else None


_FIELDS = {"kind", "lang", "lang_chosen", "area_id", "subscribed", "blocked", "title",
           "group_kind", "kind_asked", "last_interaction_at", "phone", "phone_asked"}


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
        "RETURNING kind, group_kind, area_id, lang, subscribed, channel",
        (int(blocked), at, chat_id, int(not blocked)),
    ) as cur:
        chat = await cur.fetchone()
    if chat is None:
        return False
    await events.add(conn, tz, [Event(
        "blocked" if blocked else "unblocked", area_id=chat["area_id"], lang=chat["lang"],
        chat_kind=chat_kind(chat["kind"], chat["group_kind"]),
        active=(-1 if blocked else 1) if chat["subscribed"] else 0, at=at,
        channel=chat["channel"],
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


async def touch(conn: aiosqlite.Connection, chat_id: int, at: str) -> None:
    """The chat's last interaction is `at` (UTC ISO) unless a later one is stored already."""
    await conn.execute(
        "UPDATE chats SET last_interaction_at = ?, updated_at = ? WHERE chat_id = ? "
        "AND (last_interaction_at IS NULL OR last_interaction_at < ?)",
        (at, utcnow(), chat_id, at),
    )


async def claim_phone_question(conn: aiosqlite.Connection, chat_id: int) -> bool:
    """True once per chat (the flag read and set in one statement): ask for a phone now."""
    async with conn.execute(
        "UPDATE chats SET phone_asked = 1, updated_at = ? WHERE chat_id = ? AND phone_asked = 0 "
        "RETURNING chat_id", (utcnow(), chat_id),
    ) as cur:
        return await cur.fetchone() is not None
