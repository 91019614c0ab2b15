"""Sending broadcasts from the outbox: paced, retried, resumable after any crash.

A row leaves 'pending' only when the channel's answer is recorded, so a restart resends at most
what was in flight. One worker per channel (Telegram, Zalo), each with its own rate: a Zalo
broadcast never slows Telegram's. Pace: the configured rate over all chats, 1 a second per
chat, 20 a minute per group; enough requests in flight that the API's latency does not lower
the rate.
"""

from __future__ import annotations

import asyncio
import contextvars
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

from bot.broadcasts.broadcasts import Broadcast, Broadcasts, Counts
from bot.store import Database, events, utcnow
from bot.store import chats as chat_store
from bot.store import outbox as outbox_store
from bot.store.events import CHANNELS, Event

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2, 5, 15, 60, 180)
GROUP_PER_MINUTE = 20
BATCH = 500
BURST_SECONDS = 0.05
BACKOFF_FACTOR = 0.9  # a 429 lowers the rate by a tenth...
RECOVER_SECONDS = 60.0  # ...and each clean minute raises it back a step
MIN_RATE = 1.0
# A broadcast starts `rate` sends in any 1.06 s: what arrives at Telegram in any one second stays
# under the rate though a busy loop delays some requests by tens of milliseconds.
ARRIVAL_MARGIN = 1.06
TELEGRAM_BOT_RATE = 30  # what Telegram allows a bot over all chats, paid broadcasts aside
FLUSH_ROWS = 200  # results written per transaction
FLUSH_SECONDS = 0.25
SENDING_RECHECK = 0.25  # seconds between two reads of which broadcasts are still sending
POLL_SECONDS = 1.0  # an idle worker looks at the outbox this often, woken or not


def in_flight_for(rate: float) -> int:
    """Requests in flight so that ~0.5 s of API latency does not lower the rate."""
    return max(48, min(512, math.ceil(rate * 0.6) + 4))


def duplicates_bound(rate: float) -> int:
    """The most a crash can resend: what was in flight plus results not yet written."""
    return in_flight_for(rate) + FLUSH_ROWS


sending_broadcast: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "sending_broadcast", default=None)
"""The broadcast a sender is called for (each send runs in its own task): a channel that tags
its messages (Zalo's template `tracking_id`) reads it without changing `Sender.send`."""


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: blocked, kicked, deactivated: never retried
    RETRY_AFTER = "retry_after"  # 429: the whole broadcast waits
    MIGRATED = "migrated"  # the group became a supergroup: follow the new id
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections: retry with backoff
    PERMANENT = "permanent"  # any other 400: recorded as failed with the reason
    # No message can reach this recipient now (a Zalo follower silent for more than 7 days who
    # shared no phone): counted as 'unreachable' with the reason, never retried.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    new_chat_id: int | None = None
    reason: str = ""


class Sender(Protocol):
    """What delivery needs from a channel. `text` is the broadcast text as Telegram's HTML
    (staff text escaped); another channel's sender renders it for its own service."""

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult: ...


class Reporter(Protocol):
    async def progress(self, broadcast: Broadcast, counts: Counts) -> None: ...

    async def finished(self, broadcast: Broadcast, counts: Counts) -> None: ...


