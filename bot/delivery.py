"""Sending broadcasts from the outbox: paced, retried, resumable after any crash.

A row leaves 'pending' only when Telegram's answer is recorded, so a restart resends at most
what was in flight. Pace: the configured rate over all chats, 1 a second per chat, 20 a minute
per group; enough requests in flight that the API's latency does not lower the rate.
"""

from __future__ import annotations

import asyncio
import enum
import html
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.broadcasts import Broadcast, Broadcasts, Counts
from bot.store import Database, events, utcnow
from bot.store import chats as chat_store
from bot.store.events import Event

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2, 5, 15, 60, 180)
GROUP_PER_MINUTE = 20
BATCH = 500
BURST_SECONDS = 0.05
FLUSH_ROWS = 200  # results written per transaction
FLUSH_SECONDS = 0.25


def in_flight_for(rate: float) -> int:
    """Requests in flight so that ~0.5 s of API latency does not lower the rate."""
    return max(48, min(512, math.ceil(rate * 0.6) + 4))


def duplicates_bound(rate: float) -> int:
    """The most a crash can resend: what was in flight plus results not yet written."""
    return in_flight_for(rate) + FLUSH_ROWS


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: blocked, kicked, deactivated: never retried
    RETRY_AFTER = "retry_after"  # 429: the whole broadcast waits
    MIGRATED = "migrated"  # the group became a supergroup: follow the new id
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections: retry with backoff
    PERMANENT = "permanent"  # any other 400: recorded as failed with the reason


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    new_chat_id: int | None = None
    reason: str = ""


class Sender(Protocol):
    """What delivery needs from a channel (Telegram today)."""

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult: ...


class Reporter(Protocol):
    async def progress(self, broadcast: Broadcast, counts: Counts) -> None: ...

    async def finished(self, broadcast: Broadcast, counts: Counts) -> None: ...


def render(text: str) -> str:
    """Staff text goes out exactly as written: escaped for Telegram's HTML mode."""
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class Night:
    start: dtime = dtime(21, 0)
    end: dtime = dtime(6, 30)

    def contains(self, moment: datetime, tz: ZoneInfo) -> bool:
        local = moment.astimezone(tz).time()
        return local >= self.start or local < self.end


