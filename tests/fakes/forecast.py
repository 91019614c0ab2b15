"""A fake Open-Meteo forecast server on 127.0.0.1: /v1/forecast answers with Open-Meteo's JSON
shape (`daily` arrays and `hourly` temperature_2m) for days the test sets, and can fail on
purpose (500s, slow answers, malformed JSON, JSON of the wrong shape). Every request is logged
with its query parameters."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

DEFAULT_DAY = {"rain": 0.0, "tmax": 30.0, "tmin": 24.0, "wind": 10.0, "gust": 20.0,
               "mean": None}
"""A calm day: no threshold is crossed."""


@dataclass
class Request:
    params: dict[str, str]
    headers: dict[str, str]
    mode: str


@dataclass
class FakeForecast:
    """Set the days with `set_day`, queue failures with `fail_next` & co., read `requests`."""

    tz: str = "Asia/Ho_Chi_Minh"
    start_day: date | None = None  # the first day of the forecast; None: today in tz
    count: int = 7
    slow_seconds: float = 30.0  # a slow answer waits this long (longer than the client timeout)
    requests: list[Request] = field(default_factory=list)
    _days: list[dict[str, Any]] = field(default_factory=list)
    _queue: list[tuple[str, int]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.start_day is None:
            self.start_day = datetime.now(ZoneInfo(self.tz)).date()
        self._days = [dict(DEFAULT_DAY) for _ in range(self.count)]

    # ------------------------------------------------------------------ the forecast
    def day(self, index: int) -> date:
        assert self.start_day is not None
        return self.start_day + timedelta(days=index)

    def set_day(self, index: int, **values: float | None) -> date:
        """Set day `index` (0 = start_day): rain (mm), tmax, tmin, wind, gust (km/h), mean
        (every hour at this temperature; unset: half the hours at tmin, half at tmax). None
        sends a null. Returns the day's date."""
        unknown = set(values) - set(DEFAULT_DAY)
        if unknown:
            raise TypeError(f"unknown day values {sorted(unknown)}")
        self._days[index].update(values)
        return self.day(index)

    def calm(self) -> None:
        """Every day back to a calm day."""
        self._days = [dict(DEFAULT_DAY) for _ in range(self.count)]

    def body(self) -> dict[str, Any]:
        days = [self.day(i) for i in range(self.count)]
        hours: list[str] = []
        temps: list[float | None] = []
        for d, values in zip(days, self._days, strict=True):
            for h in range(24):
                hours.append(f"{d.isoformat()}T{h:02d}:00")
                if values["mean"] is not None:
                    temps.append(values["mean"])
                else:
                    low, high = values["tmin"], values["tmax"]
                    temps.append(None if low is None or high is None
                                 else (low if h < 12 else high))
        return {
            "latitude": 20.85, "longitude": 106.6875, "generationtime_ms": 0.1,
            "utc_offset_seconds": 25200, "timezone": self.tz, "timezone_abbreviation": "GMT+7",
            "elevation": 5.0,
            "daily_units": {"time": "iso8601", "precipitation_sum": "mm",
                            "temperature_2m_max": "°C", "temperature_2m_min": "°C",
                            "wind_speed_10m_max": "km/h", "wind_gusts_10m_max": "km/h"},
            "daily": {
                "time": [d.isoformat() for d in days],
                "precipitation_sum": [v["rain"] for v in self._days],
                "temperature_2m_max": [v["tmax"] for v in self._days],
                "temperature_2m_min": [v["tmin"] for v in self._days],
                "wind_speed_10m_max": [v["wind"] for v in self._days],
                "wind_gusts_10m_max": [v["gust"] for v in self._days],
            },
            "hourly_units": {"time": "iso8601", "temperature_2m": "°C"},
            "hourly": {"time": hours, "temperature_2m": temps},
        }

    # ------------------------------------------------------------------ failures
    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next n answers are HTTP `status` (500 by default)."""
        self._queue.extend([("error", status)] * n)

    def slow_next(self, n: int = 1) -> None:
        """The next n answers take slow_seconds (the client times out first)."""
        self._queue.extend([("slow", 0)] * n)

    def malformed_next(self, n: int = 1) -> None:
        """The next n answers are 200 with a body that is not JSON."""
        self._queue.extend([("malformed", 0)] * n)

    def wrong_shape_next(self, n: int = 1) -> None:
        """The next n answers are JSON, but not Open-Meteo's shape (no `daily.time`)."""
        self._queue.extend([("wrong_shape", 0)] * n)

    def fail_always(self, status: int = 500) -> None:
        """Every answer from now on is HTTP `status`, until `recover()`."""
        self._queue = [("always", status)]

    def recover(self) -> None:
        """Answer normally again (drops every queued failure)."""
        self._queue = []

    # ------------------------------------------------------------------ server
    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeForecast.start() first")
        return f"http://127.0.0.1:{self._port}/v1/forecast"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/forecast", self._handle)
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeForecast:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _next_mode(self) -> tuple[str, int]:
        if not self._queue:
            return "ok", 0
        if self._queue[0][0] == "always":
            return "error", self._queue[0][1]
        return self._queue.pop(0)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        mode, status = self._next_mode()
        self.requests.append(Request(dict(request.query), dict(request.headers), mode))
        if mode == "error":
            return web.json_response({"error": True, "reason": "fake failure"}, status=status)
        if mode == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.slow_seconds)
            return web.json_response(self.body())
        if mode == "malformed":
            return web.Response(text='{"daily": {"time": ["2026-', content_type="application/json")
        if mode == "wrong_shape":
            return web.json_response({"hourly": {"time": []}, "daily": {"days": 7}})
        if "latitude" not in request.query or "daily" not in request.query:
            # Open-Meteo's own refusal of a request without them
            return web.json_response({"error": True, "reason": "Parameter missing"},
                                     status=400)
        return web.Response(text=json.dumps(self.body()), content_type="application/json")
