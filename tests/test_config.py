"""Configuration: defaults, and errors that name the variable and show a right value."""

import pytest

from bot.config import EXAMPLE_TOKEN, Config
from bot.errors import ConfigError

TOKEN = "123456789:" + "A" * 35


def test_defaults_follow_the_contract() -> None:
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert config.api_url == "https://api.telegram.org"
    assert str(config.db_path) == "data/sansang.sqlite3"
    assert config.broadcast_rate == 25
    assert config.timezone == "Asia/Ho_Chi_Minh"
    assert config.paid_broadcast is False
    assert config.misfire_grace == 21600
    assert config.weather is True
    assert config.weather_url == "https://api.open-meteo.com/v1/forecast"
    assert config.weather_interval == 3600
    assert config.base_url == "https://api.telegram.org/bot"
    assert TOKEN not in repr(config)


def test_every_variable_is_read() -> None:
    config = Config.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "SANSANG_DB": "/tmp/x.sqlite3",
            "SANSANG_LEAD_IDS": "1, 2",
            "SANSANG_STAFF_IDS": "3",
            "SANSANG_BROADCAST_RATE": "900",
            "SANSANG_PAID_BROADCAST": "on",
            "SANSANG_TIMEZONE": "UTC",
            "SANSANG_MISFIRE_GRACE": "60",
            "SANSANG_WEATHER": "off",
            "SANSANG_WEATHER_URL": "http://127.0.0.1:9/v1/forecast",
            "SANSANG_WEATHER_INTERVAL": "600",
        }
    )
    assert config.api_url == "http://127.0.0.1:8081"
    assert config.lead_ids == {1, 2} and config.staff_ids == {3}
    assert config.broadcast_rate == 900 and config.paid_broadcast
    assert (config.timezone, config.misfire_grace, config.weather) == ("UTC", 60, False)
    assert config.weather_interval == 600


@pytest.mark.parametrize(
    ("env", "variable", "example"),
    [
        ({}, "TELEGRAM_BOT_TOKEN", "@BotFather"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN", EXAMPLE_TOKEN),
        ({"SANSANG_LEAD_IDS": "12,abc"}, "SANSANG_LEAD_IDS", "SANSANG_LEAD_IDS=123456789"),
        ({"SANSANG_BROADCAST_RATE": "fast"}, "SANSANG_BROADCAST_RATE", "=25"),
        ({"SANSANG_BROADCAST_RATE": "100"}, "SANSANG_BROADCAST_RATE", "SANSANG_PAID_BROADCAST"),
        ({"SANSANG_TIMEZONE": "Mars/Base"}, "SANSANG_TIMEZONE", "Asia/Ho_Chi_Minh"),
        ({"SANSANG_WEATHER": "maybe"}, "SANSANG_WEATHER", "SANSANG_WEATHER=on"),
        ({"TELEGRAM_API_URL": "localhost:8081"}, "TELEGRAM_API_URL", "http://"),
        ({"SANSANG_MISFIRE_GRACE": "-5"}, "SANSANG_MISFIRE_GRACE", "21600"),
    ],
)
def test_bad_values_name_the_variable_and_a_right_value(
    env: dict[str, str], variable: str, example: str
) -> None:
    if "TELEGRAM_BOT_TOKEN" not in env and variable != "TELEGRAM_BOT_TOKEN":
        env = {**env, "TELEGRAM_BOT_TOKEN": TOKEN}
    with pytest.raises(ConfigError) as err:
        Config.from_env(env)
    assert variable in str(err.value)
    assert example in str(err.value)


def test_a_malformed_token_is_not_echoed() -> None:
    almost = "123456789:short-but-secret"
    with pytest.raises(ConfigError) as err:
        Config.from_env({"TELEGRAM_BOT_TOKEN": almost})
    assert almost not in str(err.value)
