"""The services one running bot holds, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from bot.areas import AreaCatalog
from bot.config import Config
from bot.emergency import WardContacts
from bot.roles import Roles
from bot.store import Database
from bot.subscriptions import Subscriptions


@dataclass
class Services:
    config: Config
    db: Database
    areas: AreaCatalog
    contacts: WardContacts
    subscriptions: Subscriptions
    roles: Roles

    @classmethod
    async def open(cls, config: Config) -> Services:
        db = await Database.open(config.db_path)
        areas = AreaCatalog.load(config.content_dir / "areas.toml")
        contacts = WardContacts.load(config.content_dir / "contacts.toml")
        roles = Roles(db)
        await roles.seed(config.lead_ids, config.staff_ids)
        return cls(config, db, areas, contacts, Subscriptions(db, areas), roles)

    async def close(self) -> None:
        await self.db.close()
