"""Who is ward staff and who is the lead office; every change of role is audited.

The table is read on every check, so a role taken away (by the CLI or in Telegram) takes effect
at once, on buttons already shown too.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable

from bot.store import Database
from bot.store import roles as role_store
from bot.store.roles import RoleRow

logger = logging.getLogger(__name__)


class Role(enum.IntEnum):
    RESIDENT = 0
    STAFF = 1
    LEAD = 2


class Roles:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, user_id: int | None) -> Role:
        if user_id is None:
            return Role.RESIDENT
        role = await role_store.get(self.db, user_id)
        return Role.LEAD if role == "lead" else Role.STAFF if role == "staff" else Role.RESIDENT

    async def is_staff(self, user_id: int | None) -> bool:
        """Staff actions are open to staff and the lead office."""
        return await self.of(user_id) >= Role.STAFF

    async def add(self, user_id: int, role: str, *, actor: str, source: str) -> None:
        if role not in ("staff", "lead"):
            raise ValueError("role must be 'staff' or 'lead'")
        await role_store.put(self.db, user_id, role, source, actor)
        logger.info("role %s given to user %s by %s", role, user_id, actor)

    async def remove(self, user_id: int, *, actor: str) -> str | None:
        had = await role_store.remove(self.db, user_id, actor)
        if had:
            logger.info("role %s taken from user %s by %s", had, user_id, actor)
        return had

    async def list(self) -> list[RoleRow]:
        return await role_store.all_roles(self.db)

    async def seed(self, lead_ids: Iterable[int], staff_ids: Iterable[int]) -> None:
        """Give the roles named in the environment; the environment wins for those ids."""
        current = {r.user_id: r.role for r in await self.list()}
        for user_id in sorted(set(lead_ids)):
            if current.get(user_id) != "lead":
                await self.add(user_id, "lead", actor="env", source="env")
        for user_id in sorted(set(staff_ids) - set(lead_ids)):
            if current.get(user_id) not in ("staff", "lead"):
                await self.add(user_id, "staff", actor="env", source="env")
