"""The weather domain as the tests run it: the shipped content files, a real SQLite file, the
real services, and the fake Open-Meteo server (tests/fakes/forecast.py) over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio

from bot.broadcasts.broadcasts import Broadcasts
from bot.notices import Notice, Notices
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.weather.advisories import Advisories
from bot.weather.forecast import ForecastClient
from bot.weather.thresholds import WeatherSettings
from bot.weather.watch import Weather
from tests.fakes.forecast import FakeForecast

CONTENT = data_dir("content")
SETTINGS = WeatherSettings.load(CONTENT / "weather.toml")
AREAS = AreaCatalog.load(CONTENT / "areas.toml")
WARD = AREAS.require_ward()
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 12, 1)


def clock() -> datetime:
    """Noon on TODAY in the ward: the tests' fixed "now"."""
    return datetime.combine(TODAY, time(12), TZ).astimezone(UTC)


def lowest_kmh(beaufort: int) -> float:
    return dict(SETTINGS.beaufort)[beaufort]


def day_values(hazard: str, level: int) -> dict[str, float]:
    """Values for FakeForecast.set_day that put a day inside `level` of `hazard`, computed from
    content/weather.toml (the tests hold no copied thresholds)."""
    cats = SETTINGS.hazards[hazard].categories
    cat = cats[level - 1]
    nxt = cats[level] if level < len(cats) else None
    if hazard == "rain":
        return {"rain": (cat.bound + nxt.bound) / 2 if nxt else cat.bound + 20}
    if hazard == "heat":
        return {"tmax": (cat.bound + nxt.bound) / 2 if nxt else cat.bound + 1}
    if hazard == "cold":
        return {"mean": (cat.bound + nxt.bound) / 2 if nxt else cat.bound - 1}
    speed = lowest_kmh(int(cat.bound)) + 1
    return {"wind": speed, "gust": speed}


@dataclass
class World:
    db: Database
    fake: FakeForecast
    broadcasts: Broadcasts
    advisories: Advisories
    notices: Notices
    weather: Weather
    told: list[Notice] = field(default_factory=list)
    clients: list[ForecastClient] = field(default_factory=list)

    def client(self) -> ForecastClient:
        made = ForecastClient(self.fake.url, lat=WARD.lat, lon=WARD.lon, tz=TZ, timeout=0.5,
                              retries=1, backoff=0.01)
        self.clients.append(made)
        return made

    def restarted(self) -> Weather:
        """A new watcher on the same database, as after a restart of the bot."""
        return Weather(self.db, self.client(), SETTINGS, self.advisories, self.notices, TZ,
                       clock=clock)

    def kinds(self) -> list[str]:
        return [n.kind for n in self.told]


async def open_world(path: Path) -> World:
    fake = FakeForecast(start_day=TODAY)
    await fake.start()
    db = await Database.open(path, tz=TZ)
    broadcasts = Broadcasts(db, AREAS)
    advisories = Advisories(db, broadcasts, SETTINGS, WARD)
    notices = Notices(db)
    world = World(db, fake, broadcasts, advisories, notices, None)  # type: ignore[arg-type]

    async def sink(notice: Notice) -> None:
        world.told.append(notice)

    notices.sink = sink
    world.weather = world.restarted()
    return world


async def close_world(world: World) -> None:
    for client in world.clients:
        await client.aclose()
    await world.fake.stop()
    await world.db.close()


@pytest_asyncio.fixture(name="world")
async def world_fixture(tmp_path: Path) -> AsyncIterator[World]:
    """Import `world_fixture` into a test module to use the `world` fixture."""
    found = await open_world(tmp_path / "weather.sqlite3")
    try:
        yield found
    finally:
        await close_world(found)
