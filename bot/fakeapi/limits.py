"""Telegram's sending limits, as token buckets: 30 a second per bot (1,000 with paid broadcasts),
about 1 a second per private chat with short bursts, 20 a minute per group."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    capacity: float
    per_second: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """Take a token: 0 when allowed, else the seconds to wait (Telegram's retry_after)."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.capacity
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class Limits:
    def __init__(self) -> None:
        self.global_free = Bucket(30, 30)
        self.global_paid = Bucket(1000, 1000)
        self.chats: dict[int | str, Bucket] = {}

    def check(self, chat_id: int | str, chat_type: str, paid: bool) -> int:
        """0 when the message may go, else retry_after in whole seconds."""
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = Bucket(3, 1) if chat_type == "private" else Bucket(20, 20 / 60)
            self.chats[chat_id] = bucket
        wait = (self.global_paid if paid else self.global_free).take()
        if wait:
            return max(1, math.ceil(wait))
        wait = bucket.take()
        return max(1, math.ceil(wait)) if wait else 0
