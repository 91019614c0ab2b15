"""Does a Zalo broadcast slow the Telegram one? Telegram's delivery alone, then beside Zalo's.

`sansang run` runs as a process of its own with SANSANG_ZALO=on, against `python -m bot.fakeapi`
in another (250 ms latency, Telegram's limit with 10 % allowance) and the fake Zalo server
(tests/fakes/zalo.py, in this process, on 127.0.0.1). Run "alone": one broadcast to N Telegram
chats at the configured rate, no Zalo follower. Run "beside Zalo": the same broadcast reaches the
same N chats and M Zalo followers (all within Zalo's 48-hour window), so both channels' workers
send at once. Printed for each run: Telegram's messages a second and its completion time (first
to last send's arrival at the fake Bot API), lost and duplicated sends; and Zalo's rate over the
same time. Bounded: each run stops when Telegram's part is sent (Zalo's worker, at its own 10 a
second, is then stopped mid-way; its rows stay pending), or after 60 s + 3 × N / rate.

    .venv/bin/python -m benchmarks.channels [--telegram 1000] [--zalo 2000] [--rate 25]
        [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.processes import bot_env, bot_process, fake_api, subscribers_db
from bot.broadcasts.broadcasts import Broadcasts
from bot.channels.zalo.sender import ZALO_RATE
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ZALO_CHAT_BASE
from bot.subscriptions.areas import AreaCatalog
from tests.fakes.zalo import FakeZalo  # the fake the tests use; run from the repository's root

LATENCY = 0.25
ALLOWANCE = 1.1
RESIDENT = 99_000_001
AREA = "an-bien"
TEXT = "Cảnh báo: mưa lớn > 100 mm & ngập"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_followers(path: Path, zalo: FakeZalo, count: int) -> None:
    """`count` Zalo followers subscribed to AREA, who wrote just now (within the free window),
    inserted directly; the fake Zalo knows them as followers too."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    users = [zalo.new_user_id() for _ in range(count)]
    for user in users:
        zalo.add_follower(user)
    conn = sqlite3.connect(path)
    try:
        conn.executemany(
            "INSERT INTO chats (chat_id, kind, lang, area_id, subscribed, created_at, updated_at,"
            " channel, address, last_interaction_at) "
            "VALUES (?, 'private', 'vi', ?, 1, ?, ?, 'zalo', ?, ?)",
            ((ZALO_CHAT_BASE + 1 + i, AREA, now, now, user, now) for i, user in enumerate(users)))
        conn.commit()
    finally:
        conn.close()


async def pending(db: Database, broadcast_id: int, channel: str) -> int | None:
    """Pending rows of one channel, None before the broadcast has started (no row yet)."""
    row = await db.fetchone(
        "SELECT COUNT(*), SUM(status = 'pending') FROM outbox "
        "WHERE broadcast_id = ? AND channel = ?", (broadcast_id, channel))
    return None if row is None or not row[0] else int(row[1] or 0)


async def sent_rows(db: Database, broadcast_id: int, channel: str) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND channel = ?"
                            " AND status = 'sent'", (broadcast_id, channel))
    return int(row[0]) if row else 0


async def run_once(telegram: int, followers: int, rate: float) -> dict[str, Any]:
    zalo = FakeZalo()
    await zalo.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.sqlite3"
            await subscribers_db(db_path, telegram, AREA)
            add_followers(db_path, zalo, followers)
            port = free_port()
            zalo.webhook = f"http://127.0.0.1:{port}/zalo/webhook"
            async with fake_api("--latency", str(LATENCY), "--rate-allowance", str(ALLOWANCE),
                                "--auto-chats", "--lean") as fake:
                env = bot_env(fake.url, db_path, SANSANG_BROADCAST_RATE=f"{rate:g}",
                              SANSANG_PAID_BROADCAST="on" if rate > 30 else "off",
                              SANSANG_ZALO="on", SANSANG_ZALO_WEBHOOK=f"127.0.0.1:{port}",
                              **zalo.env())
                async with bot_process(env, Path(tmp)):
                    assert await fake.ask(RESIDENT) is not None, "the bot did not answer"
                    assert zalo.refreshes(), "the bot's Zalo channel did not start"
                    await fake.post("/fake/reset")
                    db = await Database.open(db_path, migrate=False)
                    try:
                        areas = AreaCatalog.load(data_dir("content") / "areas.toml")
                        b = await Broadcasts(db, areas).create(TEXT, created_by="bench")
                        zalo_mark = zalo.mark()
                        deadline = time.monotonic() + 60 + 3 * telegram / rate
                        left = await pending(db, b.id, "telegram")
                        while left != 0 and time.monotonic() < deadline:
                            await asyncio.sleep(0.2)
                            left = await pending(db, b.id, "telegram")
                        traffic = await fake.get("/fake/traffic")
                        zalo_sent = [s for s in zalo.sent[zalo_mark:]
                                     if s.kind == "cs" and s.error == 0]
                        recorded = await sent_rows(db, b.id, "telegram")
                    finally:
                        await db.close()
    finally:
        await zalo.stop()
    took = max((traffic["last"] or 0) - (traffic["first"] or 0), 1e-3)
    zalo_took = (zalo_sent[-1].at - zalo_sent[0].at) if len(zalo_sent) > 1 else 0.0
    return {
        "finished": left == 0, "sent": traffic["sent"], "rate": traffic["sent"] / took,
        "seconds": took, "busiest": traffic["busiest_second"], "refused": traffic["refused_429"],
        "lost": telegram - recorded, "duplicates": max(0, traffic["sent"] - recorded),
        "zalo_sent": len(zalo_sent),
        "zalo_rate": (len(zalo_sent) - 1) / zalo_took if zalo_took else 0.0,
    }


def line(name: str, r: dict[str, Any], rate: float) -> str:
    text = (f"{name}: Telegram {'sent' if r['finished'] else 'NOT FINISHED'}: {r['sent']} in "
            f"{r['seconds']:.1f} s = {r['rate']:.1f}/s ({r['rate'] / rate:.2f} of the rate); "
            f"busiest second {r['busiest']}; 429s {r['refused']}; lost {r['lost']}, duplicates "
            f"{r['duplicates']}")
    if r["zalo_sent"]:
        text += f"; Zalo meanwhile {r['zalo_sent']} at {r['zalo_rate']:.1f}/s"
    return text


async def main(telegram: int, followers: int, rate: float, runs: int) -> None:
    print(f"fake Bot API in its own process ({LATENCY * 1000:.0f} ms latency), fake Zalo in this "
          f"one; {telegram} Telegram chats at {rate:g}/s; {followers} Zalo followers at "
          f"{ZALO_RATE:g}/s. Other work on this machine makes the figures noisy.", flush=True)
    for n in range(1, runs + 1):
        alone = await run_once(telegram, 0, rate)
        print(line(f"run {n}, alone", alone, rate), flush=True)
        beside = await run_once(telegram, followers, rate)
        print(line(f"run {n}, beside Zalo", beside, rate), flush=True)
        print(f"run {n}: beside Zalo, Telegram's rate is {beside['rate'] / alone['rate']:.3f} "
              f"of its rate alone, its time {beside['seconds'] / alone['seconds']:.3f} of it",
              flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--telegram", type=int, default=1000, help="Telegram chats")
    parser.add_argument("--zalo", type=int, default=2000, help="Zalo followers")
    parser.add_argument("--rate", type=float, default=25.0, help="Telegram's configured rate")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.telegram, args.zalo, args.rate, args.runs))
