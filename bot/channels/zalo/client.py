"""Zalo's HTTP API, the subset the bot uses (DESIGN.md, "Zalo"), on one httpx client.

Every answer is HTTP 200; an error is `{"error": <negative>, "message": …}`. Token errors
(-216/-220; -124 on the template root) refresh the token once and resend; -32 (rate) backs
off and retries a bounded number of times; any other error is raised as `ZaloError` with
Zalo's code and message.

Errors:
    ZaloError            Zalo answered an error code (`.code`, `.message`)
    └── TokenError       no usable access token: the refresh failed or was never possible
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# -124: the template (business) root's name for a bad token (seen in production clients)
TOKEN_ERRORS = frozenset({-216, -220, -124})
RATE_ERROR = -32
NOT_FOLLOWER = -213
WINDOW_CLOSED = frozenset({-230, -232})
TOO_LONG = -210
RATE_BACKOFF = (1.0, 3.0, 8.0)  # seconds before each retry after -32
TIMEOUT = httpx.Timeout(15.0, connect=10.0)


@dataclass(frozen=True)
class TokenPair:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: str  # UTC ISO 8601; "" when not known (the first start)


class ZaloError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message


class TokenError(ZaloError):
    def __init__(self, message: str) -> None:
        super().__init__(-216, message)


class ZaloClient:
    """The calls the bot makes. `access` gives the current access token; `refresh(stale)`
    replaces it (bot.channels.zalo.tokens.Tokens)."""

    def __init__(self, *, app_id: str, app_secret: str, api_url: str, oauth_url: str,
                 business_url: str, http: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.business_url = business_url.rstrip("/")
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self.sleep = sleep
        self.access: Callable[[], Awaitable[str]] | None = None
        self.refresh: Callable[[str], Awaitable[None]] | None = None

    async def close(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ tokens
    async def exchange(self, refresh_token: str) -> TokenPair:
        """A new pair for a refresh token (single use: the old one dies). Raises TokenError."""
        try:
            response = await self.http.post(
                f"{self.oauth_url}/v4/oa/access_token",
                data={"refresh_token": refresh_token, "app_id": self.app_id,
                      "grant_type": "refresh_token"},
                headers={"secret_key": self._app_secret},
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenError(f"the token service did not answer ({type(exc).__name__})") from None
        if not isinstance(body, dict) or not body.get("access_token") \
                or not body.get("refresh_token"):
            what = body.get("message") or body.get("error_name") or body.get("error") \
                if isinstance(body, dict) else None
            raise TokenError(f"the token service refused the refresh token ({what or 'no token'}"
                             f", HTTP {response.status_code})")
        try:
            seconds = int(str(body.get("expires_in", "90000")))
        except ValueError:
            seconds = 90000
        expires = datetime.now(UTC) + timedelta(seconds=seconds)
        return TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                         expires.isoformat(timespec="seconds"))

    # ------------------------------------------------------------------ messages
    async def send_cs(self, user_id: str, message: dict[str, Any], *,
                      rate_retries: int = len(RATE_BACKOFF)) -> dict[str, Any]:
        """A consultation message to a follower; Zalo's `data` (message_id, …)."""
        body = {"recipient": {"user_id": str(user_id)}, "message": message}
        return await self._call(f"{self.api_url}/v3.0/oa/message/cs", body, rate_retries)

    async def send_template(self, phone: str, template_id: str, data: dict[str, str],
                            tracking_id: str, *,
                            rate_retries: int = len(RATE_BACKOFF)) -> dict[str, Any]:
        """An approved template message to a phone number (84…)."""
        body = {"phone": phone, "template_id": template_id, "template_data": data,
                "tracking_id": tracking_id}
        return await self._call(f"{self.business_url}/message/template", body, rate_retries)

    async def _call(self, url: str, body: dict[str, Any], rate_retries: int) -> dict[str, Any]:
        assert self.access is not None and self.refresh is not None, "tokens not attached"
        refreshed = False
        tries = 0
        while True:
            token = await self.access()
            try:
                response = await self.http.post(url, json=body, headers={"access_token": token})
                answer = response.json()
            except ValueError:
                raise ZaloError(-1, f"not JSON (HTTP {response.status_code})") from None
            if not isinstance(answer, dict):
                raise ZaloError(-1, "an answer that is not an object")
            code = answer.get("error", 0)
            try:
                code = int(code)
            except (TypeError, ValueError):
                code = -1
            if code == 0:
                data = answer.get("data")
                return data if isinstance(data, dict) else {}
            message = str(answer.get("message") or "")
            if code in TOKEN_ERRORS and not refreshed:
                refreshed = True
                logger.info("Zalo said the access token is invalid (%d): refreshing once", code)
                await self.refresh(token)
                continue
            if code == RATE_ERROR and tries < rate_retries:
                wait = RATE_BACKOFF[min(tries, len(RATE_BACKOFF) - 1)]
                tries += 1
                logger.warning("Zalo's rate limit (-32): retrying in %.0f s", wait)
                await self.sleep(wait)
                continue
            raise ZaloError(code, message)
