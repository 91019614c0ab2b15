"""The weather watch: one poll of the forecast, its events drafted, and the outage notices.

A poll never raises: a failed one is counted, and after failures_before_notice failures in a row
staff are told once (keyed by the outage's start, so a restart does not tell them again), and once
more when a poll succeeds again. The streak and the last good forecast live in weather_state.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import date_time
from bot.notices import Notice, Notices
from bot.store import Database
from bot.store import advisories as store
from bot.weather.advisories import Advisories
from bot.weather.forecast import ForecastClient, ForecastError
from bot.weather.models import DayForecast, Forecast, PollResult
from bot.weather.thresholds import WeatherSettings, classify

logger = logging.getLogger(__name__)

FORECAST_KEY = "forecast"
STREAK_KEY = "failures"
OUTAGE_KEY = "outage_since"
TOLD_KEY = "outage_told"
ERROR_KEY = "last_error"
OUTAGES_KEY = "outages"  # how many outages began: with the start, a notice key never reused


def dump_forecast(forecast: Forecast) -> str:
    return json.dumps({
        "fetched_at": forecast.fetched_at.isoformat(),
        "days": [[d.day.isoformat(), d.rain_mm, d.temp_max, d.temp_min, d.temp_mean,
                  d.wind_kmh, d.gust_kmh] for d in forecast.days],
    })


def load_forecast(text: str) -> Forecast:
    data = json.loads(text)
    return Forecast(
        fetched_at=datetime.fromisoformat(data["fetched_at"]),
        days=tuple(DayForecast(date.fromisoformat(d[0]), *d[1:]) for d in data["days"]),
    )


class Weather:
    """Polls the forecast for the ward and drafts advisories from it."""

    def __init__(self, db: Database, client: ForecastClient, settings: WeatherSettings,
                 advisories: Advisories, notices: Notices, tz: ZoneInfo,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.advisories = advisories
        self.notices = notices
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()

    async def poll(self) -> PollResult:
        """Fetch, classify, draft. Never raises; a failure is counted and told once per
        outage."""
        async with self._lock:
            try:
                forecast = await self.client.fetch()
            except ForecastError as exc:
                return await self._failed(str(exc))
            except Exception as exc:  # a bug must not stop the next poll either
                logger.exception("forecast poll failed")
                return await self._failed(f"unexpected error ({type(exc).__name__})")
            try:
                await self._succeeded(forecast)
                today = self.clock().astimezone(self.tz).date()
                events = tuple(classify(forecast, self.settings, today))
                made = tuple(await self.advisories.draft_from(events))
            except Exception as exc:
                logger.exception("forecast fetched but not drafted")
                return PollResult(True, forecast, (), (), f"not drafted ({type(exc).__name__})")
            return PollResult(True, forecast, events, made, None)

    async def _failed(self, reason: str) -> PollResult:
        logger.warning("forecast poll failed: %s", reason)
        try:
            now = self.clock().astimezone(UTC).isoformat(timespec="seconds")
            streak = int(await store.state_get(self.db, STREAK_KEY) or 0) + 1
            since = await store.state_get(self.db, OUTAGE_KEY)
            outages = int(await store.state_get(self.db, OUTAGES_KEY) or 0)
            told = await store.state_get(self.db, TOLD_KEY)
            async with self.db.transaction() as conn:
                if since is None:  # this failure starts an outage
                    since, outages = now, outages + 1
                    await store.state_set(conn, OUTAGE_KEY, since)
                    await store.state_set(conn, OUTAGES_KEY, str(outages))
                await store.state_set(conn, STREAK_KEY, str(streak))
                await store.state_set(conn, ERROR_KEY, reason)
            if streak >= self.settings.failures_before_notice and told is None:
                await self.notices.tell(Notice(
                    f"weather:down:{outages}:{since}", "weather_down",
                    {"count": str(streak), "error": reason, **self._since(since)}))
                async with self.db.transaction() as conn:
                    await store.state_set(conn, TOLD_KEY, since)
        except Exception:
            logger.exception("could not count a failed forecast poll")
        return PollResult(False, None, (), (), reason)

    async def _succeeded(self, forecast: Forecast) -> None:
        since = await store.state_get(self.db, OUTAGE_KEY)
        told = await store.state_get(self.db, TOLD_KEY)
        outages = await store.state_get(self.db, OUTAGES_KEY)
        async with self.db.transaction() as conn:
            await store.state_set(conn, FORECAST_KEY, dump_forecast(forecast))
            for key in (STREAK_KEY, OUTAGE_KEY, TOLD_KEY, ERROR_KEY):
                await store.state_set(conn, key, None)
        if told is not None and since is not None:
            await self.notices.tell(Notice(f"weather:back:{outages}:{since}", "weather_back",
                                           self._since(since)))

    def _since(self, since: str) -> dict[str, str]:
        moment = datetime.fromisoformat(since)
        return {"since_vi": date_time(moment, "vi", self.tz),
                "since_en": date_time(moment, "en", self.tz)}

    async def latest(self) -> Forecast | None:
        """The last good forecast (kept across restarts), or None before the first."""
        text = await store.state_get(self.db, FORECAST_KEY)
        if text is None:
            return None
        try:
            return load_forecast(text)
        except (ValueError, KeyError, TypeError, IndexError):
            logger.exception("the stored forecast could not be read")
            return None

    async def close(self) -> None:
        await self.client.aclose()
