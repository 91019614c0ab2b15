"""Vietnam's categories, read from content/weather.toml, applied to a forecast: events by hazard,
their levels, runs of days within the horizon, and the draft texts made from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import ContentError
from bot.weather.drafts import texts
from bot.weather.models import DayForecast, Event, Forecast
from bot.weather.thresholds import WeatherSettings, classify
from tests.auxil.weather import CONTENT, SETTINGS, TODAY, WARD, day_values, lowest_kmh

CALM = DayForecast(TODAY, 0.0, 30.0, 24.0, 27.0, 10.0, 20.0)
FIELDS = {"rain": "rain_mm", "tmax": "temp_max", "tmin": "temp_min", "mean": "temp_mean",
          "wind": "wind_kmh", "gust": "gust_kmh"}


def forecast(*days: dict[str, float | None]) -> Forecast:
    """Days from TODAY on, each a calm day with these values."""
    return Forecast(datetime.now(UTC), tuple(
        replace(CALM, day=TODAY + timedelta(days=i), **{FIELDS[k]: v for k, v in d.items()})
        for i, d in enumerate(days)))


def only(events: list[Event]) -> Event:
    assert len(events) == 1, events
    return events[0]


CASES = [(hazard, level) for hazard, rule in SETTINGS.hazards.items()
         for level in range(1, len(rule.categories) + 1)]


@pytest.mark.parametrize(("hazard", "level"), CASES)
def test_each_category_gives_its_event(hazard: str, level: int) -> None:
    event = only(classify(forecast({}, day_values(hazard, level)), SETTINGS, TODAY))
    cat = SETTINGS.hazards[hazard].category(level)
    assert (event.hazard, event.level, event.name_vi, event.name_en) == (
        hazard, level, cat.name_vi, cat.name_en)
    assert event.first_day == event.last_day == event.peak_day == TODAY + timedelta(days=1)
    assert event.guides == SETTINGS.hazards[hazard].guides


def test_the_named_categories_are_vietnams() -> None:
    """The file's names for the levels the issue lists (a guard on edits of the file)."""
    names = {h: [c.name_vi for c in r.categories] for h, r in SETTINGS.hazards.items()}
    assert names["rain"] == ["mưa to", "mưa rất to"]
    assert names["heat"] == ["nắng nóng", "nắng nóng gay gắt", "nắng nóng đặc biệt gay gắt"]
    assert names["cold"] == ["rét đậm", "rét hại"]
    assert [int(c.bound) for c in SETTINGS.hazards["wind"].categories] == [6, 8, 10, 12, 16]


def test_below_every_threshold_is_no_event() -> None:
    rain = SETTINGS.hazards["rain"].category(1).bound
    heat = SETTINGS.hazards["heat"].category(1).bound
    cold = SETTINGS.hazards["cold"].category(1).bound
    calm = {"rain": rain, "tmax": heat - 0.1, "mean": cold, "wind": lowest_kmh(6) - 0.1,
            "gust": lowest_kmh(6) - 0.1}
    assert classify(forecast(calm, calm), SETTINGS, TODAY) == []


def test_rain_at_the_bound_of_very_heavy_is_still_heavy() -> None:
    bound = SETTINGS.hazards["rain"].category(2).bound
    assert only(classify(forecast({"rain": bound}), SETTINGS, TODAY)).level == 1
    assert only(classify(forecast({"rain": bound + 0.1}), SETTINGS, TODAY)).level == 2


def test_wind_from_sustained_wind_alone() -> None:
    kmh = lowest_kmh(7) + 1
    event = only(classify(forecast({"wind": kmh, "gust": kmh}), SETTINGS, TODAY))
    assert (event.hazard, event.level, event.beaufort, event.gust_beaufort) == ("wind", 1, 7, 7)
    assert event.value == kmh


def test_wind_from_gusts_takes_the_stronger_level() -> None:
    event = only(classify(forecast({"wind": lowest_kmh(7) + 1, "gust": lowest_kmh(9) + 1}),
                          SETTINGS, TODAY))
    assert (event.level, event.beaufort, event.gust_beaufort) == (2, 7, 9)
    assert event.value == lowest_kmh(9) + 1
    calm_wind = only(classify(forecast({"wind": 20.0, "gust": lowest_kmh(10)}),
                              SETTINGS, TODAY))
    assert (calm_wind.level, calm_wind.beaufort, calm_wind.gust_beaufort) == (3, None, 10)


def test_every_beaufort_level_of_the_table() -> None:
    for level, low in SETTINGS.beaufort:
        assert SETTINGS.beaufort_of(low) == level
        assert SETTINGS.beaufort_of(low - 0.01) in (level - 1, None)


def test_cold_reads_the_daily_mean_not_the_minimum() -> None:
    cold = SETTINGS.hazards["cold"].category(2).bound
    assert classify(forecast({"mean": cold + 3, "tmin": cold - 5}), SETTINGS, TODAY) == []
    event = only(classify(forecast({"mean": cold - 0.5}), SETTINGS, TODAY))
    assert (event.level, event.value) == (2, cold - 0.5)


def test_a_run_of_days_is_one_event_at_its_worst_day() -> None:
    heavy, very = day_values("rain", 1), day_values("rain", 2)
    event = only(classify(forecast(heavy, very, heavy), SETTINGS, TODAY))
    assert (event.first_day, event.last_day, event.peak_day) == (
        TODAY, TODAY + timedelta(days=2), TODAY + timedelta(days=1))
    assert event.level == 2 and event.value == very["rain"]
    assert [lv for _d, lv in event.days] == [1, 2, 1]


