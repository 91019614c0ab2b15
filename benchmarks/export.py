"""The year's export of a busy ward: 50,000 subscribers and 1 million outreach events.

Fills a fresh SQLite file (through the real migrations, so the daily roll-up's trigger runs on
every insert) with a year of events spread over the areas and months, then times the year's
report and both export formats.

    .venv/bin/python -m benchmarks.export [--events 1000000] [--subscribers 50000]
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
from bot.reports import export, stats
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog

KINDS = (("guide_view", 30), ("question", 15), ("delivery_sent", 45), ("delivery_failed", 2),
         ("delivery_blocked", 1), ("unsubscribe", 1), ("blocked", 1), ("broadcast", 0.01))
HAZARDS = ("storm", "flood", "surge", "thunderstorm", "heat", "cold", "landslide", "general")


async def fill(db: Database, areas: list[str], subscribers: int, events: int,
               year: int = 2026) -> None:
    rng = random.Random(2026)
    start = datetime(year, 1, 1, tzinfo=UTC)
    kinds, weights = zip(*KINDS, strict=True)

    def at() -> str:
        return (start + timedelta(seconds=rng.randrange(365 * 86400))).isoformat(
            timespec="seconds")

    rows = [(at(), "subscribe", rng.choice(areas), rng.choice(("vi", "vi", "en")),
             "private" if rng.random() < 0.95 else "group", None, None, 1)
            for _ in range(subscribers)]
    for kind in rng.choices(kinds, weights, k=events - subscribers):
        area = rng.choice(areas)
        guide = detail = None
        if kind == "guide_view":
            hazard = rng.choice(HAZARDS)
            guide, detail = f"{hazard}-before", f"{hazard}:menu"
        elif kind == "question":
            if rng.random() < 0.9:
                guide = "flood-during"
            else:
                detail = f"câu hỏi chưa có hướng dẫn số {rng.randrange(300)}"
        elif kind == "broadcast":
            detail = f"{rng.randrange(1000)}:{rng.randrange(5000)}"
        active = -1 if kind in ("unsubscribe", "blocked") else 0
        rows.append((at(), kind, area, "vi", "private", guide, detail, active))
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail, active) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows,
        )


async def insert_cost(areas: list[str], tz: ZoneInfo, events: int = 100_000) -> None:
    """What the roll-up's trigger adds to each insert: the same fill with and without it."""
    with tempfile.TemporaryDirectory() as tmp:
        for trigger in (False, True):
            db = await Database.open(Path(tmp) / f"insert-{trigger}.sqlite3", tz=tz)
            if not trigger:
                await db.execute("DROP TRIGGER events_count_day")
            t0 = time.perf_counter()
            await fill(db, areas, events // 20, events)
            took = time.perf_counter() - t0
            print(f"insert {events:,} events {'with' if trigger else 'without'} the roll-up's "
                  f"trigger: {took / events * 1e6:.0f} µs an event")
            await db.close()


async def main(events: int, subscribers: int) -> None:
    catalog = AreaCatalog.load(data_dir("content") / "areas.toml")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    await insert_cost([a.id for a in catalog.areas], tz)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "busy.sqlite3", tz=tz)
        t0 = time.perf_counter()
        await fill(db, [a.id for a in catalog.areas], subscribers, events)
        await db.execute("ANALYZE")  # what the bot's PRAGMA optimize at each close keeps fresh
        took = time.perf_counter() - t0
        print(f"filled {events:,} events ({subscribers:,} subscriptions) in {took:.1f} s "
              f"(with ANALYZE, "
              f"{took / events * 1e6:.0f} µs an event)")
        period = stats.Period.parse(year="2026")
        for fmt in ("csv", "xlsx"):
            t0 = time.perf_counter()
            report = await stats.report(db, catalog, period)
            out = export.write(report, fmt, Path(tmp) / f"year.{fmt}")
            took = time.perf_counter() - t0
            print(f"year export as {fmt}: {took:.2f} s ({out.stat().st_size:,} bytes)")
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=50_000)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.subscribers))
