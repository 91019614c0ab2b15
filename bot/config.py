"""Settings: one frozen dataclass built from the environment and validated at start.

Every error names the variable, says what was wrong and shows a right value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.paths import data_dir

TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,60}$")
DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_WEATHER_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_ZALO_API_URL = "https://openapi.zalo.me"
DEFAULT_ZALO_OAUTH_URL = "https://oauth.zaloapp.com"
DEFAULT_ZALO_BUSINESS_URL = "https://business.openapi.zalo.me"
DEFAULT_ZALO_WEBHOOK = ("127.0.0.1", 8089)
EXAMPLE_TOKEN = "123456789:AAH-example-token-from-BotFather-xyz12"  # noqa: S105 - a fake

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set.\n"
    "  1. In Telegram, open @BotFather, send /newbot and follow the steps;\n"
    "     it answers with a token like " + EXAMPLE_TOKEN + "\n"
    "  2. Put it in a file named .env beside the Makefile (copy .env.example):\n"
    "       TELEGRAM_BOT_TOKEN=" + EXAMPLE_TOKEN + "\n"
    "     or export it: export TELEGRAM_BOT_TOKEN=...\n"
    "  To try the bot without a token, run: sansang shell"
)


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from its environment (see README, "Configuration")."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/sansang.sqlite3")
    lead_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()
    broadcast_rate: float = 25.0
    timezone: str = "Asia/Ho_Chi_Minh"
    paid_broadcast: bool = False
    misfire_grace: int = 21600
    weather: bool = True
    weather_url: str = DEFAULT_WEATHER_URL
    weather_interval: int = 3600
    # A Telegram group of ward staff that gets residents' flood reports instead of each staff and
    # lead private chat (None: the private chats).
    staff_group: int | None = None
    content_dir: Path = field(default_factory=lambda: data_dir("content"))
    campaigns_dir: Path = field(default_factory=lambda: data_dir("broadcasts"))
    # Zalo OA (SANSANG_ZALO=on): read and checked only when on; secrets never in a repr or log.
    zalo: bool = False
    zalo_webhook: tuple[str, int] = DEFAULT_ZALO_WEBHOOK
    zalo_app_id: str = ""
    zalo_app_secret: str = field(default="", repr=False)
    zalo_oa_secret: str = field(default="", repr=False)
    zalo_refresh_token: str = field(default="", repr=False)
    zalo_api_url: str = DEFAULT_ZALO_API_URL
    zalo_oauth_url: str = DEFAULT_ZALO_OAUTH_URL
    zalo_business_url: str = DEFAULT_ZALO_BUSINESS_URL
    zalo_billable: bool = False
    zalo_template: str = ""

    def warnings(self) -> list[str]:
        """Settings that work but deserve a line in the log at start."""
        found = []
        if self.weather and self.weather_interval < 60:
            found.append(
                f"SANSANG_WEATHER_INTERVAL={self.weather_interval} polls the forecast more "
                "than once a minute; Open-Meteo's free service asks for fewer than 10,000 calls "
                "a day. Use it only with a self-hosted forecast mirror or in tests. Example of "
                "a right value: SANSANG_WEATHER_INTERVAL=3600"
            )
        return found

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        """Root for Bot API methods, as python-telegram-bot wants it."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, require_token: bool = True
    ) -> Config:
        """Build and validate the settings; raise ConfigError naming the first bad variable."""
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if require_token:
            if not token:
                raise ConfigError(TOKEN_HELP)
            if not TOKEN_RE.match(token):
                # Never echo the value: it may be a real token with a typo.
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN does not look like a bot token "
                    "(digits, a colon, then 30-60 letters, digits, '-' or '_'). "
                    f"Example of a right value: {EXAMPLE_TOKEN}"
                )
        paid = _on_off(env, "SANSANG_PAID_BROADCAST", False)
        rate = _number(env, "SANSANG_BROADCAST_RATE", 25.0, 0.1, 1000.0, "25")
        if not paid and "SANSANG_BROADCAST_RATE" in env and rate > 30:
            raise ConfigError(
                f"SANSANG_BROADCAST_RATE={env['SANSANG_BROADCAST_RATE']} is above Telegram's "
                "limit of 30 messages a second. Example: SANSANG_BROADCAST_RATE=25 "
                "(up to 1000 with SANSANG_PAID_BROADCAST=on)"
            )
        tz_name = env.get("SANSANG_TIMEZONE", "").strip() or "Asia/Ho_Chi_Minh"
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"SANSANG_TIMEZONE={tz_name!r} is not a known time zone. "
                "Example of a right value: SANSANG_TIMEZONE=Asia/Ho_Chi_Minh"
            ) from exc
        return cls(
            token=token,
            api_url=_url(env, "TELEGRAM_API_URL", DEFAULT_API_URL, "http://127.0.0.1:8081"),
            db_path=Path(env.get("SANSANG_DB", "").strip() or "data/sansang.sqlite3"),
            lead_ids=_ids(env, "SANSANG_LEAD_IDS"),
            staff_ids=_ids(env, "SANSANG_STAFF_IDS"),
            broadcast_rate=rate,
            timezone=tz_name,
            paid_broadcast=paid,
            misfire_grace=int(_number(env, "SANSANG_MISFIRE_GRACE", 21600, 0, 7 * 86400, "21600")),
            weather=_on_off(env, "SANSANG_WEATHER", True),
            weather_url=_url(env, "SANSANG_WEATHER_URL", DEFAULT_WEATHER_URL, DEFAULT_WEATHER_URL),
            weather_interval=int(
                _number(env, "SANSANG_WEATHER_INTERVAL", 3600, 1, 86400, "3600")
            ),
            staff_group=_group_id(env, "SANSANG_STAFF_GROUP"),
            content_dir=Path(env.get("SANSANG_CONTENT", "").strip() or data_dir("content")),
            campaigns_dir=_campaigns_dir(env),
            **_zalo(env),
        )