def test_a_calm_day_between_splits_the_runs() -> None:
    hot = day_values("heat", 1)
    events = classify(forecast(hot, {}, hot), SETTINGS, TODAY)
    assert [(e.first_day, e.last_day) for e in events] == [
        (TODAY, TODAY), (TODAY + timedelta(days=2), TODAY + timedelta(days=2))]


def test_only_days_within_the_horizon_are_classified() -> None:
    wet = day_values("rain", 2)
    days = [{} for _ in range(7)]
    days[SETTINGS.horizon_days] = wet  # the first day past the horizon
    assert classify(forecast(*days), SETTINGS, TODAY) == []
    days[SETTINGS.horizon_days - 1] = wet
    event = only(classify(forecast(*days), SETTINGS, TODAY))
    assert event.last_day == TODAY + timedelta(days=SETTINGS.horizon_days - 1)
    # yesterday's rain (a forecast fetched before midnight) is not drafted
    assert classify(forecast(wet), SETTINGS, TODAY + timedelta(days=1)) == []


def test_missing_values_are_no_event() -> None:
    assert classify(forecast({"rain": None, "tmax": None, "mean": None, "wind": None,
                              "gust": None}), SETTINGS, TODAY) == []


# ---------------------------------------------------------------------------- draft texts

def draft(hazard: str, level: int, *more: dict[str, float]) -> tuple[Event, str, str]:
    event = only(classify(forecast(day_values(hazard, level), *more), SETTINGS, TODAY))
    vi, en = texts(event, SETTINGS, WARD)
    return event, vi, en


@pytest.mark.parametrize(("hazard", "level"), CASES)
def test_every_draft_says_what_when_how_strong_what_to_do_112_and_source(
        hazard: str, level: int) -> None:
    event, vi, en = draft(hazard, level)
    assert event.name_vi in vi.lower() and event.name_en in en.lower()
    assert "Thứ 3, 1 tháng 12" in vi and "Tue, December 1" in en
    assert "112" in vi and "112" in en
    for text in (vi, en):
        assert "Open-Meteo.com" in text and "nchmf.gov.vn" in text
        assert 1 <= text.count("\n• ") <= 3
        assert len(text) < 2000  # well under Telegram's 4,096
    assert "bà con" in vi.lower() and "bạn" not in vi.lower()
    assert WARD.name_vi in vi and WARD.name_en in en


def test_rain_strength_in_millimetres() -> None:
    event, vi, en = draft("rain", 2)
    mm = f"{event.value:g}".replace(".", ",")
    assert f"mưa rất to, khoảng {mm} mm trong 24 giờ" in vi
    assert f"very heavy rain, about {event.value:g} mm in 24 hours" in en


def test_wind_strength_in_beaufort_levels_with_gusts() -> None:
    gusty = {"wind": lowest_kmh(7) + 1, "gust": lowest_kmh(9) + 1}
    event = only(classify(forecast(gusty), SETTINGS, TODAY))
    vi, en = texts(event, SETTINGS, WARD)
    assert "gió mạnh cấp 7, giật cấp 9" in vi
    assert "Beaufort level 7 gusting to level 9" in en


def test_heat_and_cold_strength_in_degrees() -> None:
    event, vi, _en = draft("heat", 3)
    assert f"nắng nóng đặc biệt gay gắt, nhiệt độ cao nhất khoảng {event.value:g} °C" in vi
    event, vi, _en = draft("cold", 1)
    degrees = f"{event.value:g}".replace(".", ",")
    assert f"rét đậm, nhiệt độ trung bình ngày khoảng {degrees} °C" in vi


def test_a_run_names_its_days_and_its_worst_day() -> None:
    _event, vi, en = draft("heat", 1, day_values("heat", 2))
    assert "từ Thứ 3, 1 tháng 12 đến Thứ 4, 2 tháng 12" in vi
    assert "nóng nhất vào Thứ 4, 2 tháng 12" in vi
    assert "Tue, December 1 to Wed, December 2" in en


def test_storm_force_steps_add_stocks_and_evacuation() -> None:
    _e, mild, _ = draft("wind", 1)
    _e, storm, _ = draft("wind", 2)
    assert "sơ tán" not in mild and "sơ tán" in storm


# ---------------------------------------------------------------------------- the file

def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = (CONTENT / "weather.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "weather.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "says"), [
    ("horizon_days = 3", "horizon_days = 0", "horizon_days = 0 is out of range"),
    ("above_mm = 100", "above_mm = 40", "must rise"),
    ("below_c = 13", "below_c = 16", "must fall"),
    ("Bà con lưu ý:\n{steps}", "Bà con lưu ý:\n{stepz}", "placeholder"),
    ("from_beaufort = 6", "from_beaufort = 5", "not in [beaufort] levels"),
    ('severity = ["Moderate", "Severe"]', 'severity = ["Moderate"]', "severity"),
    ("horizon_days = 3", "horizon_days = [", "weather.toml"),
])
def test_a_bad_weather_file_is_a_content_error_naming_it(
        tmp_path: Path, old: str, new: str, says: str) -> None:
    with pytest.raises(ContentError, match="weather.toml") as info:
        WeatherSettings.load(edited(tmp_path, old, new))
    assert says in str(info.value)


def test_every_threshold_has_its_source() -> None:
    assert "18/2021" in SETTINGS.beaufort_source
    for rule in SETTINGS.hazards.values():
        assert "facts" in rule.source and rule.source.strip()


def test_dates_of_another_year_are_in_words_too() -> None:
    event = Event("rain", 1, "mưa to", "heavy rain", date(2027, 1, 2), date(2027, 1, 2),
                  date(2027, 1, 2), 60.0, None, None, ((date(2027, 1, 2), 1),), ())
    vi, en = texts(event, SETTINGS, WARD)
    assert "Thứ 7, 2 tháng 1" in vi and "Sat, January 2" in en