class Pacer:
    """Evenly spaced slots at `rate` a second; a 429 pauses every slot until it has passed."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.next_slot = 0.0
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    async def slot(self) -> None:
        now = self.clock()
        # Slots follow each other from the previous one, not from "now": a sleep that wakes late
        # (timers are coarse at 1,000 a second) is made up by the next slots, but never more than
        # BURST_SECONDS are banked, so the rate over any second stays the configured one.
        self.next_slot = max(self.next_slot, now - BURST_SECONDS)
        start = max(self.next_slot, self.paused_until)
        self.next_slot = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)
        # A pause that began while we slept moves this slot too.
        while self.paused_until > self.clock():  # noqa: ASYNC110 - a deadline, not an event
            await asyncio.sleep(self.paused_until - self.clock())


@dataclass
class _Row:
    broadcast_id: int
    chat_id: int
    lang: str
    area_id: str | None
    chat_kind: str
    attempts: int


class Delivery:
    """The one worker that empties the outbox."""

    def __init__(
        self, db: Database, broadcasts: Broadcasts, sender: Sender, *, rate: float,
        tz: ZoneInfo, reporter: Reporter | None = None, night: Night | None = None,
        in_flight: int | None = None, progress_every: float = 2.0,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`clock` times Telegram's per-chat limits (1 a second, 20 a minute per group) and `now`
        the outbox's schedule (postponed rows, retries): tests move both to check a minute's
        limit without waiting a minute."""
        self.db = db
        self.clock = clock
        self.now = now
        self.broadcasts = broadcasts
        self.sender = sender
        self.reporter = reporter
        self.tz = tz
        self.night = night or Night()
        self.pacer = Pacer(rate)
        # Enough requests in flight to keep the rate through ~0.5 s of latency.
        self.limit = asyncio.Semaphore(in_flight or in_flight_for(rate))
        self.progress_every = progress_every
        self.backoff = backoff
        self._wake = asyncio.Event()
        self._flying: set[tuple[int, int]] = set()
        self._chat_last: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._cache: dict[int, Broadcast] = {}
        self._last_progress: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[tuple[_Row, str, str | None, str]] = []
        self._buffered: set[tuple[int, int]] = set()  # answered, not yet written: not resent
        self._flushed_at = time.monotonic()

    def wake(self) -> None:
        """A broadcast started: look at the outbox now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; what is in flight then is left pending (resent later)."""
        while not stop.is_set():
            try:
                worked = await self.step()
            except Exception:
                logger.exception("delivery step failed; retrying in a moment")
                worked = False
            if not worked:
                self._wake.clear()
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=1.0,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        if self._tasks:  # let what is in flight land, briefly, so fewer are resent
            await asyncio.wait(set(self._tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()
        await self.flush()

    async def step(self) -> bool:
        """Send one batch of due rows; False when there was nothing to do."""
        rows = await self._due_rows()
        for row in rows:
            wait = self._chat_wait(row)
            if wait > 0:
                await self._postpone(row, wait)
                continue
            await self.pacer.slot()
            await self.limit.acquire()
            self._flying.add((row.broadcast_id, row.chat_id))
            self._note_send(row)
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
                await self.flush()
        await self.flush()
        await self._close_finished()
        return bool(rows)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait for requests in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self.flush()
        await self._close_finished()

    # -------------------------------------------------------------- internals
    async def _due_rows(self) -> list[_Row]:
        now = self.now().isoformat(timespec="milliseconds")
        rows = await self.db.fetchall(
            "SELECT o.broadcast_id, o.chat_id, o.lang, o.area_id, o.chat_kind, o.attempts "
            "FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
            "WHERE o.status = 'pending' AND b.status = 'sending' "
            "AND (o.next_try_at IS NULL OR o.next_try_at <= ?) "
            "ORDER BY b.urgent DESC, b.id, o.chat_id LIMIT ?",
            (now, BATCH + len(self._flying)),
        )
        out = [_Row(*tuple(r)) for r in rows]
        return [r for r in out if (r.broadcast_id, r.chat_id) not in self._flying][:BATCH]

    def _chat_wait(self, row: _Row) -> float:
        now = self.clock()
        last = self._chat_last.get(row.chat_id)
        wait = 0.0 if last is None else max(0.0, last + 1.0 - now)
        if row.chat_kind != "private":
            sent = self._group_sends.get(row.chat_id)
            if sent is not None:
                while sent and sent[0] < now - 60:
                    sent.popleft()
                if len(sent) >= GROUP_PER_MINUTE:
                    wait = max(wait, sent[0] + 60 - now)
        return wait

    def _note_send(self, row: _Row) -> None:
        now = self.clock()
        self._chat_last[row.chat_id] = now
        if row.chat_kind != "private":
            self._group_sends.setdefault(row.chat_id, deque()).append(now)

    async def _postpone(self, row: _Row, seconds: float) -> None:
        later = (self.now() + timedelta(seconds=seconds)).isoformat(
            timespec="milliseconds")
        await self.db.execute(
            "UPDATE outbox SET next_try_at = ? WHERE broadcast_id = ? AND chat_id = ?",
            (later, row.broadcast_id, row.chat_id),
        )

    async def _broadcast(self, broadcast_id: int) -> Broadcast | None:
        if broadcast_id not in self._cache:
            b = await self.broadcasts.get(broadcast_id)
            if b is None:
                return None
            self._cache[broadcast_id] = b
        return self._cache[broadcast_id]

    async def _send(self, row: _Row) -> None:
        try:
            b = await self._broadcast(row.broadcast_id)
            if b is None:
                return
            text = b.text_en if row.lang == "en" and b.text_en else b.text_vi
            silent = not b.urgent and self.night.contains(self.now(), self.tz)
            try:
                result = await self.sender.send(row.chat_id, render(text), silent=silent)
            except Exception as exc:  # a sender bug must not lose the row
                logger.exception("sender failed")
                result = SendResult(Outcome.TRANSIENT, reason=type(exc).__name__)
            await self._record(row, result)
        finally:
            key = (row.broadcast_id, row.chat_id)
            if key not in self._buffered:  # a buffered result stays excluded until written
                self._flying.discard(key)
            self.limit.release()

    async def _record(self, row: _Row, result: SendResult) -> None:
        key = (row.broadcast_id, row.chat_id)
        if result.outcome is Outcome.SENT:
            await self._final(row, "sent", None)
        elif result.outcome is Outcome.BLOCKED:
            await self._final(row, "blocked", result.reason)  # the chat is marked in flush()
        elif result.outcome is Outcome.RETRY_AFTER:
            logger.warning("Telegram asked to slow down: %.0f s for the whole broadcast",
                           result.retry_after)
            self.pacer.pause(result.retry_after)
        elif result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            await self._migrate(row, result.new_chat_id)
        elif result.outcome is Outcome.PERMANENT:
            await self._final(row, "failed", result.reason)
        else:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._final(row, "failed", result.reason or "gave up after retries")
            else:
                delay = self.backoff[min(attempts, len(self.backoff)) - 1]
                later = (self.now() + timedelta(seconds=delay)).isoformat(
                    timespec="milliseconds")
                await self.db.execute(
                    "UPDATE outbox SET attempts = ?, next_try_at = ?, error = ? "
                    "WHERE broadcast_id = ? AND chat_id = ?",
                    (attempts, later, result.reason[:200], *key),
                )

    async def _final(self, row: _Row, status: str, error: str | None) -> None:
        """Buffer a final outcome; `flush` writes a batch in one transaction.

        Batching is what lets SQLite keep up with 1,000 messages a second; a crash loses at most
        the unflushed batch, which is resent (a bounded number of duplicates, never a loss).
        """
        self._results.append((row, status, (error or "")[:200] or None, utcnow()))
        self._buffered.add((row.broadcast_id, row.chat_id))
        if len(self._results) >= FLUSH_ROWS:
            await self.flush()

    async def flush(self) -> None:
        results, self._results = self._results, []
        self._flushed_at = time.monotonic()
        if not results:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = ?, error = ?, sent_at = ?, attempts = attempts + 1 "
                "WHERE broadcast_id = ? AND chat_id = ? AND status = 'pending'",
                [(status, error, at, r.broadcast_id, r.chat_id)
                 for r, status, error, at in results],
            )
            await events.add(conn, self.db.tz, [
                Event(f"delivery_{status}", area_id=r.area_id, lang=r.lang,
                      chat_kind=chat_store.chat_kind(r.chat_kind), detail=str(r.broadcast_id),
                      at=at)
                for r, status, _e, at in results
            ])
            for r, status, _e, at in results:
                if status == "blocked":
                    await chat_store.set_blocked(conn, self.db.tz, r.chat_id, True, at)
        for r, *_rest in results:
            key = (r.broadcast_id, r.chat_id)
            self._buffered.discard(key)
            self._flying.discard(key)

    async def _migrate(self, row: _Row, new_id: int) -> None:
        await chat_store.move(self.db, row.chat_id, new_id, "supergroup")
        logger.info("a group moved to a supergroup; its broadcasts follow the new id")

    async def _close_finished(self) -> None:
        sending = await self.broadcasts.list(("sending",))
        for b in sending:
            if await self.broadcasts.finish_if_complete(b.id):
                done = await self.broadcasts.get(b.id)
                if done is not None and self.reporter is not None:
                    await _safely(self.reporter.finished(done, await self.broadcasts.counts(b.id)))
                self._cache.pop(b.id, None)
            elif self.reporter is not None:
                now = time.monotonic()
                if now - self._last_progress.get(b.id, 0) >= self.progress_every:
                    self._last_progress[b.id] = now
                    await _safely(self.reporter.progress(b, await self.broadcasts.counts(b.id)))


async def _safely(call: Awaitable[None]) -> None:
    try:
        await call
    except Exception:
        logger.warning("could not report broadcast progress", exc_info=True)
