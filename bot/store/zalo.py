"""The Zalo channel's own tables: the OA's rotating token pair and the webhook events handled.

The tables come with migration 0012 (issue 16); the rest of a Zalo chat lives in `chats`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Database, utcnow


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: str  # UTC ISO 8601

    def __repr__(self) -> str:  # a pair in a log or a traceback shows no secret
        return f"TokenPair(expires_at={self.expires_at!r})"


async def read_tokens(db: Database) -> TokenPair | None:
    r = await db.fetchone(
        "SELECT access_token, refresh_token, expires_at FROM zalo_tokens WHERE id = 1")
    if r is None:
        return None
    return TokenPair(r["access_token"] or "", r["refresh_token"], r["expires_at"] or "")


async def save_tokens(db: Database, pair: TokenPair) -> None:
    """The new pair, committed before the caller uses its access token: the single-use refresh
    token is never lost to a crash."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO zalo_tokens (id, access_token, refresh_token, expires_at, updated_at) "
            "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            (pair.access_token, pair.refresh_token, pair.expires_at, utcnow()),
        )


async def claim_event(db: Database, key: str, prune_before: str | None = None) -> bool:
    """True the first time a webhook event (its msg_id or another stable key) is claimed;
    False for a repeat. `prune_before`: forget keys claimed before then (UTC ISO)."""
    async with db.transaction() as conn:
        if prune_before is not None:
            await conn.execute("DELETE FROM zalo_seen WHERE at < ?", (prune_before,))
        cur = await conn.execute(
            "INSERT OR IGNORE INTO zalo_seen (msg_id, at) VALUES (?, ?)", (key, utcnow()))
        return cur.rowcount == 1
