"""Replies to residents share the bot's one sending budget with broadcasts, and go first.

PTB's AIORateLimiter keeps replies under Telegram's 30 a second and waits out a 429 and resends
(never drops); then each message takes a slot of the shared budget (a `Pacer`), before any
broadcast waiting for one. Broadcasts take theirs in `Delivery.step`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

from bot.broadcasts.delivery import TELEGRAM_BOT_RATE, Pacer

logger = logging.getLogger(__name__)

MAX_RETRIES = 5  # 429s waited out before a reply is given up (and logged)
MESSAGES = ("send", "edit", "copy", "forward")  # what Telegram counts (sendChatAction aside)


def bot_budget(broadcast_rate: float, paid: bool) -> Pacer:
    """The bot's budget over all chats: Telegram's 30 a second, or the paid broadcast rate."""
    return Pacer(max(TELEGRAM_BOT_RATE, broadcast_rate) if paid else TELEGRAM_BOT_RATE)


class ReplyLimiter(AIORateLimiter):
    """The handlers' rate limiter: 30 a second, 20 a minute per group, 429s waited out, and a
    slot of the shared budget for every message."""

    def __init__(self, budget: Pacer, max_retries: int = MAX_RETRIES) -> None:
        # The overall 30 a second is ours, not aiolimiter's: a waiter it wakes that finds the
        # capacity taken by a newcomer goes to the back of its queue, so a resident could wait a
        # second longer than one who asked after them. Our pacer serves replies in order.
        super().__init__(overall_max_rate=0, group_max_rate=20, group_time_period=60,
                         max_retries=max_retries)
        self.budget = budget
        # Replies are not paid broadcasts: 30 a second even when the budget allows 1,000.
        self.replies = budget if budget.configured <= TELEGRAM_BOT_RATE else Pacer(
            TELEGRAM_BOT_RATE)

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
        kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if data.get("chat_id") is None or not endpoint.startswith(MESSAGES) \
                or endpoint == "sendChatAction":
            return await super().process_request(callback, args, kwargs, endpoint, data,
                                                 rate_limit_args)
        budget, replies = self.budget, self.replies

        async def paced(*a: Any, **kw: Any) -> Any:
            # A 429 here is waited out by AIORateLimiter for every reply; it does not pause
            # broadcasts: it is often one chat's own limit (1 a second), and a real flood ban
            # answers the broadcast's own sends with 429 too.
            if replies is not budget:
                await replies.slot(first=True)
            await budget.slot(first=True)
            return await callback(*a, **kw)

        return await super().process_request(paced, args, kwargs, endpoint, data,
                                             rate_limit_args)
