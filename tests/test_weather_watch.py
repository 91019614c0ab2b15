"""The weather watch over a failing forecast service: timeouts, 500s and malformed JSON are
survived; staff hear once when it is down and once when it is back, across restarts too."""

from __future__ import annotations

import pytest

from tests.auxil.weather import SETTINGS, World, day_values, world_fixture  # noqa: F401

N = SETTINGS.failures_before_notice
FAILURES = {
    "500": lambda w: w.fake.fail_always(500),
    "timeout": lambda w: w.fake.slow_next(1000),
    "malformed": lambda w: w.fake.malformed_next(1000),
    "wrong shape": lambda w: w.fake.wrong_shape_next(1000),
}


async def polls(world: World, n: int) -> list[bool]:
    return [(await world.weather.poll()).ok for _ in range(n)]


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_outage_is_told_once_and_its_end_once(world: World, failure: str) -> None:
    FAILURES[failure](world)
    assert await polls(world, N - 1) == [False] * (N - 1)
    assert world.told == []  # a short hiccup is not news
    assert await polls(world, 3) == [False] * 3
    assert world.kinds() == ["weather_down"]
    world.fake.recover()
    world.fake.set_day(0, **day_values("rain", 1))
    result = await world.weather.poll()
    assert result.ok and len(result.drafts) == 1  # drafting goes on after the outage
    assert world.kinds() == ["weather_down", "weather_back"]
    assert await polls(world, 2) == [True, True]
    assert world.kinds() == ["weather_down", "weather_back"]


async def test_the_notices_say_what_failed_since_when(world: World) -> None:
    world.fake.fail_always(503)
    await polls(world, N)
    down, = world.told
    assert down.params["count"] == str(N) and "HTTP 503" in down.params["error"]
    for lang in ("vi", "en"):
        text = down.text(lang)
        assert "nchmf.gov.vn" in text and "{" not in text
    world.fake.recover()
    await world.weather.poll()
    back = world.told[-1]
    assert back.params["since_vi"] == down.params["since_vi"]
    assert "{" not in back.text("vi") and "{" not in back.text("en")


async def test_a_failed_poll_returns_its_reason_and_never_raises(world: World) -> None:
    world.fake.malformed_next(1)
    result = await world.weather.poll()
    assert (result.ok, result.forecast, result.drafts) == (False, None, ())
    assert result.error == "malformed JSON"


async def test_a_second_outage_is_told_again(world: World) -> None:
    for _ in range(2):
        world.fake.fail_always()
        await polls(world, N)
        world.fake.recover()
        await polls(world, 1)
    assert world.kinds() == ["weather_down", "weather_back"] * 2


async def test_a_restart_neither_repeats_the_notice_nor_forgets_the_outage(
        world: World) -> None:
    world.fake.fail_always()
    await polls(world, N)
    world.weather = world.restarted()
    assert await polls(world, 2) == [False, False]
    assert world.kinds() == ["weather_down"]
    world.fake.recover()
    world.weather = world.restarted()
    await polls(world, 1)
    assert world.kinds() == ["weather_down", "weather_back"]


async def test_failures_interrupted_by_a_success_start_counting_again(world: World) -> None:
    world.fake.fail_next(2 * (N - 1))  # retries=1: each failed poll takes two requests
    assert await polls(world, N - 1) == [False] * (N - 1)
    assert await polls(world, 1) == [True]
    world.fake.fail_next(2 * (N - 1))
    assert await polls(world, N - 1) == [False] * (N - 1)
    assert world.told == []


async def test_the_last_good_forecast_survives_failures_and_restarts(world: World) -> None:
    assert await world.weather.latest() is None
    world.fake.set_day(1, rain=12.0)
    good = (await world.weather.poll()).forecast
    world.fake.fail_always()
    await polls(world, N + 1)
    world.weather = world.restarted()
    assert await world.weather.latest() == good
    assert good is not None and good.days[1].rain_mm == 12.0
