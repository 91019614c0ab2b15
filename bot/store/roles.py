"""Queries on the roles and audit tables."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import audit
from bot.store.database import Database, utcnow


@dataclass(frozen=True)
class RoleRow:
    user_id: int
    role: str
    source: str
    added_at: str
    added_by: str


async def get(db: Database, user_id: int) -> str | None:
    r = await db.fetchone("SELECT role FROM roles WHERE user_id = ?", (user_id,))
    return r["role"] if r else None


async def all_roles(db: Database) -> list[RoleRow]:
    rows = await db.fetchall("SELECT * FROM roles ORDER BY role, user_id")
    return [
        RoleRow(r["user_id"], r["role"], r["source"], r["added_at"], r["added_by"]) for r in rows
    ]


async def put(db: Database, user_id: int, role: str, source: str, actor: str) -> None:
    """Give a role (replacing any other) and audit it, in one transaction."""
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO roles (user_id, role, source, added_at, added_by) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, source = excluded.source, "
            "added_at = excluded.added_at, added_by = excluded.added_by",
            (user_id, role, source, now, actor),
        )
        await audit.record(conn, actor, "role.add", str(user_id), role, at=now)


async def remove(db: Database, user_id: int, actor: str) -> str | None:
    """Take a user's role away and audit it; return the role they had."""
    now = utcnow()
    async with db.transaction() as conn:
        async with conn.execute("SELECT role FROM roles WHERE user_id = ?", (user_id,)) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        await conn.execute("DELETE FROM roles WHERE user_id = ?", (user_id,))
        await audit.record(conn, actor, "role.remove", str(user_id), r["role"], at=now)
        return str(r["role"])


async def audit_log(db: Database, limit: int = 100) -> list[tuple[str, str, str, str, str]]:
    rows = await db.fetchall(
        "SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [(r["at"], r["actor"], r["action"], r["target"], r["detail"]) for r in rows]
