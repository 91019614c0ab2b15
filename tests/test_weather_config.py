"""Weather settings: the poll interval's bounds and the one warning under a minute, the ward's
place in areas.toml ([ward]), and what `sansang content check` says about the weather files."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import ConfigError, ContentError
from bot.guides.content_check import check_weather
from bot.services import Services
from bot.subscriptions.areas import AreaCatalog
from tests.auxil.weather import CONTENT, WARD


def config(tmp_path: Path, **env: str) -> Config:
    return Config.from_env({"SANSANG_DB": str(tmp_path / "w.sqlite3"), **env},
                           require_token=False)


@pytest.mark.parametrize("seconds", ["1", "59", "60", "86400"])
def test_any_interval_from_a_second_to_a_day_is_accepted(tmp_path: Path, seconds: str) -> None:
    assert config(tmp_path, SANSANG_WEATHER_INTERVAL=seconds).weather_interval == int(seconds)


@pytest.mark.parametrize("seconds", ["0", "86401", "-5", "hourly"])
def test_an_interval_out_of_bounds_names_the_variable_and_a_right_value(
        tmp_path: Path, seconds: str) -> None:
    with pytest.raises(ConfigError, match="SANSANG_WEATHER_INTERVAL") as info:
        config(tmp_path, SANSANG_WEATHER_INTERVAL=seconds)
    assert "SANSANG_WEATHER_INTERVAL=3600" in str(info.value)


def test_under_a_minute_warns_about_open_meteos_fair_use(tmp_path: Path) -> None:
    (warning,) = config(tmp_path, SANSANG_WEATHER_INTERVAL="30").warnings()
    assert "SANSANG_WEATHER_INTERVAL=30" in warning and "10,000 calls a day" in warning
    assert config(tmp_path, SANSANG_WEATHER_INTERVAL="60").warnings() == []
    assert config(tmp_path, SANSANG_WEATHER_INTERVAL="30", SANSANG_WEATHER="off").warnings() == []


async def test_the_bot_logs_that_warning_once_at_start(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    services = await Services.open(config(tmp_path, SANSANG_WEATHER_INTERVAL="5"))
    try:
        assert services.weather is not None
        assert services.weather.client.lat == WARD.lat
    finally:
        await services.close()
    said = [r for r in caplog.records if "10,000 calls a day" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING


async def test_weather_off_has_advisories_but_no_watch(tmp_path: Path) -> None:
    services = await Services.open(config(tmp_path, SANSANG_WEATHER="off"))
    try:
        assert services.weather is None
        assert await services.advisories.approved() == []
    finally:
        await services.close()


def content_without_ward(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    areas = folder / "areas.toml"
    text = areas.read_text(encoding="utf-8")
    cut = re.sub(r"\n\[ward\]\n(?:[^\[\n].*\n)*", "\n", text)
    assert cut != text
    areas.write_text(cut, encoding="utf-8")
    return folder


async def test_weather_without_the_wards_place_is_a_clear_error(tmp_path: Path) -> None:
    folder = content_without_ward(tmp_path)
    assert AreaCatalog.load(folder / "areas.toml").ward is None
    with pytest.raises(ContentError) as info:
        await Services.open(config(tmp_path, SANSANG_CONTENT=str(folder)))
    said = str(info.value)
    assert str(folder / "areas.toml") in said and "[ward]" in said
    assert "lat = 20.850" in said and "SANSANG_WEATHER=off" in said
    # without the forecast the bot runs as before
    services = await Services.open(config(tmp_path, SANSANG_CONTENT=str(folder),
                                          SANSANG_WEATHER="off"))
    await services.close()


def test_content_check_reports_a_missing_ward_and_unknown_guides(tmp_path: Path) -> None:
    assert check_weather(CONTENT, _guide_ids()) == []
    folder = content_without_ward(tmp_path)
    weather = folder / "weather.toml"
    weather.write_text(weather.read_text(encoding="utf-8").replace(
        '"flood-during"', '"flood-diving"', 1), encoding="utf-8")
    problems = [str(p) for p in check_weather(folder, _guide_ids())]
    assert any("areas.toml" in p and "[ward]" in p for p in problems)
    assert any("weather.toml" in p and "flood-diving" in p for p in problems)
    assert len(problems) == 2


@pytest.mark.parametrize(("old", "new", "says"), [
    ("lat = 20.850", "lat = 120.850", "lat = 120.85 is out of range"),
    ("radius_km = 2.5\n", "radius_km = 2.5\npolygon = [[20.8, 106.6]]\n", "polygon"),
    ('en = "Lê Chân ward"\n', "", "needs both 'vi' and 'en' names"),
])
def test_a_bad_ward_table_is_a_content_error(
        tmp_path: Path, old: str, new: str, says: str) -> None:
    text = (CONTENT / "areas.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "areas.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(says)):
        AreaCatalog.load(path)


def test_the_ward_may_give_its_boundary(tmp_path: Path) -> None:
    text = (CONTENT / "areas.toml").read_text(encoding="utf-8")
    path = tmp_path / "areas.toml"
    path.write_text(text.replace(
        "radius_km = 2.5\n",
        "radius_km = 2.5\npolygon = [[20.84, 106.67], [20.86, 106.67], [20.86, 106.69]]\n"),
        encoding="utf-8")
    ward = AreaCatalog.load(path).require_ward()
    assert ward.polygon == ((20.84, 106.67), (20.86, 106.67), (20.86, 106.69))
    assert WARD.polygon is None  # the shipped file has no official boundary


def _guide_ids() -> set[str]:
    from bot.guides.library import Library

    return set(Library.load(CONTENT).ids())
