"""How fast a new resident's /start gets its language keyboard from a running `sansang run`.

Starts the fake Bot API on 127.0.0.1 (optionally with a per-request latency, like the real API
seen from Vietnam), runs the bot as a separate process against it, sends /start from new users
one after another and prints the median and 95th percentile of the time from the message being
available to the bot until its reply with the keyboard reaches the API.

    .venv/bin/python -m benchmarks.start_reply [--users 100] [--latency 0.25]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.fakeapi import FakeBotAPI

TOKEN = "7000000001:BENCH-token-for-the-fake-api-00000000"  # noqa: S105 - a fake


async def measure(users: int, latency: float) -> list[float]:
    api = FakeBotAPI(token=TOKEN, latency=latency)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
        env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
                "SANSANG_DB": str(Path(tmp) / "bench.sqlite3"), "SANSANG_WEATHER": "off"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await api.wait_for(lambda c: c.method == "deleteWebhook", timeout=60)
            await asyncio.sleep(0.5)
            times = []
            for i in range(users):
                user = 8000000 + i
                api.add_chat(user, "private")
                mark = api.mark()
                started = time.perf_counter()
                api.send_message(user, "/start")
                await api.wait_for(
                    lambda c, u=user: c.method == "sendMessage" and c.params.get("chat_id") == u
                    and "inline_keyboard" in (c.params.get("reply_markup") or {}),
                    since=mark, timeout=30,
                )
                times.append(time.perf_counter() - started)
            return times
        finally:
            proc.terminate()
            await proc.wait()
            await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake API waits before each answer")
    args = parser.parse_args()
    times = asyncio.run(measure(args.users, args.latency))
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"/start -> language keyboard, {len(times)} new users, API latency "
          f"{args.latency * 1000:.0f} ms: median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