def _zalo(env: Mapping[str, str]) -> dict[str, Any]:
    """The Zalo fields; nothing is required (or even read) unless SANSANG_ZALO=on."""
    if not _on_off(env, "SANSANG_ZALO", False):
        return {}
    required = {}
    for name, example in (("ZALO_APP_ID", "1234567890123456789"),
                          ("ZALO_APP_SECRET", "AbCdEfGhIjKlMnOpQrSt"),
                          ("ZALO_OA_SECRET", "ZyXwVuTsRqPoNmLkJiHg")):
        raw = env.get(name, "").strip()
        if not raw:
            raise ConfigError(
                f"{name} is not set, and SANSANG_ZALO=on needs it (the Zalo app's page at "
                f"developers.zalo.me shows it; see README, \"Zalo\"). "
                f"Example of a right value: {name}={example}")
        if any(c.isspace() for c in raw):
            raise ConfigError(f"{name} must be one word without spaces. "
                              f"Example of a right value: {name}={example}")
        required[name] = raw
    if not required["ZALO_APP_ID"].isdigit():
        raise ConfigError(
            "ZALO_APP_ID must be the Zalo app's id, digits only (the value is not shown). "
            "Example of a right value: ZALO_APP_ID=1234567890123456789")
    template = env.get("SANSANG_ZALO_TEMPLATE", "").strip()
    if template and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", template):
        raise ConfigError(
            f"SANSANG_ZALO_TEMPLATE={template!r} is not a template id (letters and digits, as "
            "the approved template shows it). Example of a right value: "
            "SANSANG_ZALO_TEMPLATE=356789")
    return {
        "zalo": True,
        "zalo_webhook": _host_port(env, "SANSANG_ZALO_WEBHOOK", DEFAULT_ZALO_WEBHOOK),
        "zalo_app_id": required["ZALO_APP_ID"],
        "zalo_app_secret": required["ZALO_APP_SECRET"],
        "zalo_oa_secret": required["ZALO_OA_SECRET"],
        "zalo_refresh_token": env.get("ZALO_REFRESH_TOKEN", "").strip(),
        "zalo_api_url": _url(env, "ZALO_API_URL", DEFAULT_ZALO_API_URL, DEFAULT_ZALO_API_URL),
        "zalo_oauth_url": _url(env, "ZALO_OAUTH_URL", DEFAULT_ZALO_OAUTH_URL,
                               DEFAULT_ZALO_OAUTH_URL),
        "zalo_business_url": _url(env, "ZALO_BUSINESS_URL", DEFAULT_ZALO_BUSINESS_URL,
                                  DEFAULT_ZALO_BUSINESS_URL),
        "zalo_billable": _on_off(env, "SANSANG_ZALO_BILLABLE", False),
        "zalo_template": template,
    }


def _host_port(env: Mapping[str, str], name: str, default: tuple[str, int]) -> tuple[str, int]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    host, sep, port = raw.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"{name}={raw!r} must be host:port (the address the webhook server listens on; a "
            f"reverse proxy forwards Zalo's HTTPS to it). Example of a right value: "
            f"{name}=127.0.0.1:8089")
    return host, int(port)


def _campaigns_dir(env: Mapping[str, str]) -> Path:
    """The campaign files' folder. A missing folder is an error, never "no campaigns": syncing
    it would stop every campaign."""
    raw = env.get("SANSANG_CAMPAIGNS", "").strip()
    folder = Path(raw) if raw else data_dir("broadcasts")
    if not folder.is_dir():
        said = f"SANSANG_CAMPAIGNS={raw!r}" if raw else f"SANSANG_CAMPAIGNS (default {folder})"
        raise ConfigError(
            f"{said} is not a folder: the seasonal campaign files are read from it, and a "
            "missing folder would stop every campaign. Example of a right value: "
            "SANSANG_CAMPAIGNS=/app/broadcasts"
        )
    return folder


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").strip()
    if not raw:
        return frozenset()
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 20:
            raise ConfigError(
                f"{name} must be Telegram user ids separated by commas; {part!r} is not one. "
                f"Example of a right value: {name}=123456789,987654321"
            )
        ids.add(int(part))
    return frozenset(ids)


def _group_id(env: Mapping[str, str], name: str) -> int | None:
    """A Telegram group's chat id: negative (a supergroup's starts with -100)."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"-\d{1,19}", raw):
        raise ConfigError(
            f"{name}={raw!r} is not a Telegram group's chat id (a negative number: add the bot "
            "to the group; its log then says 'added to a group, chat id …'). Example of a "
            f"right value: {name}=-1001234567890"
        )
    return int(raw)


def _number(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, example: str
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a number. Example of a right value: {name}={example}"
        ) from None
    if not low <= value <= high:
        raise ConfigError(
            f"{name}={raw} is out of range ({low:g} to {high:g}). "
            f"Example of a right value: {name}={example}"
        )
    return value


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"on", "true", "1", "yes"}:
        return True
    if raw in {"off", "false", "0", "no"}:
        return False
    raise ConfigError(f"{name}={raw!r} must be 'on' or 'off'. Example of a right value: {name}=on")


def _url(env: Mapping[str, str], name: str, default: str, example: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.match(r"^https?://[^\s/]+", raw):
        raise ConfigError(
            f"{name}={raw!r} is not an http(s) URL. Example of a right value: {name}={example}"
        )
    return raw.rstrip("/")


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env into os.environ; variables already set win."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip().strip("'\"")
        if key and key not in os.environ:
            os.environ[key] = value
