"""One process serves a whole city: a broadcast to a million subscribers.

Builds a database of N subscribed chats directly with sqlite3, then runs `sansang run` (paid
broadcasts at 1,000/s) against `python -m bot.fakeapi` (250 ms latency, 1,100 in any sliding
second, else 429), each in a process of its own, and broadcasts to everyone. Residents ask
/emergency all along, one after another. Printed: time to build the database; time to write
the outbox and the longest a reply waited meanwhile; the achieved rate over the first `--sends`
sends (then the bot is stopped); the bot's RSS as the broadcast proceeds and its peak; the
replies' times (net of the reply's latency); 429s; the year's export afterwards.

    .venv/bin/python -m benchmarks.scale [--subscribers 1000000] [--sends 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from benchmarks.broadcast import percentile
from benchmarks.processes import (
    bot_env,
    bot_process,
    fake_api,
    memory_kib,
    subscribers_db,
)
from bot.broadcasts.broadcasts import Broadcasts
from bot.paths import data_dir
from bot.reports import export, stats
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog

RESIDENT = 99_000_001
RATE = 1000


async def main(subscribers: int, sends: int) -> None:
    print(f"{subscribers:,} subscribers; first {sends:,} sends at {RATE}/s paid; fake Bot API "
          "in its own process (250 ms latency, 1,100 in any sliding second); the bot as "
          "`sansang run`. Other work on this 2-core machine makes the figures noisy.", flush=True)
    catalog = AreaCatalog.load(data_dir("content") / "areas.toml")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "city.sqlite3"
        t0 = time.perf_counter()
        await subscribers_db(db_path, subscribers)
        print(f"database of {subscribers:,} subscribed chats built in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        async with fake_api("--latency", "0.25", "--rate-allowance", "1.1", "--auto-chats",
                            "--lean") as fake, \
                bot_process(bot_env(fake.url, db_path, SANSANG_BROADCAST_RATE=str(RATE),
                                    SANSANG_PAID_BROADCAST="on"), Path(tmp)) as bot:
            assert await fake.ask(RESIDENT, "/start") is not None, "the bot did not answer"
            await fake.post("/fake/reset")
            rss: list[tuple[int, int]] = []  # (sends so far, RSS KiB)
            replies: list[tuple[float, float]] = []  # (when asked, seconds)
            stop = asyncio.Event()

            async def resident() -> None:
                n = 0
                while not stop.is_set():
                    n += 1  # a new resident each time: one chat gets 1 message a second
                    asked = time.monotonic()
                    seconds = await fake.ask(RESIDENT + n)
                    replies.append((asked, seconds if seconds is not None else 30.0))
                    await asyncio.sleep(0.2)

            asking = asyncio.create_task(resident())
            db = await Database.open(db_path)
            b = await Broadcasts(db, catalog).create("Cảnh báo bão số 3: mưa lớn, ngập sâu",
                                                     created_by="bench")
            # The bot's reconcile job (every 5 s) starts it: watch the outbox being written.
            first_row = written = None
            deadline = time.monotonic() + 300
            while written is None and time.monotonic() < deadline:
                row = await db.fetchone("SELECT status FROM broadcasts WHERE id = ?", (b.id,))
                any_row = await db.fetchone(
                    "SELECT 1 FROM outbox WHERE broadcast_id = ? LIMIT 1", (b.id,))
                now = time.monotonic()
                if first_row is None and any_row is not None:
                    first_row = now
                if row is not None and row[0] == "sending":
                    written = now
                    first_row = first_row or now
                await asyncio.sleep(0.05)
            assert first_row is not None and written is not None, "the outbox was not written"
            during = [s for at, s in replies if first_row - 0.3 <= at <= written]
            print(f"outbox of {subscribers:,} written in {written - first_row:.1f} s (chunks "
                  f"of 20,000); resident's replies meanwhile: {len(during)}, longest "
                  f"{max(during, default=0) * 1000:.0f} ms", flush=True)
            sending_from = len(replies)
            traffic = await fake.get("/fake/traffic")
            while traffic["sent"] < sends and bot.returncode is None:
                await asyncio.sleep(2.0)
                traffic = await fake.get("/fake/traffic")
                rss.append((traffic["sent"], memory_kib(bot.pid)[0]))
                print(f"  {traffic['sent']:>8,} sent, bot RSS {rss[-1][1] / 1024:.0f} MiB",
                      flush=True)
            peak = memory_kib(bot.pid)[1]
            stop.set()
            await asyncio.wait_for(asking, 40)
            await db.close()
        took = max((traffic["last"] or 0) - (traffic["first"] or 0), 1e-3)
        sending = [s for _at, s in replies[sending_from:]]
        print(f"achieved {traffic['sent'] / took:.0f}/s = {traffic['sent'] / took / RATE:.2f} of "
              f"the rate over the first {traffic['sent']:,} sends ({took:.1f} s); busiest second "
              f"{traffic['busiest_second']}; 429s {traffic['refused_429']} in "
              f"{traffic['episodes_429']} episode(s)")
        if rss:
            print(f"bot RSS: {rss[0][1] / 1024:.0f} MiB at {rss[0][0]:,} sent, "
                  f"{rss[-1][1] / 1024:.0f} MiB at {rss[-1][0]:,} sent; "
                  f"peak {peak / 1024:.0f} MiB")
        print(f"resident's reply while sending ({len(sending)} asks): p50 "
              f"{percentile(sending, 0.5) * 1000:.0f} ms, p95 "
              f"{percentile(sending, 0.95) * 1000:.0f} ms, max "
              f"{max(sending, default=0) * 1000:.0f} ms (net of the reply's 250 ms latency)")
        db = await Database.open(db_path)
        with contextlib.suppress(Exception):
            await db.execute("ANALYZE")
        for fmt in ("csv", "xlsx"):
            t0 = time.perf_counter()
            report = await stats.report(db, catalog, stats.Period.parse(
                year=str(time.gmtime().tm_year)))
            out = export.write(report, fmt, Path(tmp) / f"year.{fmt}")
            print(f"the year's export afterwards as {fmt}: {time.perf_counter() - t0:.2f} s "
                  f"({out.stat().st_size:,} bytes)")
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--sends", type=int, default=100_000,
                        help="stop the bot after this many sends")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.sends))
