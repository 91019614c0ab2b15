"""The anonymous outreach log: what happened, when, where and in which language; never who.

`add` holds the only INSERT INTO events. It stores each event's local day (SANSANG_TIMEZONE),
computed here, so the roll-up trigger only adds and a row written by any SQLite client counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiosqlite

from bot.store.database import Database, utcnow

RECOUNT_CHUNK = 50_000


@dataclass(frozen=True)
class Event:
    """One line of the outreach log.

    `active`: how this event changed the number of chats receiving warnings (subscribed and not
    blocked): +1, -1 or 0. The report's "active at the period's end" is its sum. `at`: a stored
    UTC time (ISO 8601); None means now.
    """

    kind: str
    area_id: str | None = None
    lang: str | None = None
    chat_kind: str | None = None
    guide_id: str | None = None
    detail: str | None = None
    active: int = 0
    at: str | None = None
    channel: str = "telegram"  # 'telegram' | 'zalo': where it happened (issue 16)


CHANNELS = ("telegram", "zalo")
"""The channels the bot speaks on; every chat, outbox row and event belongs to one."""


def local_day(at: str, tz: ZoneInfo) -> str:
    """A stored UTC time's date in the ward's zone (a time without a zone is UTC)."""
    try:
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(tz).date().isoformat()
    except (ValueError, OverflowError):  # never fail an insert over a malformed time
        return at[:10]


async def add(conn: aiosqlite.Connection, tz: ZoneInfo, events: Iterable[Event], *,
              channel: str | None = None) -> None:
    """Log events inside the caller's transaction (the one that changed the state they record).

    `channel`, when given, is the channel of every one of them (else each event's own)."""
    now = utcnow()
    rows = []
    for e in events:
        at = e.at or now
        where = channel or e.channel
        if where not in CHANNELS:
            raise ValueError(f"unknown channel {where!r}")
        rows.append((at, local_day(at, tz), e.kind, e.area_id, e.lang, e.chat_kind, e.guide_id,
                     e.detail, e.active, where))
    if rows:
        await conn.executemany(
            "INSERT INTO events "
            "(at, day, kind, area_id, lang, chat_kind, guide_id, detail, active, channel) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def log(
    db: Database,
    kind: str,
    *,
    area_id: str | None = None,
    lang: str | None = None,
    chat_kind: str | None = None,
    guide_id: str | None = None,
    detail: str | None = None,
    active: int = 0,
    channel: str = "telegram",
) -> None:
    """One event that changes no state of ours (a guide view, a question): its own transaction."""
    event = Event(kind, area_id, lang, chat_kind, guide_id, detail, active, channel=channel)
    async with db.transaction() as conn:
        await add(conn, db.tz, [event])


async def recount(db: Database, tz: ZoneInfo) -> tuple[int, int]:
    """Every event's local day and the daily roll-up, counted again in `tz`, in one transaction.

    Only ever run on purpose (`sansang db recount`, or once when migration 0007 adds the day
    column). Returns (events whose day changed, rows of the roll-up).
    """
    changed = 0
    async with db.transaction() as conn:
        last = -1
        while True:  # in chunks, so a year of a city's events never sits in memory at once
            async with conn.execute(
                "SELECT id, at, day FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (last, RECOUNT_CHUNK),
            ) as cur:
                rows = list(await cur.fetchall())
            if not rows:
                break
            last = rows[-1]["id"]
            days = [(local_day(r["at"] or "", tz), r["id"]) for r in rows]
            moved = [(day, id_) for (day, id_), r in zip(days, rows, strict=True)
                     if day != r["day"]]
            await conn.executemany("UPDATE events SET day = ? WHERE id = ?", moved)
            changed += len(moved)
        await conn.execute("DELETE FROM event_days")
        await conn.execute(
            "INSERT INTO event_days (kind, day, area_id, chat_kind, topic, n, active) "
            "SELECT kind, day, area_id, chat_kind, topic, COUNT(*), SUM(active) "
            "FROM event_day_keys GROUP BY kind, day, area_id, chat_kind, topic"
        )
        await conn.execute(
            "INSERT INTO settings (key, value) VALUES ('rollup_zone', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(tz),),
        )
        async with conn.execute("SELECT COUNT(*) FROM event_days") as cur:
            total = await cur.fetchone()
    return changed, int(total[0]) if total else 0


async def counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT kind, COUNT(*) AS n FROM events GROUP BY kind")
    return {r["kind"]: r["n"] for r in rows}
