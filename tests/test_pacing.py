"""The pacer: never more than `rate` sends start in any sliding second, whatever the event loop's
stalls; a 429 lowers the rate and a clean minute raises it back; replies go before broadcasts.

The clock is injected: `sleep` moves it (late, as a busy machine wakes), nothing waits for real.
"""

from __future__ import annotations

import asyncio
import random
from bisect import bisect_right

from telegram.ext import Application

from bot.broadcasts.delivery import BACKOFF_FACTOR, RECOVER_SECONDS, Pacer
from tests.auxil.chat import Person
from tests.conftest import STAFF_ID
from tests.fakes import FakeBotAPI


class Moved:
    """A clock that only moves when someone sleeps (or the test stalls it)."""

    def __init__(self, late: float = 0.0, seed: int = 7) -> None:
        self.now = 1000.0
        self.late = late
        self.random = random.Random(seed)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # Timers wake late on a busy machine: by up to `late`, at random.
        self.now += seconds + self.random.uniform(0, self.late)
        await asyncio.sleep(0)


def busiest_second(starts: list[float]) -> int:
    """The most starts in any sliding 1-s window [t, t + 1)."""
    starts = sorted(starts)
    return max((bisect_right(starts, t + 1.0 - 1e-9) - i for i, t in enumerate(starts)),
               default=0)


async def test_a_stall_never_bunches_more_than_the_rate_into_one_second() -> None:
    time = Moved(late=0.004)
    pacer = Pacer(100, clock=time.clock, sleep=time.sleep)
    starts: list[float] = []
    for n in range(600):
        if n in (150, 300, 420):
            time.now += 0.5  # the event loop stalls (a CPU hog, a slow query)
        await pacer.slot()
        starts.append(time.now)
    assert busiest_second(starts) <= 100
    # ...and the stalls cost little: 600 slots at 100/s plus 1.5 s of stalls.
    assert starts[-1] - starts[0] < 600 / 100 + 1.5 + 0.5


async def test_timers_that_wake_late_every_time_keep_the_rate_without_passing_it() -> None:
    time = Moved(late=0.003)  # three intervals late at 1,000 a second
    pacer = Pacer(1000, clock=time.clock, sleep=time.sleep)
    starts = []
    for _ in range(5000):
        await pacer.slot()
        starts.append(time.now)
    assert busiest_second(starts) <= 1000
    assert 5000 / (starts[-1] - starts[0]) >= 0.95 * 1000


async def test_a_429_lowers_the_rate_once_per_episode_and_a_clean_minute_raises_it() -> None:
    time = Moved()
    pacer = Pacer(100, clock=time.clock, sleep=time.sleep)
    await pacer.slot()
    pacer.too_many(2.0)
    pacer.too_many(2.0)  # the other requests in flight get their 429 too: the same episode
    assert pacer.episodes == 1 and pacer.rate == 100 * BACKOFF_FACTOR and pacer.slowed
    before = time.now
    await pacer.slot()
    assert time.now - before >= 2.0  # retry_after is waited out
    starts = []
    while time.now - before < 10:
        await pacer.slot()
        starts.append(time.now)
    assert busiest_second(starts) <= 90
    pacer.too_many(1.0)  # later: a new episode
    assert pacer.episodes == 2 and round(pacer.rate) == 81
    later = time.now
    while time.now - later < RECOVER_SECONDS + 1.5:
        await pacer.slot()
    assert round(pacer.rate) == 90  # one step back up after a clean minute
    while time.now - later < 3 * RECOVER_SECONDS + 1.5:
        await pacer.slot()
    assert pacer.rate == 100 and not pacer.slowed  # never above the configured rate


async def test_replies_take_the_budget_before_a_broadcast_oldest_first() -> None:
    time = Moved()
    budget = Pacer(10, clock=time.clock, sleep=time.sleep)
    order: list[str] = []

    async def broadcast() -> None:
        for n in range(30):
            await budget.slot()
            order.append(f"b{n}")

    async def reply(name: str) -> None:
        await budget.slot(first=True)
        order.append(name)

    sending = asyncio.create_task(broadcast())
    for _ in range(1000):  # bounded: until the broadcast has sent a few
        if len(order) >= 5:
            break
        await asyncio.sleep(0)
    replies = [asyncio.create_task(reply(f"r{n}")) for n in range(8)]
    await asyncio.wait_for(asyncio.gather(sending, *replies), 5)
    at = order.index("r0")
    assert order[at:at + 8] == [f"r{n}" for n in range(8)]  # all replies next, in order
    assert at <= 6  # at most the broadcast slot already granted went between


async def test_staff_see_in_the_progress_message_that_telegram_slowed_the_broadcast(
    bot: Application, api: FakeBotAPI, staff: Person  # type: ignore[type-arg]
) -> None:
    from tests.test_broadcasts import finished, subscribe

    svc = bot.bot_data["services"]
    for chat in range(8_400_001, 8_400_081):
        await subscribe(svc.db, api, chat, "an-bien")
    api.fail_next("sendMessage", status=429, retry_after=1, chat_id=8_400_005)
    mark = api.mark()
    b = await svc.broadcasts.create("Cảnh báo", targets=["an-bien"], created_by=str(STAFF_ID),
                                    notify_chat=STAFF_ID)
    await bot.bot_data["scheduler"].reconcile()
    told = await api.wait_message(STAFF_ID, since=mark, contains="chậm lại", timeout=20)
    assert "22 tin mỗi giây" in told.params["text"]  # 25 less a tenth, rounded
    await finished(svc.broadcasts, b.id)
    assert bot.bot_data["delivery"].pacer.episodes == 1
