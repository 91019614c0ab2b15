"""The weather domain's values: a forecast, the hazard events found in it, and the advisories
drafted from them. Plain frozen dataclasses; nothing here talks to a network or a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

HAZARDS = ("rain", "wind", "heat", "cold")
ADVISORY_STATUSES = ("draft", "approved", "discarded", "superseded")


@dataclass(frozen=True)
class DayForecast:
    day: date  # local date in SANSANG_TIMEZONE
    rain_mm: float | None  # daily precipitation_sum
    temp_max: float | None
    temp_min: float | None
    temp_mean: float | None  # mean of the day's hourly temperature_2m, else (max+min)/2
    wind_kmh: float | None  # daily wind_speed_10m_max
    gust_kmh: float | None  # daily wind_gusts_10m_max


@dataclass(frozen=True)
class Forecast:
    fetched_at: datetime  # UTC
    days: tuple[DayForecast, ...]


@dataclass(frozen=True)
class Event:
    """One hazard over a run of consecutive days."""

    hazard: str  # one of HAZARDS
    # Category rank within the hazard, 1 = mildest (rain: 1 mưa to, 2 mưa rất to; heat: 1 nắng
    # nóng, 2 gay gắt, 3 đặc biệt gay gắt; cold: 1 rét đậm, 2 rét hại; wind: 1 = Beaufort 6-7,
    # 2 = 8-9, 3 = 10-11, 4 = 12-15, 5 = >=16; the stronger of wind and gusts)
    level: int
    name_vi: str  # "mưa rất to"
    name_en: str  # "very heavy rain"
    first_day: date
    last_day: date
    peak_day: date
    value: float  # peak: mm in 24 h, km/h, °C (max for heat, daily mean for cold)
    beaufort: int | None  # wind: Beaufort level of the sustained wind; None otherwise
    gust_beaufort: int | None
    days: tuple[tuple[date, int], ...]  # (day, level) of every day in the run
    guides: tuple[str, ...]  # guide ids for the buttons


@dataclass(frozen=True)
class Advisory:
    id: int
    hazard: str
    level: int
    name_vi: str
    name_en: str
    first_day: date
    last_day: date
    peak_day: date
    value: float
    beaufort: int | None
    gust_beaufort: int | None
    guides: tuple[str, ...]
    text_vi: str  # the text residents get (editable while a draft)
    text_en: str
    areas: tuple[str, ...] | None  # None = every area
    status: str  # draft | approved | discarded | superseded
    created_at: datetime
    reminded_at: datetime | None
    decided_by: int | None  # Telegram user id of who approved/discarded
    decided_at: datetime | None
    broadcast_id: int | None
    supersedes: int | None


@dataclass(frozen=True)
class Decision:
    advisory: Advisory  # as it is now
    changed: bool  # False: it was no longer a draft (someone else decided first); nothing done
    broadcast_id: int | None


@dataclass(frozen=True)
class PollResult:
    ok: bool
    forecast: Forecast | None
    events: tuple[Event, ...]
    drafts: tuple[Advisory, ...]  # new drafts the channel must send to staff
    error: str | None
