"""When broadcasts start: due ones now, late ones within the grace, older ones marked missed.

The `broadcasts` table is the truth; `reconcile` is called at start and every few seconds (and at
each broadcast's own time), so the CLI and the bot can both write schedules.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.broadcasts import Broadcast, Broadcasts

logger = logging.getLogger(__name__)

RECONCILE_SECONDS = 5


class Scheduler:
    def __init__(
        self, broadcasts: Broadcasts, *, grace_seconds: int, wake: Callable[[], None],
        on_missed: Callable[[Broadcast], Awaitable[None]] | None = None,
        on_empty: Callable[[Broadcast], Awaitable[None]] | None = None,
        planner: Callable[[datetime], Awaitable[list[int]]] | None = None,
    ) -> None:
        self.broadcasts = broadcasts
        self.grace = timedelta(seconds=grace_seconds)
        self.wake = wake
        self.on_missed = on_missed
        self.on_empty = on_empty
        self.planner = planner

    async def reconcile(self, now: datetime | None = None) -> list[int]:
        """Start what is due; mark missed what is too late. Returns the ids started."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        if self.planner is not None:
            await self.planner(now)  # campaigns' coming occurrences become broadcasts
        started = []
        for b in await self.broadcasts.due(now):
            if now - b.send_at > self.grace:
                await self.broadcasts.mark_missed(b.id)
                logger.warning("broadcast %s missed: due %s, more than the grace late",
                               b.id, b.send_at.isoformat())
                if self.on_missed is not None:
                    await self.on_missed(b)
                continue
            recipients = await self.broadcasts.start(b.id)
            started.append(b.id)
            if recipients == 0 and self.on_empty is not None:
                await self.on_empty(b)
        if started:
            self.wake()
        return started
