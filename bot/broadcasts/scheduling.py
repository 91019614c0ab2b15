"""When broadcasts start: due ones now, late ones within the grace, older ones marked missed.

The `broadcasts` table is the truth; `reconcile` is called at start and every few seconds (and at
each broadcast's own time), so the CLI and the bot can both write schedules. Each broadcast is
handled on its own: one that fails is logged and told to staff once, and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.broadcasts.broadcasts import Broadcast, Broadcasts
from bot.notices import Notice, Notices

logger = logging.getLogger(__name__)

RECONCILE_SECONDS = 5


class Scheduler:
    def __init__(
        self, broadcasts: Broadcasts, *, grace_seconds: int, wake: Callable[[], None],
        on_missed: Callable[[Broadcast], Awaitable[None]] | None = None,
        on_empty: Callable[[Broadcast], Awaitable[None]] | None = None,
        planner: Callable[[datetime], Awaitable[list[int]]] | None = None,
        notices: Notices | None = None,
    ) -> None:
        self.broadcasts = broadcasts
        self.grace = timedelta(seconds=grace_seconds)
        self._wakes = [wake]
        self.on_missed = on_missed
        self.on_empty = on_empty
        self.planner = planner
        self.notices = notices
        self._lock = asyncio.Lock()

    def also_wake(self, wake: Callable[[], None]) -> None:
        """Another channel's delivery worker: woken too when a broadcast starts, so its share
        of the outbox goes out at once rather than at its next look (its poll stays a safety
        net)."""
        self._wakes.append(wake)

    def wake(self) -> None:
        """A broadcast started: every channel's worker looks at the outbox now."""
        for wake in self._wakes:
            wake()

    async def reconcile(self, now: datetime | None = None) -> list[int]:
        """Start what is due; mark missed what is too late. Returns the ids started.

        One at a time: the job and a staff member's "send now" would otherwise both write the
        same outbox, and the one that lost would report it empty."""
        async with self._lock:
            return await self._reconcile(now)

    async def _reconcile(self, now: datetime | None) -> list[int]:
        now = (now or datetime.now(UTC)).astimezone(UTC)
        if self.planner is not None:
            try:
                await self.planner(now)  # campaigns' coming occurrences become broadcasts
            except Exception:  # the planner isolates each campaign; this is the rest of it
                logger.exception("campaigns could not be planned; due broadcasts go on")
        started = []
        for b in await self.broadcasts.due(now):
            try:
                if await self._one(b, now):
                    started.append(b.id)
            except Exception as exc:
                first = await self._tell(Notice(
                    f"broadcast:{b.id}:failed:{type(exc).__name__}", "broadcast_failed",
                    {"id": str(b.id), "problem": str(exc) or type(exc).__name__}, "log"))
                if first:
                    logger.exception("broadcast %s could not be started; the others go on", b.id)
        if started:
            self.wake()
        return started

    async def _one(self, b: Broadcast, now: datetime) -> bool:
        """Start (or mark missed, or cancel) one due broadcast; True if it started."""
        if now - b.send_at > self.grace:
            await self.broadcasts.mark_missed(b.id)
            logger.warning("broadcast %s missed: due %s, more than the grace late",
                           b.id, b.send_at.isoformat())
            await self._report(self.on_missed, b)
            return False
        areas = None
        if not b.target_all:
            areas, missing = self.broadcasts.known_targets(b.areas)
            if missing:
                params = {"id": str(b.id), "areas": ", ".join(missing)}
                if not areas:
                    reason = "no area left: " + ", ".join(missing) + " not in the area list"
                    await self.broadcasts.cancel(b.id, actor="system", reason=reason)
                    logger.warning("broadcast %s not sent: %s", b.id, reason)
                    await self._tell(Notice(f"broadcast:{b.id}:not-sent", "broadcast_not_sent",
                                            params))
                    return False
                await self._tell(Notice(f"broadcast:{b.id}:dropped", "broadcast_areas_dropped",
                                        params))
        recipients = await self.broadcasts.start(b.id, areas)
        if recipients is None:  # cancelled meanwhile: nothing to start, nothing to report
            return False
        if recipients == 0:
            await self._report(self.on_empty, b)
        return True

    async def _report(self, call: Callable[[Broadcast], Awaitable[None]] | None,
                      b: Broadcast) -> None:
        if call is None:
            return
        try:
            await call(b)
        except Exception:  # telling staff must not stop the broadcasts
            logger.exception("could not tell staff about broadcast %s", b.id)

    async def _tell(self, notice: Notice) -> bool:
        if self.notices is None:
            logger.warning("broadcast problem: %s %s", notice.kind, notice.params)
            return True
        return await self.notices.tell(notice)
