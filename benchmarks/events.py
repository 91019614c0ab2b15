"""`sansang db recount` of a busy year: every event's local day and the roll-up counted again.

Logs a year of events through `events.add` (10,000 a transaction), then recounts the whole log
in UTC and back in the ward's zone, as after a change of SANSANG_TIMEZONE.

    .venv/bin/python -m benchmarks.events [--events 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.paths import data_dir
from bot.store import Database, events
from bot.store.events import Event
from bot.subscriptions.areas import AreaCatalog

WARD = ZoneInfo("Asia/Ho_Chi_Minh")
KINDS = ("delivery_sent", "guide_view", "question", "subscribe", "unsubscribe")


def history(areas: list[str], n: int) -> list[Event]:
    rng = random.Random(2026)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Event(rng.choice(KINDS), area_id=rng.choice(areas), lang="vi", chat_kind="private",
              detail="flood:menu", at=(start + timedelta(seconds=rng.randrange(365 * 86400)))
              .isoformat(timespec="seconds"))
        for _ in range(n)
    ]


async def log_all(db: Database, logged: list[Event], batch: int) -> float:
    """Seconds to log every event, `batch` a transaction."""
    t0 = time.perf_counter()
    for i in range(0, len(logged), batch):
        async with db.transaction() as conn:
            await events.add(conn, db.tz, logged[i:i + batch])
    return time.perf_counter() - t0


async def main(n: int) -> None:
    areas = [a.id for a in AreaCatalog.load(data_dir("content") / "areas.toml").areas]
    logged = history(areas, n)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "year.sqlite3", tz=WARD)
        took = await log_all(db, logged, 10_000)
        print(f"logged {n:,} events in {took:.1f} s")
        for zone in (ZoneInfo("UTC"), WARD):
            t0 = time.perf_counter()
            moved, rows = await events.recount(db, zone)
            print(f"recount in {zone}: {time.perf_counter() - t0:.1f} s "
                  f"({moved:,} events moved to another day, {rows:,} daily counts)")
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.events))
