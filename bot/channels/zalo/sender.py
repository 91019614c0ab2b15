"""Broadcasts on Zalo: the Delivery worker's sender for the outbox's Zalo rows.

Zalo lets an OA write to a follower only for a while after their last interaction: free
within 48 hours, billed from 48 hours to 7 days, refused after. For each recipient:
within 48 h a consultation message; 48 h–7 days one only with SANSANG_ZALO_BILLABLE=on;
otherwise, with a phone number the resident shared and SANSANG_ZALO_TEMPLATE set, the approved
template to that phone; otherwise the row is `unreachable`, with the reason (never dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from bot.broadcasts.delivery import Outcome, SendResult, sending_broadcast
from bot.channels.zalo import render
from bot.channels.zalo.client import (
    NOT_FOLLOWER,
    RATE_ERROR,
    WINDOW_CLOSED,
    TokenError,
    ZaloClient,
    ZaloError,
)
from bot.store.chats import ChatRow
from bot.subscriptions.subscriptions import Subscriptions

logger = logging.getLogger(__name__)

ZALO_RATE = 10.0  # messages a second: modest, under the OA API's reported 4,000 a minute
FREE_WINDOW = timedelta(hours=48)
CS_WINDOW = timedelta(days=7)
RATE_PAUSE = 30.0  # seconds the Zalo worker waits after -32
TEMPLATE_TEXT_MAX = 400  # a template parameter's text, as ZBS templates allow (unconfirmed)

SILENT_NO_PHONE = "silent on Zalo for more than 7 days, no phone number shared"
SILENT_NO_TEMPLATE = "silent on Zalo for more than 7 days, no approved template set"
BILLED_OFF = "silent on Zalo for 48 hours to 7 days (SANSANG_ZALO_BILLABLE=off)"


def short_text(text: str, limit: int = TEMPLATE_TEXT_MAX) -> str:
    """The warning in one paragraph of at most `limit` characters, for a template."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class ZaloSender:
    def __init__(self, subscriptions: Subscriptions, client: ZaloClient, *, billable: bool,
                 template_id: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.subscriptions = subscriptions
        self.client = client
        self.billable = billable
        self.template_id = template_id
        self.clock = clock

    def choose(self, row: ChatRow) -> str:
        """"cs", "template" or "unreachable:<reason>" for a recipient, by their last
        interaction."""
        age = self._age(row)
        if age is not None and (age <= FREE_WINDOW or (self.billable and age <= CS_WINDOW)):
            return "cs"
        return self._fallback(row, age)

    def _fallback(self, row: ChatRow, age: timedelta | None) -> str:
        if row.phone and self.template_id:
            return "template"
        if age is not None and age <= CS_WINDOW and not row.phone:
            return "unreachable:" + BILLED_OFF
        return "unreachable:" + (SILENT_NO_PHONE if not row.phone else SILENT_NO_TEMPLATE)

    def _age(self, row: ChatRow) -> timedelta | None:
        if not row.last_interaction_at:
            return None
        try:
            at = datetime.fromisoformat(row.last_interaction_at)
        except ValueError:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return max(timedelta(0), self.clock() - at)

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
        """`text` is the broadcast as rendered for Telegram (escaped HTML): sent as plain
        text. Zalo has no silent messages: `silent` changes nothing here."""
        row = await self.subscriptions.get(chat_id)
        if row is None or row.channel != "zalo" or not row.address:
            return SendResult(Outcome.PERMANENT, reason="not a Zalo chat")
        plain = render.html_to_text(text)
        choice = self.choose(row)
        if choice == "cs":
            result = await self._cs(row, plain)
            if result is not None:
                return result
            choice = self._fallback(row, None)  # Zalo says the 7 days are over
        if choice == "template":
            return await self._template(row, plain, sending_broadcast.get())
        return SendResult(Outcome.UNREACHABLE, reason=choice.removeprefix("unreachable:"))

    async def _cs(self, row: ChatRow, plain: str) -> SendResult | None:
        """Sent as consultation messages; None when Zalo says the window is closed."""
        assert row.address is not None
        try:
            for part in render.split(plain):
                await self.client.send_cs(row.address, render.message(part), rate_retries=0)
        except ZaloError as exc:
            if exc.code in WINDOW_CLOSED:
                return None
            return await self._failed(row, exc)
        except httpx.HTTPError as exc:
            return SendResult(Outcome.TRANSIENT, reason=type(exc).__name__)
        return SendResult(Outcome.SENT)

    async def _template(self, row: ChatRow, plain: str,
                        broadcast_id: int | None) -> SendResult:
        assert row.phone is not None
        tracking = f"b{broadcast_id}-c{row.chat_id}" if broadcast_id is not None \
            else f"c{row.chat_id}-{int(self.clock().timestamp())}"
        try:
            await self.client.send_template(row.phone, self.template_id,
                                            {"message": short_text(plain)}, tracking,
                                            rate_retries=0)
        except ZaloError as exc:
            return await self._failed(row, exc)
        except httpx.HTTPError as exc:
            return SendResult(Outcome.TRANSIENT, reason=type(exc).__name__)
        return SendResult(Outcome.SENT)

    async def _failed(self, row: ChatRow, exc: ZaloError) -> SendResult:
        if isinstance(exc, TokenError):
            return SendResult(Outcome.TRANSIENT, reason="no Zalo access token")
        if exc.code == RATE_ERROR:
            return SendResult(Outcome.RETRY_AFTER, retry_after=RATE_PAUSE)
        if exc.code == NOT_FOLLOWER:
            await self.subscriptions.unsubscribe(row.chat_id, "unfollow")
            return SendResult(Outcome.BLOCKED, reason="no longer follows the OA (Zalo -213)")
        return SendResult(Outcome.PERMANENT, reason=f"Zalo {exc.code}: {exc.message}"[:200])
