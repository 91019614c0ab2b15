"""Broadcast throughput against a fake Bot API with 250 ms latency and Telegram's limits enforced.

For each configured rate (the default 25/s, and 1,000/s with paid broadcasts) the real bot runs
in-process against the fake, broadcasts to N subscribers, and a resident asks /emergency every
second meanwhile. Then a plain loop of `await bot.send_message` with PTB's AIORateLimiter sends to
the same kind of chats. Printed: achieved rate / configured rate, 429s provoked, losses,
duplicates, the resident's reply time, and the plain loop's rate.

    .venv/bin/python -m benchmarks.broadcast [--subscribers 5000] [--loop-messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from telegram.ext import AIORateLimiter, ExtBot

from bot.app import build_application, running
from bot.config import Config
from bot.fakeapi import FakeBotAPI
from bot.store.chats import ensure, update

TOKEN = "7000000001:BENCH-token-for-the-fake-api-00000000"  # noqa: S105 - a fake
LATENCY = 0.25
RESIDENT = 99_000_001


async def scenario(subscribers: int, rate: int, paid: bool) -> dict[str, float]:
    api = FakeBotAPI(token=TOKEN, latency=LATENCY, enforce_limits=True)
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Config.from_env({
                "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
                "SANSANG_DB": str(Path(tmp) / "bench.sqlite3"), "SANSANG_WEATHER": "off",
                "SANSANG_BROADCAST_RATE": str(rate),
                "SANSANG_PAID_BROADCAST": "on" if paid else "off",
            })
            app = build_application(config)
            async with running(app, poll_timeout=1):
                svc = app.bot_data["services"]
                await svc.campaigns.sync([])  # nothing but this broadcast
                chats = list(range(50_000_001, 50_000_001 + subscribers))
                for chat in chats:
                    api.add_chat(chat, "private")
                    await ensure(svc.db, chat, "private", "vi", None)
                    await update(svc.db, chat, area_id="an-bien", subscribed=1)
                api.add_chat(RESIDENT, "private")
                await asyncio.sleep(1.5)  # let the start-up calls' rate window pass
                api.stats.clear()
                mark = api.mark()
                b = await svc.broadcasts.create("Cảnh báo: mưa lớn > 100 mm & ngập",
                                                created_by="bench")
                started = time.monotonic()  # the clock the fake stamps its calls with
                await app.bot_data["scheduler"].reconcile()
                replies: list[float] = []
                while (await svc.broadcasts.get(b.id)).status != "done":  # noqa: ASYNC110
                    asked = time.perf_counter()
                    m = api.mark()
                    api.send_message(RESIDENT, "/emergency")
                    await api.wait_for(lambda c: c.method == "sendMessage"
                                       and c.params.get("chat_id") == RESIDENT, since=m,
                                       timeout=30)
                    replies.append(time.perf_counter() - asked)
                    await asyncio.sleep(1.0)
                broadcast_calls = [c for c in api.calls[mark:] if c.method == "sendMessage"
                                   and c.status == 200 and c.params.get("chat_id") != RESIDENT]
                # From the start to the last message's answer, less that answer's latency.
                took = max(broadcast_calls[-1].at - LATENCY - started, 1e-3)
                sent = Counter(int(c.params["chat_id"]) for c in broadcast_calls)
                ok = sum(1 for c in chats if sent[c] >= 1)
                return {
                    "rate": rate, "achieved": ok / took, "ratio": ok / took / rate,
                    "429": api.stats["429"], "lost": subscribers - ok,
                    "duplicates": sum(n - 1 for n in sent.values() if n > 1),
                    "reply_median": statistics.median(replies) if replies else 0.0,
                    "reply_max": max(replies) if replies else 0.0, "seconds": took,
                }
    finally:
        await api.stop()


async def plain_loop(messages: int) -> dict[str, float]:
    """What a naive bot does: one await after another, PTB's AIORateLimiter on top."""
    api = FakeBotAPI(token=TOKEN, latency=LATENCY, enforce_limits=True)
    await api.start()
    try:
        chats = list(range(60_000_001, 60_000_001 + messages))
        for chat in chats:
            api.add_chat(chat, "private")
        bot = ExtBot(TOKEN, base_url=f"{api.url}/bot", rate_limiter=AIORateLimiter())
        async with bot:
            await asyncio.sleep(1.5)
            api.stats.clear()
            started = time.perf_counter()
            for chat in chats:
                await bot.send_message(chat, "Cảnh báo")
            took = time.perf_counter() - started
        return {"achieved": messages / took, "429": api.stats["429"]}
    finally:
        await api.stop()


async def main(subscribers: int, loop_messages: int, rates: list[int]) -> None:
    print(f"fake Bot API: {LATENCY * 1000:.0f} ms latency, Telegram's limits enforced "
          "(30/s, 1,000/s paid, 1/s per chat)")
    results = []
    for rate in rates:
        paid = rate > 30
        r = await scenario(subscribers, rate, paid)
        results.append(r)
        print(f"broadcast to {subscribers} at {rate}/s{' (paid)' if paid else ''}: "
              f"achieved {r['achieved']:.1f}/s = {r['ratio']:.0%} of the rate in "
              f"{r['seconds']:.1f} s; 429s provoked: {r['429']:.0f}; lost {r['lost']:.0f}, "
              f"duplicates {r['duplicates']:.0f}; resident's /emergency reply: median "
              f"{r['reply_median'] * 1000:.0f} ms, max {r['reply_max'] * 1000:.0f} ms")
    loop = await plain_loop(loop_messages)
    print(f"plain loop of await bot.send_message with AIORateLimiter ({loop_messages} chats): "
          f"{loop['achieved']:.1f}/s, 429s provoked: {loop['429']:.0f}")
    for r in results:
        print(f"  {r['rate']:.0f}/s broadcast vs plain loop: "
              f"{r['achieved'] / loop['achieved']:.1f} times faster")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--loop-messages", type=int, default=200)
    parser.add_argument("--rates", type=int, nargs="+", default=[25, 1000],
                        help="configured rates to measure (above 30: paid broadcasts)")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.loop_messages, args.rates))
