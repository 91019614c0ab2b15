"""The Zalo channel's own tables: the OA's token pair and the webhook events already handled.

The refresh token is single use and rotates: `save_tokens` writes a new pair in one statement
before the new access token is used, so a crash never loses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.store.database import Database, utcnow


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: str  # UTC, ISO 8601
    updated_at: str


async def tokens(db: Database) -> Tokens | None:
    """The stored pair, or None before the first refresh."""
    r = await db.fetchone(
        "SELECT access_token, refresh_token, expires_at, updated_at FROM zalo_tokens WHERE id = 1")
    return Tokens(*tuple(r)) if r else None


async def save_tokens(db: Database, access_token: str, refresh_token: str,
                      expires_at: str) -> None:
    """Replace the pair, in its own transaction."""
    await db.execute(
        "INSERT INTO zalo_tokens (id, access_token, refresh_token, expires_at, updated_at) "
        "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET access_token = excluded."
        "access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, "
        "updated_at = excluded.updated_at",
        (access_token, refresh_token, expires_at, utcnow()),
    )


async def first_seen(db: Database, msg_id: str, at: str | None = None) -> bool:
    """True the first time a webhook event's msg_id is seen; False for a repeat (two
    deliveries at once: one wins)."""
    async with db.transaction() as conn, conn.execute(
        "INSERT INTO zalo_seen (msg_id, at) VALUES (?, ?) ON CONFLICT (msg_id) DO NOTHING "
        "RETURNING msg_id", (str(msg_id), at or utcnow()),
    ) as cur:
        return await cur.fetchone() is not None


async def prune_seen(db: Database, before: str) -> int:
    """Forget the msg_ids seen before `before` (UTC ISO; Zalo does not resend after days)."""
    async with db.transaction() as conn:
        cur = await conn.execute("DELETE FROM zalo_seen WHERE at < ?", (before,))
        return cur.rowcount
