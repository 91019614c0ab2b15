"""The forecast client: Open-Meteo's /v1/forecast (or a compatible mirror) for the ward's point.

One httpx.AsyncClient for the process; timeouts, a few retries with backoff on timeouts, 5xx and
connection errors; the answer is parsed strictly, so anything unexpected is a ForecastError with
a short reason and never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot import __version__
from bot.weather.models import DayForecast, Forecast

logger = logging.getLogger(__name__)

USER_AGENT = f"sansang/{__version__} (Le Chan ward disaster-preparedness bot, Hai Phong)"
DAILY = ("precipitation_sum", "temperature_2m_max", "temperature_2m_min",
         "wind_speed_10m_max", "wind_gusts_10m_max")
HOURLY = ("temperature_2m",)
FORECAST_DAYS = 7


class ForecastError(Exception):
    """The forecast could not be had; the message is a short reason for the log and staff."""


class ForecastClient:
    """Fetches the 7-day forecast for one point, in the ward's time zone."""

    def __init__(self, url: str, *, lat: float, lon: float, tz: ZoneInfo, timeout: float = 10.0,
                 retries: int = 2, backoff: float = 1.0) -> None:
        self.url = url
        self.lat = lat
        self.lon = lon
        self.tz = tz
        self.retries = retries
        self.backoff = backoff
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )

    def params(self) -> dict[str, str]:
        return {
            "latitude": f"{self.lat:.4f}", "longitude": f"{self.lon:.4f}",
            "daily": ",".join(DAILY), "hourly": ",".join(HOURLY),
            "timezone": str(self.tz.key), "forecast_days": str(FORECAST_DAYS),
            "wind_speed_unit": "kmh",
        }

    async def fetch(self) -> Forecast:
        """The forecast now; ForecastError after the retries (timeout, 5xx, connection error)
        or at once (4xx, malformed or wrong-shaped JSON)."""
        reason = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self.client.get(self.url, params=self.params())
            except httpx.TimeoutException:
                reason = "timed out"
                continue
            except httpx.HTTPError as exc:
                reason = f"connection failed ({type(exc).__name__})"
                continue
            if response.status_code >= 500:
                reason = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise ForecastError(f"HTTP {response.status_code}: {_reason(response)}")
            try:
                data = response.json()
            except ValueError:
                raise ForecastError("malformed JSON") from None
            return parse(data, datetime.now(UTC))
        raise ForecastError(f"{reason} after {self.retries + 1} tries")

    async def aclose(self) -> None:
        await self.client.aclose()


def _reason(response: httpx.Response) -> str:
    """Open-Meteo's own reason for a refused request ({"error": true, "reason": ...})."""
    try:
        data = response.json()
    except ValueError:
        return "refused"
    reason = data.get("reason") if isinstance(data, dict) else None
    return str(reason)[:200] if reason else "refused"


def parse(data: Any, fetched_at: datetime) -> Forecast:
    """Open-Meteo's JSON to a Forecast; ForecastError naming what is wrong with its shape.
    A null in an array (the model has no value) is None."""
    if not isinstance(data, Mapping):
        raise ForecastError("wrong shape: the answer is not a JSON object")
    daily = data.get("daily")
    if not isinstance(daily, Mapping):
        raise ForecastError("wrong shape: no 'daily' object")
    times = _array(daily, "time", "daily")
    try:
        days = [date.fromisoformat(str(t)) for t in times]
    except ValueError:
        raise ForecastError("wrong shape: a daily time is not a date") from None
    columns = {name: _numbers(daily, name, len(days)) for name in DAILY}
    means = _hourly_means(data.get("hourly"))
    found = []
    for i, day in enumerate(days):
        tmax, tmin = columns["temperature_2m_max"][i], columns["temperature_2m_min"][i]
        mean = means.get(day)
        if mean is None and tmax is not None and tmin is not None:
            mean = (tmax + tmin) / 2
        found.append(DayForecast(
            day=day, rain_mm=columns["precipitation_sum"][i], temp_max=tmax, temp_min=tmin,
            temp_mean=mean, wind_kmh=columns["wind_speed_10m_max"][i],
            gust_kmh=columns["wind_gusts_10m_max"][i],
        ))
    if not found:
        raise ForecastError("wrong shape: no days in 'daily'")
    return Forecast(fetched_at=fetched_at, days=tuple(found))


def _array(table: Mapping[str, Any], name: str, where: str) -> Sequence[Any]:
    value = table.get(name)
    if not isinstance(value, list):
        raise ForecastError(f"wrong shape: no '{where}.{name}' array")
    return value


def _numbers(table: Mapping[str, Any], name: str, length: int) -> list[float | None]:
    values = _array(table, name, "daily")
    if len(values) != length:
        raise ForecastError(f"wrong shape: 'daily.{name}' has {len(values)} values for "
                            f"{length} days")
    return [_number(v, f"daily.{name}") for v in values]


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ForecastError(f"wrong shape: '{where}' holds {str(value)[:20]!r}, not a number")
    return float(value)


def _hourly_means(hourly: Any) -> dict[date, float]:
    """{local day: mean of its hourly temperatures}; a day missing hours or values has none
    (its mean is then (max + min) / 2). The hourly block is optional."""
    if hourly is None:
        return {}
    if not isinstance(hourly, Mapping):
        raise ForecastError("wrong shape: 'hourly' is not an object")
    times = _array(hourly, "time", "hourly")
    temps = _array(hourly, "temperature_2m", "hourly")
    if len(times) != len(temps):
        raise ForecastError("wrong shape: 'hourly' arrays differ in length")
    by_day: dict[date, list[float | None]] = {}
    for t, v in zip(times, temps, strict=True):
        try:
            moment = datetime.fromisoformat(str(t))
        except ValueError:
            raise ForecastError("wrong shape: an hourly time is not a time") from None
        by_day.setdefault(moment.date(), []).append(_number(v, "hourly.temperature_2m"))
    return {d: sum(vs) / len(vs) for d, vs in by_day.items()  # type: ignore[arg-type]
            if len(vs) == 24 and all(v is not None for v in vs)}
