"""A storm of questions: N residents ask at once; is every one answered, and how fast?

`sansang run` runs as a process of its own against `python -m bot.fakeapi` in another, with
Telegram's limits enforced (30 messages a second for the bot, 1 a second per chat: 429 past
them) and 250 ms latency. N residents send /emergency in the same instant. Printed: how many got
an answer, p50/p95/max of their wait (from asking to the reply's arrival at the API, so net of
that reply's own latency), 429s the bot provoked, and whether the oldest were answered first.

    .venv/bin/python -m benchmarks.storm [--residents 300] [--latency 0.25] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from benchmarks.broadcast import percentile
from benchmarks.processes import bot_env, bot_process, fake_api
from bot.store import Database

FIRST = 70_000_001
WARM = 69_999_999


async def run_once(residents: int, latency: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        db = await Database.open(db_path)
        await db.close()
        async with fake_api("--latency", str(latency), "--limits") as fake, \
                bot_process(bot_env(fake.url, db_path), Path(tmp)):
            assert await fake.ask(WARM) is not None, "the bot did not answer"
            await asyncio.sleep(1.5)  # start-up's own messages leave the limit's window
            result = await fake.post("/fake/storm", {"first": FIRST, "count": residents,
                                                     "timeout": 120})
    waits = [w for w in result["waits"] if w is not None]
    answered = [(w, n) for n, w in enumerate(result["waits"]) if w is not None]
    by_wait = [n for _w, n in sorted(answered)]
    out_of_order = sum(1 for rank, n in enumerate(by_wait) if abs(rank - n) > 16)
    return {"answered": len(waits), "p50": percentile(waits, 0.5),
            "p95": percentile(waits, 0.95), "max": max(waits, default=0.0),
            "refused": result["refused_429"], "out_of_order": out_of_order}


async def main(residents: int, latency: float, runs: int) -> None:
    print(f"{residents} residents ask /emergency at once; fake Bot API in its own process with "
          f"Telegram's limits (30/s for the bot, 1/s a chat) and {latency * 1000:.0f} ms latency. "
          "Other work on this machine makes the figures noisy.")
    for n in range(1, runs + 1):
        r = await run_once(residents, latency)
        print(f"run {n}: answered {r['answered']:.0f} of {residents}; wait p50 {r['p50']:.1f} s, "
              f"p95 {r['p95']:.1f} s, max {r['max']:.1f} s (ideal at 30/s: "
              f"{residents / 30:.0f} s for the last); 429s provoked {r['refused']:.0f}; "
              f"answered more than 16 places out of asking order: {r['out_of_order']:.0f}",
              flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.residents, args.latency, args.runs))
