"""The OA's token pair: kept in the database, refreshed one at a time before it expires.

The access token lasts 25 hours; the refresh token is single use and rotates. The new pair is
committed to the database BEFORE its access token is used, so a crash between the two never
loses the only refresh token that still works. A failed refresh tells staff once (the OA must
be re-authorised) and never crashes the bot; tokens never reach a log.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.channels.zalo.client import TokenError, TokenPair, ZaloClient
from bot.errors import ConfigError
from bot.notices import Notice, Notices
from bot.store import Database
from bot.store import zalo as store

logger = logging.getLogger(__name__)

REFRESH_EARLY = timedelta(hours=1)
NOTICE_KEY = "zalo_token"
RETRY_AFTER_FAILURE = 30.0  # seconds: a failed refresh is not tried again sooner


class Tokens:
    def __init__(self, db: Database, client: ZaloClient, notices: Notices | None,
                 first_refresh_token: str = "",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.client = client
        self.notices = notices
        self._first = first_refresh_token
        self.clock = clock
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()
        self._failed_at = -math.inf
        self._unsaved: TokenPair | None = None
        client.access = self.access
        client.refresh = self.refresh

    async def load(self) -> None:
        """The stored pair, or (first start) a pair from ZALO_REFRESH_TOKEN. A refresh that
        fails here is told to staff; the bot keeps running and tries again at the next send."""
        self._pair = await self._stored()
        if self._pair is None:
            if not self._first:
                raise ConfigError(
                    "ZALO_REFRESH_TOKEN is not set and the database holds no Zalo token yet: "
                    "the first start needs the refresh token from authorising the OA (README, "
                    "\"Zalo\"). Example of a right value: ZALO_REFRESH_TOKEN=Xy12...AbCd")
            # Saved at once: from now on the database holds the pair, whatever happens next.
            self._pair = TokenPair("", self._first, "")
            await self._save(self._pair)
        try:
            await self.access()
        except TokenError:
            logger.error("Zalo: no usable access token at start; staff were told")

    async def access(self) -> str:
        """The access token, refreshed first when it expires within the hour."""
        pair = self._pair
        if pair is None or self._due(pair):
            await self.refresh(pair.access_token if pair else "")
            pair = self._pair
        assert pair is not None
        return pair.access_token

    def _due(self, pair: TokenPair) -> bool:
        if not pair.access_token or not pair.expires_at:
            return True
        try:
            expires = datetime.fromisoformat(pair.expires_at)
        except ValueError:
            return True
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return expires - REFRESH_EARLY <= self.clock()

    async def refresh(self, stale: str) -> None:
        """Replace the access token `stale` (one refresh at a time: callers that waited find it
        already replaced). Raises TokenError when the refresh fails."""
        async with self._lock:
            if self._unsaved is not None:  # a pair Zalo gave that the database refused
                await self._save(self._unsaved)
                self._pair, self._unsaved = self._unsaved, None
                return
            current = self._pair or await self._stored()
            if current is not None and current.access_token != stale \
                    and not self._due(current):
                self._pair = current
                return  # another caller refreshed while this one waited
            if current is None or not current.refresh_token:
                raise TokenError("no refresh token")
            if time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE:
                # A broadcast's every send would ask again: the token service gets a rest.
                raise TokenError("the last refresh failed moments ago")
            try:
                pair = await self.client.exchange(current.refresh_token)
            except TokenError as exc:
                pair = await self._reauthorised()
                if pair is None:
                    self._failed_at = time.monotonic()
                    await self._tell_staff(exc.message)
                    raise
            try:
                await self._save(pair)  # committed before the new access token is used
            except Exception:
                # The old refresh token is spent: this pair is the only one left. It is kept in
                # memory (never used unsaved) and saved again at the next call.
                self._unsaved = pair
                logger.exception("Zalo: the new token pair could not be saved; will retry")
                raise TokenError("the new token pair could not be saved") from None
            self._pair = pair
            logger.info("Zalo access token refreshed; valid until %s", pair.expires_at)
            if self.notices is not None:
                await self.notices.forget(NOTICE_KEY)  # told again if it fails again

    async def _stored(self) -> TokenPair | None:
        row = await store.tokens(self.db)
        return TokenPair(row.access_token, row.refresh_token, row.expires_at) if row else None

    async def _save(self, pair: TokenPair) -> None:
        await store.save_tokens(self.db, pair.access_token, pair.refresh_token, pair.expires_at)

    async def _reauthorised(self) -> TokenPair | None:
        """After a re-authorisation the operator sets a new ZALO_REFRESH_TOKEN and restarts:
        when the stored token is refused, the configured one is tried (once a process)."""
        first, self._first = self._first, ""
        stored = self._pair.refresh_token if self._pair else ""
        if not first or first == stored:
            return None
        try:
            pair = await self.client.exchange(first)
        except TokenError:
            return None
        logger.info("Zalo: the stored refresh token was refused; ZALO_REFRESH_TOKEN worked")
        return pair

    async def _tell_staff(self, problem: str) -> None:
        logger.error("Zalo token refresh failed: %s", problem)
        if self.notices is not None:
            await self.notices.tell(Notice(NOTICE_KEY, "zalo_token", {"problem": problem}))
