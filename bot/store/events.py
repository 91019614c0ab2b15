"""The anonymous outreach log: what happened, when, where and in which language; never who."""

from __future__ import annotations

from bot.store.database import Database, utcnow


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
) -> None:
    """`active`: how this event changed the number of chats receiving warnings (subscribed
    and not blocked): +1, -1 or 0. The report's "active at the period's end" is its sum."""
    await db.execute(
        "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail, active) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (utcnow(), kind, area_id, lang, chat_kind, guide_id, detail, active),
    )


async def counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT kind, COUNT(*) AS n FROM events GROUP BY kind")
    return {r["kind"]: r["n"] for r in rows}
