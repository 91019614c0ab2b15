"""Broadcast pacing from outside: the fake Bot API in its own process counts what arrives.

`sansang run` runs as a process of its own against `python -m bot.fakeapi` (250 ms latency,
Telegram's limit as a sliding second with 10 % allowance: 1,100 paid sends in any one second,
else 429), with a CPU hog busy on one core of the machine. It broadcasts to N subscribers while a
resident asks /emergency every second. Printed for each run: achieved rate / configured rate
(first to last send's arrival), the busiest sliding second, 429s and 429 episodes, the bot's
pacer episodes, lost and duplicated sends, and the resident's reply time (net of its latency).

    .venv/bin/python -m benchmarks.broadcast [--subscribers 5000] [--rate 1000] [--runs 3]
        [--no-hog]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.processes import bot_env, bot_process, cpu_hog, fake_api, subscribers_db
from bot.broadcasts.broadcasts import Broadcasts
from bot.paths import data_dir
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog

LATENCY = 0.25
ALLOWANCE = 1.1
RESIDENT = 99_000_001


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else 0.0


async def status_of(db_path: Path, broadcast_id: int) -> tuple[str, dict[str, int]]:
    db = await Database.open(db_path, migrate=False)
    try:
        row = await db.fetchone("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,))
        counts = await db.fetchall(
            "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        return (row[0] if row else "?"), {r[0]: r[1] for r in counts}
    finally:
        await db.close()


async def run_once(subscribers: int, rate: int, hog: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        await subscribers_db(db_path, subscribers)
        async with fake_api("--latency", str(LATENCY), "--rate-allowance", str(ALLOWANCE),
                            "--auto-chats", "--lean") as fake:
            env = bot_env(fake.url, db_path, SANSANG_BROADCAST_RATE=str(rate),
                          SANSANG_PAID_BROADCAST="on" if rate > 30 else "off")
            with cpu_hog() if hog else contextlib.nullcontext():
                async with bot_process(env, Path(tmp)):
                    assert await fake.ask(RESIDENT) is not None, "the bot did not answer"
                    await fake.post("/fake/reset")
                    db = await Database.open(db_path)
                    areas = AreaCatalog.load(data_dir("content") / "areas.toml")
                    b = await Broadcasts(db, areas).create("Cảnh báo: mưa lớn > 100 mm & ngập",
                                                           created_by="bench")
                    await db.close()
                    replies: list[float] = []
                    deadline = time.monotonic() + 60 + 3 * subscribers / rate
                    status, counts = "scheduled", {}
                    while status != "done" and time.monotonic() < deadline:
                        seconds = await fake.ask(RESIDENT)
                        if seconds is not None:
                            replies.append(seconds)
                        await asyncio.sleep(1.0)
                        status, counts = await status_of(db_path, b.id)
                    traffic = await fake.get("/fake/traffic")
    took = max((traffic["last"] or 0) - (traffic["first"] or 0), 1e-3)
    return {
        "status": status, "sent": traffic["sent"], "achieved": traffic["sent"] / took,
        "ratio": traffic["sent"] / took / rate, "seconds": took,
        "busiest": traffic["busiest_second"], "refused": traffic["refused_429"],
        "episodes": traffic["episodes_429"], "lost": subscribers - counts.get("sent", 0),
        "duplicates": max(0, traffic["sent"] - counts.get("sent", 0)),
        "reply_p50": percentile(replies, 0.5), "reply_p95": percentile(replies, 0.95),
    }


async def main(subscribers: int, rate: int, runs: int, hog: bool) -> None:
    print(f"fake Bot API in its own process: {LATENCY * 1000:.0f} ms latency, at most "
          f"{ALLOWANCE:.0%} of the rate in any sliding second; "
          f"{'a CPU hog on one core' if hog else 'no CPU hog'}; {subscribers} subscribers at "
          f"{rate}/s. Other work on this machine makes the figures noisy.")
    for n in range(1, runs + 1):
        r = await run_once(subscribers, rate, hog)
        print(f"run {n}: {r['status']}: achieved {r['achieved']:.0f}/s = {r['ratio']:.2f} of the "
              f"rate ({r['sent']} in {r['seconds']:.1f} s); busiest second {r['busiest']} "
              f"({r['busiest'] / rate:.3f} of the rate); 429s {r['refused']} in "
              f"{r['episodes']} episode(s); lost {r['lost']}, duplicates {r['duplicates']}; "
              f"resident's reply p50 {r['reply_p50'] * 1000:.0f} ms, "
              f"p95 {r['reply_p95'] * 1000:.0f} ms (net of latency)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=1000, help="above 30: paid broadcasts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-hog", action="store_true", help="without the CPU hog")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.rate, args.runs, not args.no_hog))
