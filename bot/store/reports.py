"""The outreach report's queries: counts from the daily roll-up, questions and broadcasts from
the log. Each returns plain rows; `bot.reports.stats` turns them into figures.

Pass the connection of `Database.reader()`, so a year's report never queues residents' writes.
"""

from __future__ import annotations

from typing import Any

from bot.store.database import Database


async def active_at(db: Database, last_day: str) -> list[Any]:
    """(area_id, chat_kind, active): chats receiving warnings at the end of `last_day`."""
    return await db.fetchall(
        "SELECT area_id, chat_kind, SUM(active) AS active FROM event_days "
        "WHERE kind IN ('subscribe', 'unsubscribe', 'blocked', 'unblocked', 'group_kind') "
        "AND day <= ? "
        "GROUP BY area_id, chat_kind", (last_day,),
    )


async def counts_by_area_and_month(db: Database, first_day: str, last_day: str) -> list[Any]:
    """(kind, area_id, month YYYY-MM, n, answered) of the kinds counted within a period, between
    two local days (inclusive); `answered` counts the questions that found a guide."""
    return await db.fetchall(
        "SELECT kind, area_id, substr(day, 1, 7) AS month, SUM(n) AS n, "
        "SUM(CASE WHEN topic = 'answered' THEN n ELSE 0 END) AS answered FROM event_days "
        "WHERE kind IN ('subscribe', 'unsubscribe', 'blocked', 'delivery_sent', "
        "'delivery_failed', 'delivery_blocked', 'delivery_unreachable', 'guide_view', "
        "'question') "
        "AND day BETWEEN ? AND ? GROUP BY kind, area_id, month", (first_day, last_day),
    )


async def views_by_topic(db: Database, first_day: str, last_day: str) -> list[Any]:
    """(topic, n): guide views between two local days (inclusive) by the guide's hazard."""
    return await db.fetchall(
        "SELECT topic, SUM(n) AS n FROM event_days WHERE kind = 'guide_view' "
        "AND day BETWEEN ? AND ? GROUP BY topic", (first_day, last_day),
    )


async def unanswered(db: Database, start: str, end: str) -> list[Any]:
    """(detail, n): the text of questions that found no guide, from `start` to before `end`
    (UTC), as stored: rows logged before redaction may still hold a resident's number."""
    return await db.fetchall(
        "SELECT detail, COUNT(*) AS n FROM events WHERE kind = 'question' AND guide_id IS NULL "
        "AND at >= ? AND at < ? AND detail IS NOT NULL GROUP BY detail",
        (start, end),
    )


async def broadcast_events(db: Database, start: str, end: str) -> list[Any]:
    """(area_id, at, detail) of each broadcast event from `start` to before `end` (UTC)."""
    return await db.fetchall(
        "SELECT area_id, at, detail FROM events "
        "WHERE kind = 'broadcast' AND at >= ? AND at < ? ORDER BY at", (start, end),
    )


async def active_changes_by_kind_and_month(db: Database, last_day: str) -> list[Any]:
    """(chat_kind, month YYYY-MM, active): the change in chats receiving warnings per outreach
    kind (private, school, market, ..., group while not set) and local month, up to `last_day`
    (their running sum is the number at each month's end)."""
    return await db.fetchall(
        "SELECT chat_kind, substr(day, 1, 7) AS month, SUM(active) AS active FROM event_days "
        "WHERE kind IN ('subscribe', 'unsubscribe', 'blocked', 'unblocked', 'group_kind') "
        "AND day <= ? GROUP BY chat_kind, month", (last_day,),
    )


async def sent_by_kind_and_month(db: Database, first_day: str, last_day: str) -> list[Any]:
    """(chat_kind, month YYYY-MM, n): broadcast messages delivered per outreach kind and local
    month, between two local days (inclusive)."""
    return await db.fetchall(
        "SELECT chat_kind, substr(day, 1, 7) AS month, SUM(n) AS n FROM event_days "
        "WHERE kind = 'delivery_sent' AND day BETWEEN ? AND ? GROUP BY chat_kind, month",
        (first_day, last_day),
    )


ACTIVE_KINDS = ("subscribe", "unsubscribe", "blocked", "unblocked", "group_kind")


async def zalo_active_at(db: Database, last_day: str) -> list[Any]:
    """(area_id, active): Zalo chats receiving warnings at the end of `last_day` (through the
    events_zalo index, which holds Zalo's events only)."""
    return await db.fetchall(
        "SELECT area_id, SUM(active) AS active FROM events "
        "WHERE channel = 'zalo' AND day <= ? AND kind IN (?, ?, ?, ?, ?) GROUP BY area_id",
        (last_day, *ACTIVE_KINDS),
    )


async def zalo_deliveries(db: Database, first_day: str, last_day: str) -> list[Any]:
    """(kind, area_id, n): Zalo's broadcast messages sent, failed, blocked and unreachable
    between two local days (inclusive)."""
    return await db.fetchall(
        "SELECT kind, area_id, COUNT(*) AS n FROM events "
        "WHERE channel = 'zalo' AND day BETWEEN ? AND ? AND kind IN "
        "('delivery_sent', 'delivery_failed', 'delivery_blocked', 'delivery_unreachable') "
        "GROUP BY kind, area_id", (first_day, last_day),
    )
