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
) -> None:
    await db.execute(
        "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (utcnow(), kind, area_id, lang, chat_kind, guide_id, detail),
    )


async def counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT kind, COUNT(*) AS n FROM events GROUP BY kind")
    return {r["kind"]: r["n"] for r in rows}