def escape_staff_text(text: str) -> str:
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
    """The bot's sending budget: never more than `rate` sends START in any sliding second,
    however late the event loop wakes, and evenly spaced in between.

    A 429 pauses every slot for its retry_after and lowers the rate by a tenth (once per
    episode); each clean minute after it raises the rate back a step, up to the configured one.
    Replies to residents (`slot(first=True)`) go before broadcasts waiting for the same budget,
    oldest first. Memory is bounded: the start times of the last `rate` sends.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 window: float = 1.0) -> None:
        """`window` > 1: `rate` starts in any `window` seconds, a margin for the time between a
        start and its arrival at Telegram, which varies with the machine's load."""
        self.window = window
        self.configured = float(rate)
        self.rate = float(rate)
        self.clock = clock
        self.sleep = sleep
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.episodes = 0  # how many times Telegram answered 429 (a burst of them counts once)
        self._starts: deque[float] = deque(maxlen=max(1, math.floor(rate)))
        self._calm_since = clock()
        self._in_episode = False
        self._first_waiting = 0
        self._first_lock = asyncio.Lock()  # replies in the order they asked
        self._no_first = asyncio.Event()
        self._no_first.set()

    @property
    def slowed(self) -> bool:
        """True while a 429 keeps the rate under the configured one."""
        return self.rate < self.configured

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def too_many(self, retry_after: float) -> None:
        """Telegram answered 429: wait it out, and go slower for a while."""
        now = self.clock()
        # The requests in flight when the first 429 came get theirs too: one episode.
        if not self._in_episode or now > self.paused_until + 1.0:
            self.episodes += 1
            self.rate = max(MIN_RATE, self.rate * BACKOFF_FACTOR)
            logger.warning("Telegram asked to slow down: %.0f s pause, then %.0f a second",
                           retry_after, self.rate)
        self._in_episode = True
        self._calm_since = now
        self.pause(retry_after)

    async def slot(self, *, first: bool = False) -> None:
        """Wait for the next send's turn; `first`: a reply, served before broadcasts."""
        if first:
            self._first_waiting += 1
            self._no_first.clear()
            try:
                async with self._first_lock:
                    await self._take(yielding=False)
            finally:
                self._first_waiting -= 1
                if not self._first_waiting:
                    self._no_first.set()
            return
        while True:
            await self._no_first.wait()
            if await self._take(yielding=True):
                return

    async def _take(self, *, yielding: bool) -> bool:
        while True:
            now = self.clock()
            self._recover(now)
            due = max(self.next_slot, self.paused_until)
            allowed = max(1, math.floor(self.rate))
            if len(self._starts) >= allowed:
                # The oldest of the last `rate` starts must be a second old.
                due = max(due, self._starts[-allowed] + self.window)
            if due <= now:
                if yielding and self._first_waiting:
                    return False  # a reply came while we waited: it goes first
                self._starts.append(now)
                # Slots follow each other from the previous one, not from "now": a sleep that
                # wakes late is made up by the next slots, but never more than BURST_SECONDS are
                # banked, and the sliding second above holds whatever the stalls.
                self.next_slot = (max(self.next_slot, now - BURST_SECONDS)
                                  + self.window / self.rate)
                return True
            await self.sleep(due - now)

    def _recover(self, now: float) -> None:
        if self._in_episode and now > self.paused_until + 1.0:
            self._in_episode = False
        if self.rate < self.configured and now - self._calm_since >= RECOVER_SECONDS:
            self.rate = min(self.configured, self.rate / BACKOFF_FACTOR)
            self._calm_since = now
            logger.info("no 429 for a minute: back up to %.0f a second", self.rate)


_Row = outbox_store.Row


