"""The forecast client against the fake Open-Meteo server: what it asks, what it reads, and how
it fails (always a ForecastError with a short reason, never a crash)."""

from __future__ import annotations

import pytest

from bot.weather.forecast import USER_AGENT, ForecastError
from tests.auxil.weather import TODAY, TZ, WARD, World, world_fixture  # noqa: F401


async def test_asks_open_meteo_for_the_ward_in_its_zone_and_kmh(world: World) -> None:
    await world.client().fetch()
    (request,) = world.fake.requests
    p = request.params
    assert (float(p["latitude"]), float(p["longitude"])) == (WARD.lat, WARD.lon)
    assert set(p["daily"].split(",")) == {
        "precipitation_sum", "temperature_2m_max", "temperature_2m_min",
        "wind_speed_10m_max", "wind_gusts_10m_max"}
    assert p["hourly"] == "temperature_2m"
    assert (p["timezone"], p["forecast_days"], p["wind_speed_unit"]) == (
        "Asia/Ho_Chi_Minh", "7", "kmh")
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("sansang/")


async def test_reads_each_day_and_the_mean_of_its_hours(world: World) -> None:
    world.fake.set_day(0, rain=12.5, tmax=33.0, tmin=25.0, wind=20.0, gust=41.0)
    world.fake.set_day(1, mean=14.2, tmax=17.0, tmin=11.0)
    forecast = await world.client().fetch()
    assert [d.day for d in forecast.days] == [world.fake.day(i) for i in range(7)]
    first, second = forecast.days[:2]
    assert first.day == TODAY
    assert (first.rain_mm, first.temp_max, first.temp_min, first.wind_kmh, first.gust_kmh) == (
        12.5, 33.0, 25.0, 20.0, 41.0)
    assert first.temp_mean == pytest.approx(29.0)  # half the hours at 25, half at 33
    assert second.temp_mean == pytest.approx(14.2)  # the hours' mean, not (max+min)/2
    assert forecast.fetched_at.tzinfo is not None


async def test_nulls_are_none_and_a_day_missing_hours_falls_back_to_max_min(
        world: World) -> None:
    world.fake.set_day(2, rain=None, gust=None, tmin=None)
    world.fake.set_day(3, mean=None, tmax=20.0, tmin=10.0)
    forecast = await world.client().fetch()
    third, fourth = forecast.days[2:4]
    assert (third.rain_mm, third.gust_kmh, third.temp_min, third.temp_mean) == (
        None, None, None, None)
    assert third.temp_max == 30.0
    assert fourth.temp_mean == pytest.approx(15.0)


async def test_a_500_is_retried_and_then_the_forecast_read(world: World) -> None:
    world.fake.fail_next(1)
    forecast = await world.client().fetch()
    assert len(forecast.days) == 7
    assert [r.mode for r in world.fake.requests] == ["error", "ok"]


@pytest.mark.parametrize(("fail", "reason"), [
    ("fail_next", "HTTP 500"), ("slow_next", "timed out"),
])
async def test_failures_after_every_retry_are_a_forecast_error(
        world: World, fail: str, reason: str) -> None:
    getattr(world.fake, fail)(2)
    with pytest.raises(ForecastError, match=reason):
        await world.client().fetch()
    assert len(world.fake.requests) == 2  # one try and one retry


@pytest.mark.parametrize(("fail", "reason"), [
    ("malformed_next", "malformed JSON"), ("wrong_shape_next", "wrong shape"),
])
async def test_bad_json_is_a_forecast_error_without_retrying(
        world: World, fail: str, reason: str) -> None:
    getattr(world.fake, fail)(1)
    with pytest.raises(ForecastError, match=reason):
        await world.client().fetch()
    assert len(world.fake.requests) == 1


async def test_a_refused_request_is_not_retried_and_says_why(world: World) -> None:
    world.fake.fail_next(1, status=400)
    with pytest.raises(ForecastError, match="HTTP 400: fake failure"):
        await world.client().fetch()
    assert len(world.fake.requests) == 1


async def test_a_closed_port_is_a_forecast_error(world: World) -> None:
    url = world.fake.url
    await world.fake.stop()
    from bot.weather.forecast import ForecastClient

    client = ForecastClient(url, lat=WARD.lat, lon=WARD.lon, tz=TZ, timeout=0.5, retries=1,
                            backoff=0.01)
    try:
        with pytest.raises(ForecastError, match="connection failed"):
            await client.fetch()
    finally:
        await client.aclose()


@pytest.mark.parametrize("body", [
    [], {"daily": []}, {"daily": {"time": ["2026-12-01"]}},
    {"daily": {"time": ["not a date"], "precipitation_sum": [1]}},
    {"daily": {"time": ["2026-12-01"], "precipitation_sum": ["wet"],
               "temperature_2m_max": [1], "temperature_2m_min": [1],
               "wind_speed_10m_max": [1], "wind_gusts_10m_max": [1]}},
    {"daily": {"time": ["2026-12-01"], "precipitation_sum": [1, 2],
               "temperature_2m_max": [1], "temperature_2m_min": [1],
               "wind_speed_10m_max": [1], "wind_gusts_10m_max": [1]}},
])
def test_every_wrong_shape_is_named(body: object) -> None:
    from datetime import UTC, datetime

    from bot.weather.forecast import parse

    with pytest.raises(ForecastError, match="wrong shape"):
        parse(body, datetime.now(UTC))
