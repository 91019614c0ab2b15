"""The services one running bot holds, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.answers import Answers
from bot.areas import AreaCatalog
from bot.broadcasts import Broadcasts
from bot.campaigns import Campaigns
from bot.config import Config
from bot.emergency import WardContacts
from bot.library import Library
from bot.roles import Roles
from bot.store import Database
from bot.subscriptions import Subscriptions

logger = logging.getLogger(__name__)


@dataclass
class Services:
    config: Config
    db: Database
    areas: AreaCatalog
    contacts: WardContacts
    subscriptions: Subscriptions
    roles: Roles
    library: Library
    answers: Answers
    broadcasts: Broadcasts
    campaigns: Campaigns

    @classmethod
    async def open(cls, config: Config) -> Services:
        db = await Database.open(config.db_path, tz=config.tz)
        areas = AreaCatalog.load(config.content_dir / "areas.toml")
        contacts = WardContacts.load(config.content_dir / "contacts.toml")
        roles = Roles(db)
        await roles.seed(config.lead_ids, config.staff_ids)
        library = Library.load(config.content_dir)
        for problem in library.problems:
            logger.warning("guide left out or incomplete: %s", problem)
        broadcasts = Broadcasts(db, areas)
        return cls(config, db, areas, contacts, Subscriptions(db, areas), roles, library,
                   Answers(db, library), broadcasts, Campaigns(db, broadcasts, config.tz))

    async def sync_campaigns(self) -> str | None:
        """Campaign files into the table; on a broken file, keep what was synced before and
        return the problem (staff are told)."""
        from bot import campaigns
        from bot.errors import ContentError

        known_areas = {a.id for a in self.areas.areas} | {g.id for g in self.areas.groups}
        try:
            found = campaigns.load(self.config.content_dir.parent / "broadcasts", known_areas,
                                   set(self.library.ids()))
        except ContentError as exc:
            logger.error("campaign files not loaded, the previous ones still run: %s", exc)
            return str(exc)
        await self.campaigns.sync(found)
        return None

    async def close(self) -> None:
        await self.db.close()