class Delivery:
    """The worker that empties one channel's part of the outbox."""

    def __init__(
        self, db: Database, broadcasts: Broadcasts, sender: Sender, *, rate: float,
        tz: ZoneInfo, reporter: Reporter | None = None, night: Night | None = None,
        in_flight: int | None = None, progress_every: float = 2.0,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: Pacer | None = None, channel: str = "telegram", closes: bool | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        """`clock` times Telegram's per-chat limits (1 a second, 20 a minute per group) and `now`
        the outbox's schedule (postponed rows, retries): tests move both to check a minute's
        limit without waiting a minute. `budget` is the bot's one sending budget, shared with
        replies to residents, which go first (see bot/channels/telegram/rate_limits.py).

        `channel`: this worker claims and sends only that channel's outbox rows, with its own
        pacer at `rate`. A second channel's worker is one line beside Telegram's:

            Delivery(db, broadcasts, ZaloSender(...), rate=zalo_rate, tz=tz, channel="zalo")

        and runs with `await delivery.run(stop)`; `scheduler.also_wake(delivery.wake)` wakes it
        when a broadcast starts.
        `closes`: this worker marks broadcasts done once no row is pending in ANY channel, and
        tells staff their progress and summary (through `reporter`); by default only the
        Telegram worker does, so each broadcast is finished and summed up once, where staff are.
        `poll_seconds`: how often an idle worker looks at the outbox unwoken (a safety net:
        the scheduler wakes every channel's worker when it starts a broadcast).
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        self.channel = channel
        self.closes = channel == "telegram" if closes is None else closes
        self.db = db
        self.clock = clock
        self.now = now
        self.broadcasts = broadcasts
        self.sender = sender
        self.reporter = reporter
        self.tz = tz
        self.night = night or Night()
        self.pacer = Pacer(rate, window=ARRIVAL_MARGIN)
        self.budget = budget
        # Enough requests in flight to keep the rate through ~0.5 s of latency.
        self.limit = asyncio.Semaphore(in_flight or in_flight_for(rate))
        self.progress_every = progress_every
        self.backoff = backoff
        self.poll_seconds = poll_seconds
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
        self._tally: dict[int, Counts] = {}  # progress: counted once, then kept up to date
        self._flusher: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._sending: set[int] = set()  # broadcasts still 'sending', re-read now and then
        self._sending_read_at = -math.inf

    def wake(self) -> None:
        """A broadcast started: look at the outbox now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; what is in flight then is left pending (resent later)."""
        self._stop = stop
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
                await asyncio.wait({waiter, stopper}, timeout=self.poll_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        if self._tasks:  # let what is in flight land, briefly, so fewer are resent
            await asyncio.wait(set(self._tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()
        await self._flushed()

    async def step(self) -> bool:
        """Send one batch of due rows; False when there was nothing to do."""
        rows = await self._due_rows()
        for row in rows:
            wait = self._chat_wait(row)
            if wait > 0:
                await self._postpone(row, wait)
                continue
            await self.pacer.slot()
            if self.budget is not None:
                await self.budget.slot()  # replies waiting go first
            await self.limit.acquire()
            # A batch lasts up to BATCH / rate seconds (20 s at 25 a second): a broadcast
            # cancelled meanwhile, or a stop, takes effect within SENDING_RECHECK, not after it.
            if (self._stop is not None and self._stop.is_set()) or \
                    row.broadcast_id not in await self._still_sending():
                self.limit.release()
                if self._stop is not None and self._stop.is_set():
                    break
                continue
            self._flying.add((row.broadcast_id, row.chat_id))
            self._note_send(row)
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
                self._flush_soon()
        if rows:
            self._flush_soon()
        else:
            await self.flush()
        await self._close_finished()
        self._forget_old_sends()
        return bool(rows)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait for requests in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self._flushed()
        await self._close_finished()

    # -------------------------------------------------------------- internals
    async def _progress_counts(self, broadcast_id: int) -> Counts:
        """This channel's rows counted from the outbox once, then from the answers: counting a
        million rows every few seconds held the bot's one connection (a resident's reply waited
        1.4 s). Other channels' rows (sent by their own workers) are counted on their own part
        of the channel index each time."""
        if broadcast_id not in self._tally:
            await self._flushed()  # answers not yet written would count as still pending
            self._tally[broadcast_id] = await self.broadcasts.counts(broadcast_id, self.channel)
        counts = self._tally[broadcast_id]
        for other in CHANNELS:
            if other != self.channel:
                counts = counts.plus(await self.broadcasts.counts(broadcast_id, other))
        return counts

    async def _still_sending(self) -> set[int]:
        if time.monotonic() - self._sending_read_at >= SENDING_RECHECK:
            self._sending = set(await outbox_store.sending_broadcasts(self.db))
            self._sending_read_at = time.monotonic()
        return self._sending

    def _flush_soon(self) -> None:
        """Write results in the background: a slow disk never holds the next sends back (a
        flush awaited in the sending loop cost a third of the rate at 1,000 a second)."""
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self.flush())

    async def _flushed(self) -> None:
        if self._flusher is not None:
            await asyncio.wait({self._flusher}, timeout=10)
        await self.flush()

    async def _due_rows(self) -> list[_Row]:
        """Up to BATCH rows due now, urgent broadcasts first, then the oldest broadcast first."""
        now = self.now().isoformat(timespec="milliseconds")
        out: list[_Row] = []
        for broadcast_id in await outbox_store.sending_broadcasts(self.db):
            rows = await outbox_store.due_rows(self.db, broadcast_id, now,
                                               BATCH + len(self._flying), self.channel)
            out += [r for r in rows if (r.broadcast_id, r.chat_id) not in self._flying]
            if len(out) >= BATCH:
                break
        return out[:BATCH]

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

    def _forget_old_sends(self) -> None:
        """Memory holds only the chats sent to in the last second (groups: minute), however
        many recipients a broadcast has."""
        now = self.clock()
        if len(self._chat_last) > 2 * BATCH:
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > now - 1.0}
        if len(self._group_sends) > 2 * BATCH:
            self._group_sends = {c: d for c, d in self._group_sends.items()
                                 if d and d[-1] > now - 60}

    def _note_send(self, row: _Row) -> None:
        now = self.clock()
        self._chat_last[row.chat_id] = now
        if row.chat_kind != "private":
            self._group_sends.setdefault(row.chat_id, deque()).append(now)

    async def _postpone(self, row: _Row, seconds: float) -> None:
        later = (self.now() + timedelta(seconds=seconds)).isoformat(
            timespec="milliseconds")
        await outbox_store.postpone(self.db, row.broadcast_id, row.chat_id, later)

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
            sending_broadcast.set(row.broadcast_id)  # this task's own context
            try:
                result = await self.sender.send(row.chat_id, escape_staff_text(text),
                                                silent=silent)
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
            self.pacer.too_many(result.retry_after)
            if self.budget is not None:  # a flood ban is the whole bot's: replies wait too
                self.budget.pause(result.retry_after)
        elif result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            await self._migrate(row, result.new_chat_id)
        elif result.outcome is Outcome.PERMANENT:
            await self._final(row, "failed", result.reason)
        elif result.outcome is Outcome.UNREACHABLE:
            await self._final(row, "unreachable", result.reason or "unreachable")
        else:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._final(row, "failed", result.reason or "gave up after retries")
            else:
                delay = self.backoff[min(attempts, len(self.backoff)) - 1]
                later = (self.now() + timedelta(seconds=delay)).isoformat(
                    timespec="milliseconds")
                await outbox_store.retry_later(self.db, *key, attempts, later, result.reason)

    async def _final(self, row: _Row, status: str, error: str | None) -> None:
        """Buffer a final outcome; `flush` writes a batch in one transaction.

        Batching is what lets SQLite keep up with 1,000 messages a second; a crash loses at most
        the unflushed batch, which is resent (a bounded number of duplicates, never a loss).
        """
        self._results.append((row, status, (error or "")[:200] or None, utcnow()))
        tally = self._tally.get(row.broadcast_id)
        if tally is not None:
            self._tally[row.broadcast_id] = tally.moved(row.channel, status)
        self._buffered.add((row.broadcast_id, row.chat_id))
        if len(self._results) >= FLUSH_ROWS:
            await self.flush()

    async def flush(self) -> None:
        results, self._results = self._results, []
        self._flushed_at = time.monotonic()
        if not results:
            return
        try:
            await self._write_results(results)
        except Exception:
            # The database is locked past its timeout, or the disk is full: keep the answers
            # and write them with the next flush, rather than leave their rows pending and
            # excluded for the rest of this process's life.
            logger.exception("could not write %d delivery results; will try again", len(results))
            self._results[:0] = results
            return
        for r, *_rest in results:
            key = (r.broadcast_id, r.chat_id)
            self._buffered.discard(key)
            self._flying.discard(key)

    async def _write_results(self, results: list[tuple[_Row, str, str | None, str]]) -> None:
        async with self.db.transaction() as conn:
            await outbox_store.record_results(conn, [
                (status, error, at, r.broadcast_id, r.chat_id) for r, status, error, at in results
            ])
            await events.add(conn, self.db.tz, [
                Event(f"delivery_{status}", area_id=r.area_id, lang=r.lang,
                      chat_kind=chat_store.chat_kind(r.chat_kind), detail=str(r.broadcast_id),
                      at=at, channel=r.channel)
                for r, status, _e, at in results
            ])
            for r, status, _e, at in results:
                if status == "blocked":
                    await chat_store.set_blocked(conn, self.db.tz, r.chat_id, True, at)

    async def _migrate(self, row: _Row, new_id: int) -> None:
        await chat_store.move(self.db, row.chat_id, new_id, "supergroup")
        logger.info("a group moved to a supergroup; its broadcasts follow the new id")

    async def _close_finished(self) -> None:
        if not self.closes:  # another channel's worker: only forget what is no longer sending
            sending = await self._still_sending()
            for broadcast_id in [i for i in self._cache if i not in sending]:
                self._forget_broadcast(broadcast_id)
            return
        sending = await self.broadcasts.list(("sending",))
        await self._close_cancelled({b.id for b in sending})
        for b in sending:
            # One pending row is enough to know: counting a big outbox at every step would
            # hold the bot's one connection.
            if (not await outbox_store.has_pending(self.db, b.id)
                    and await self.broadcasts.finish_if_complete(b.id)):
                done = await self.broadcasts.get(b.id)
                if done is not None and self.reporter is not None:
                    await _safely(self.reporter.finished(done, await self.broadcasts.counts(b.id)))
                self._forget_broadcast(b.id)
            elif self.reporter is not None:
                now = time.monotonic()
                if now - self._last_progress.get(b.id, 0) >= self.progress_every:
                    self._last_progress[b.id] = now
                    await _safely(self.reporter.progress(b, await self._progress_counts(b.id)))


    def _forget_broadcast(self, broadcast_id: int) -> None:
        """What this worker kept about a broadcast that is no longer sending."""
        self._cache.pop(broadcast_id, None)
        self._last_progress.pop(broadcast_id, None)
        self._tally.pop(broadcast_id, None)

    async def _close_cancelled(self, sending: set[int]) -> None:
        """A broadcast this worker was sending and someone cancelled (in /scheduled or with the
        CLI): its progress message says so once, instead of "sending…" for ever."""
        for broadcast_id in [i for i in self._cache if i not in sending]:
            self._forget_broadcast(broadcast_id)
            b = await self.broadcasts.get(broadcast_id)
            if b is not None and b.status == "cancelled" and self.reporter is not None:
                await _safely(self.reporter.finished(b, await self.broadcasts.counts(b.id)))


async def _safely(call: Awaitable[None]) -> None:
    try:
        await call
    except Exception:
        logger.warning("could not report broadcast progress", exc_info=True)
