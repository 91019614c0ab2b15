"""Telegram's sending limits as token buckets: 30 messages a second per bot (1,000 with paid
broadcasts), about 1 a second per private chat with a burst of 3, 20 a minute per group.

With an `allowance` the bot's limits are a sliding second instead, counted at arrival, as an
outside check counts them: at most rate × allowance messages in any one second.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

BOT_PER_SECOND = 30
PAID_PER_SECOND = 1000
PRIVATE_BURST, PRIVATE_PER_SECOND = 3, 1.0
GROUP_PER_MINUTE = 20
# When the request being answered arrived (set by the server for the request's task).
ARRIVED: ContextVar[float | None] = ContextVar("arrived", default=None)


class Window:
    """At most `most` messages in any sliding second (memory: the last `most` arrivals)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.arrivals: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.arrivals and self.arrivals[0] <= now - 1.0:
            self.arrivals.popleft()
        return 0.0 if len(self.arrivals) < self.most else self.arrivals[0] + 1.0 - now

    def take(self, now: float) -> None:
        self.arrivals.append(now)


@dataclass
class Bucket:
    capacity: float
    per_second: float
    tokens: float | None = None  # None: full
    stamp: float = field(default_factory=time.monotonic)

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0: one is free now); refills the bucket."""
        tokens = self.capacity if self.tokens is None else self.tokens
        self.tokens = min(self.capacity, tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self) -> None:
        assert self.tokens is not None and self.tokens >= 1
        self.tokens -= 1


class Limits:
    """Which message may go now. A refused message uses up nothing, as with Telegram."""

    def __init__(self, allowance: float | None = None) -> None:
        self.bot = Bucket(BOT_PER_SECOND, BOT_PER_SECOND)
        self.paid = Bucket(PAID_PER_SECOND, PAID_PER_SECOND)
        self.chats: dict[int | str, Bucket] = {}
        self.windows: dict[bool, Window] | None = None
        if allowance is not None:
            self.windows = {False: Window(math.floor(BOT_PER_SECOND * allowance)),
                            True: Window(math.floor(PAID_PER_SECOND * allowance))}

    def check(self, chat_id: int | str, chat_type: str, paid: bool) -> int:
        """0 when the message may go (and count it), else retry_after in whole seconds."""
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if chat_type == "private":
                bucket = Bucket(PRIVATE_BURST, PRIVATE_PER_SECOND)
            else:
                bucket = Bucket(GROUP_PER_MINUTE, GROUP_PER_MINUTE / 60)
            self.chats[chat_id] = bucket
        now = time.monotonic()
        if self.windows is not None:
            window = self.windows[paid]
            arrived = ARRIVED.get() or now
            wait = max(window.wait(arrived), bucket.wait(now))
            if wait > 0:
                return max(1, math.ceil(wait))
            window.take(arrived)
            bucket.take()
            return 0
        overall = self.paid if paid else self.bot
        wait = max(overall.wait(now), bucket.wait(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.take()
        bucket.take()
        return 0
