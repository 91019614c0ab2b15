"""The services one running bot holds, built once in post_init and closed in post_shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.campaigns import Campaigns
from bot.config import Config
from bot.floods.reports import FloodReports
from bot.guides.answers import Answers
from bot.guides.emergency import WardContacts
from bot.guides.library import Library
from bot.notices import Notice, Notices
from bot.roles import Roles
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions
from bot.weather.advisories import Advisories
from bot.weather.forecast import ForecastClient
from bot.weather.thresholds import WeatherSettings
from bot.weather.watch import Weather

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
    notices: Notices
    advisories: Advisories
    weather: Weather | None  # None: SANSANG_WEATHER=off
    flood_reports: FloodReports

    @classmethod
    async def open(cls, config: Config) -> Services:
        areas = AreaCatalog.load(config.content_dir / "areas.toml")
        for _area_id, problem in areas.problems:
            logger.warning("areas.toml: coordinates left out: %s", problem)
        # Read before the database is open: a missing [ward] stops the start cleanly.
        ward = areas.require_ward() if config.weather else None
        settings = (WeatherSettings.load(config.content_dir / "weather.toml")
                    if config.weather else None)
        db = await Database.open(config.db_path, tz=config.tz)
        contacts = WardContacts.load(config.content_dir / "contacts.toml")
        roles = Roles(db)
        await roles.seed(config.lead_ids, config.staff_ids)
        library = Library.load(config.content_dir)
        for problem in library.problems:
            logger.warning("guide left out or incomplete: %s", problem)
        broadcasts = Broadcasts(db, areas)
        notices = Notices(db)
        weather: Weather | None = None
        if ward is not None and settings is not None:
            advisories = Advisories(db, broadcasts, settings, ward)
            for warning in config.warnings():
                logger.warning("%s", warning)
            weather = Weather(db, ForecastClient(config.weather_url, lat=ward.lat, lon=ward.lon,
                                                 tz=config.tz),
                              settings, advisories, notices, config.tz)
        else:
            advisories = Advisories(db, broadcasts)
        return cls(config, db, areas, contacts, Subscriptions(db, areas), roles, library,
                   Answers(db, library), broadcasts,
                   Campaigns(db, broadcasts, config.tz, notices), notices, advisories, weather,
                   FloodReports(db, areas))

    async def sync_campaigns(self) -> None:
        """Campaign files (SANSANG_CAMPAIGNS) into the table. Never deletes on a guess: a file
        that cannot be read keeps what was synced before (every other file is synced), and a
        folder left empty keeps the campaigns it had. Staff are told each problem once."""
        from bot.broadcasts import campaigns

        folder = self.config.campaigns_dir
        found, problems = campaigns.load_each(folder, set(self.library.ids()))
        for problem in problems:
            logger.error("campaign file not loaded, its previous version still runs: %s",
                         problem)
            await self.notices.tell(Notice(f"files:{problem}", "campaign_files",
                                           {"problem": problem}))
        if not found and not problems:
            had = await self.campaigns.file_campaigns()
            if had:
                logger.warning("campaigns folder %s has no campaign file; the %d campaigns "
                               "synced before are kept (remove files one by one to stop them)",
                               folder, had)
                await self.notices.tell(Notice(f"files:empty:{folder}", "campaigns_empty",
                                               {"folder": str(folder), "count": str(had)}))
                return
        await self.campaigns.sync(found, remove=not problems)
        if not problems:
            await self.notices.forget("files:")  # fixed: told again if it breaks again

    async def close(self) -> None:
        try:
            if self.weather is not None:
                await self.weather.close()
        finally:
            await self.db.close()
