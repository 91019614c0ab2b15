"""Residents' reply time while the lead office exports a busy year through the bot.

Fills a database like `benchmarks.export` does (1,000,000 outreach events, 50,000
subscriptions, this year), runs `sansang run` on it as a separate process against the fake Bot
API on 127.0.0.1, and has residents ask a question every few milliseconds (each from the next of
many chats, so no chat waits for its own previous answer). First with nothing else going on,
then while the lead presses /export → "This year" several times in a row. Prints the reply
latency (message available to the bot → its answer reaching the API) idle and during the
exports, and how long each export took (press → the workbook reaching the API).

    .venv/bin/python -m benchmarks.export_while_asking [--events 1000000] [--exports 10]
        [--db PATH]  (a file kept for the next run: filled only when it does not exist)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.export import fill
from bot.channels.telegram.handlers.callbacks import export as export_button
from bot.fakeapi import FakeBotAPI
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog

TOKEN = "7000000001:BENCH-token-for-the-fake-api-00000000"  # noqa: S105 - a fake
LEAD = 900_001
RESIDENTS = range(8_100_001, 8_100_061)
QUESTIONS = ("ngập lụt", "bão sắp đến phải làm gì", "nắng nóng", "sét đánh", "triều cường")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


async def reply_to(api: FakeBotAPI, chat: int, text: str) -> float:
    """Seconds from the message reaching the fake until the bot's first answer in that chat."""
    mark = api.mark()
    started = time.monotonic()  # the clock the fake stamps its calls with
    api.send_message(chat, text)
    call = await api.wait_for(
        lambda c: c.method == "sendMessage" and c.status == 200
        and int(c.params.get("chat_id", 0)) == chat, since=mark, timeout=120,
    )
    return call.at - started


async def ask_until(api: FakeBotAPI, done: asyncio.Event, interval: float, start: int = 0
                    ) -> list[float]:
    """A question every `interval` seconds, from chat to chat, until `done`; their latencies."""
    asked = []
    i = start
    while not done.is_set():
        chat = RESIDENTS[i % len(RESIDENTS)]
        asked.append(asyncio.create_task(reply_to(api, chat, QUESTIONS[i % len(QUESTIONS)])))
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), interval)
    return list(await asyncio.gather(*asked))


async def export_year(api: FakeBotAPI) -> float:
    """The lead's /export → "This year": seconds from the press until the workbook arrives."""
    mark = api.mark()
    api.send_message(LEAD, "/export")
    menu = await api.wait_for(lambda c: c.method == "sendMessage" and c.status == 200
                              and int(c.params.get("chat_id", 0)) == LEAD, since=mark)
    mark = api.mark()
    started = time.monotonic()
    api.press_button(LEAD, LEAD, menu.response["result"]["message_id"], export_button("ty"))
    sent = await api.wait_for(lambda c: c.method == "sendDocument" and c.status == 200,
                              since=mark, timeout=300)
    return sent.at - started


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"{len(times)} questions: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms")


async def main(events: int, subscribers: int, exports: int, interval: float,
               keep: Path | None) -> None:
    catalog = AreaCatalog.load(data_dir("content") / "areas.toml")
    year = datetime.now(ZONE).year
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "busy.sqlite3"
        if not path.exists():
            db = await Database.open(path, tz=ZONE)
            t0 = time.perf_counter()
            await fill(db, [a.id for a in catalog.areas], subscribers, events, year=year)
            await db.execute("ANALYZE")
            await db.close()
            print(f"filled {events:,} events of {year} ({subscribers:,} subscriptions) in "
                  f"{time.perf_counter() - t0:.0f} s")
        api = FakeBotAPI(token=TOKEN)
        await api.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
        env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
                "SANSANG_DB": str(path), "SANSANG_WEATHER": "off", "SANSANG_LEAD_IDS": str(LEAD)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await api.wait_for(lambda c: c.method == "deleteWebhook", timeout=120)
            api.add_chat(LEAD, "private")
            for chat in RESIDENTS:
                api.add_chat(chat, "private")
                await reply_to(api, chat, "/start an-bien")
            await export_year(api)  # once unmeasured: the file's pages into the OS cache

            idle_over = asyncio.Event()
            asking = asyncio.create_task(ask_until(api, idle_over, interval))
            await asyncio.sleep(10)
            idle_over.set()
            idle = await asking

            during: list[float] = []
            took: list[float] = []
            for n in range(exports):
                export_over = asyncio.Event()
                asking = asyncio.create_task(ask_until(api, export_over, interval, start=n * 7))
                took.append(await export_year(api))
                export_over.set()
                during += await asking
                await asyncio.sleep(1)  # the last answers arrive; the next export starts apart
        finally:
            proc.terminate()
            await proc.wait()
            await api.stop()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, a question every "
          f"{interval * 1000:.0f} ms")
    print(f"idle: {figures(idle)}")
    print(f"during {exports} exports of the year: {figures(during)}")
    print("the year's export, press -> workbook at the Bot API: "
          + ", ".join(f"{t:.2f}" for t in took) + " s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--exports", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.05,
                        help="seconds between two residents' questions")
    parser.add_argument("--db", type=Path, help="keep the filled database in this file")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.subscribers, args.exports, args.interval, args.db))
