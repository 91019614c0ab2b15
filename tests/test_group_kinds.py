"""Issue 12: a group says what kind of group it is (school, market, ...).

Migration 0009 keeps every chat, subscription and count of an older database; a change of kind
logs two events in its own transaction so the per-kind active counts stay right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.paths import data_dir
from bot.reports import stats
from bot.store import Database
from bot.store.chats import chat_kind
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions

MIGRATIONS = sorted((data_dir("db") / "migrations").glob("*.sql"))
AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")
PERIOD = stats.Period.parse(month="2026-11")


def test_chat_kind_is_the_finer_kind() -> None:
    assert chat_kind("private") == "private"
    assert chat_kind("private", "school") == "private"
    assert chat_kind("group") == "group"
    assert chat_kind("supergroup", None) == "group"
    assert chat_kind("supergroup", "market") == "market"
    assert chat_kind("market") == "market"  # an outbox row's kind, already fine


async def _counts(db: Database) -> tuple[dict[str, tuple[int, int]], list[tuple[object, ...]]]:
    report = await stats.report(db, AREAS, PERIOD)
    per_area = {f.area_id: (f.households_active, f.groups_active) for f in report.areas
                if f.subscribers_active}
    rows = await db.fetchall("SELECT kind, day, area_id, chat_kind, topic, n, active "
                             "FROM event_days ORDER BY 1, 2, 3, 4, 5")
    return per_area, [tuple(r) for r in rows]


async def test_a_database_from_before_0009_keeps_its_subscriptions_and_counts(
    tmp_path: Path,
) -> None:
    before = [p for p in MIGRATIONS if p.name < "0009"]
    assert before and before[-1].name.startswith("0008")
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    await db.migrate(before)
    chats = [  # chat_id, kind, area, subscribed, blocked, title
        (1, "private", "an-bien", 1, 0, None),
        (2, "private", "an-bien", 1, 1, None),
        (3, "private", "lam-son", 0, 0, None),
        (-100, "group", "an-bien", 1, 0, "Chợ Cột Đèn"),
        (-1001, "supergroup", "lam-son", 1, 0, "Trường THCS"),
    ]
    for chat_id, kind, area, sub, blocked, title in chats:
        await db.execute(
            "INSERT INTO chats (chat_id, kind, lang, area_id, subscribed, blocked, title, "
            "created_at, updated_at) VALUES (?, ?, 'vi', ?, ?, ?, ?, '2026-11-02T01:00:00+00:00', "
            "'2026-11-02T01:00:00+00:00')", (chat_id, kind, area, sub, blocked, title))
    old_events = [  # kind, area, chat_kind, active
        ("subscribe", "an-bien", "private", 1), ("subscribe", "an-bien", "private", 1),
        ("blocked", "an-bien", "private", -1), ("subscribe", "lam-son", "private", 1),
        ("unsubscribe", "lam-son", "private", -1), ("subscribe", "an-bien", "group", 1),
        ("subscribe", "lam-son", "group", 1), ("delivery_sent", "an-bien", "group", 0),
    ]
    for i, (kind, area, ck, active) in enumerate(old_events):
        await db.execute(
            "INSERT INTO events (at, day, kind, area_id, chat_kind, active) "
            "VALUES (?, '2026-11-05', ?, ?, ?, ?)",
            (f"2026-11-05T0{i}:00:00+00:00", kind, area, ck, active))
    counts_before = await _counts(db)
    subs_before = await db.fetchall(
        "SELECT chat_id, kind, lang, area_id, subscribed, blocked, title FROM chats ORDER BY 1")
    await db.close()

    db = await Database.open(path)  # applies 0009, as the bot's next start does
    try:
        assert await db.applied_migrations() == [p.name for p in MIGRATIONS]
        subs_after = await db.fetchall(
            "SELECT chat_id, kind, lang, area_id, subscribed, blocked, title FROM chats "
            "ORDER BY 1")
        assert [tuple(r) for r in subs_after] == [tuple(r) for r in subs_before]
        assert await _counts(db) == counts_before
        assert counts_before[0] == {"an-bien": (1, 1), "lam-son": (0, 1)}
        new = await db.fetchall("SELECT group_kind, kind_asked, members, members_at FROM chats")
        assert {tuple(r) for r in new} == {(None, 0, None, None)}
        assert (await db.fetchone("SELECT COUNT(*) FROM events"))[0] == len(old_events)  # type: ignore[index]
        assert (await db.fetchone("SELECT kinds FROM broadcasts LIMIT 1")) is None

        # A group of before the change says it is a market: the counts move to "market".
        subs = Subscriptions(db, AREAS)
        row = await subs.set_group_kind(-100, "market")
        assert row.group_kind == "market" and row.subscribed
        active = await db.fetchall(
            "SELECT chat_kind, SUM(active) FROM event_days WHERE area_id = 'an-bien' "
            "AND kind IN ('subscribe', 'unsubscribe', 'blocked', 'unblocked', 'group_kind') "
            "GROUP BY chat_kind ORDER BY 1")
        assert [tuple(r) for r in active] == [("group", 0), ("market", 1), ("private", 1)]
        per_area, _ = await _counts(db)
        assert per_area == {"an-bien": (1, 1), "lam-son": (0, 1)}  # groups still groups
    finally:
        await db.close()


async def test_set_group_kind_logs_two_events_and_nothing_when_unchanged(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    subs = Subscriptions(db, AREAS)
    try:
        await subs.ensure(-5, "supergroup", "vi", "Chợ")
        await subs.subscribe(-5, "an-bien")
        await subs.set_group_kind(-5, "school")
        await subs.set_group_kind(-5, "school")  # the same again: no event
        await subs.set_group_kind(-5, "market")
        logged = await db.fetchall(
            "SELECT kind, chat_kind, active FROM events ORDER BY id")
        assert [tuple(r) for r in logged] == [
            ("subscribe", "group", 1),
            ("group_kind", "group", -1), ("group_kind", "school", 1),
            ("group_kind", "school", -1), ("group_kind", "market", 1),
        ]
        await subs.unsubscribe(-5)
        last = await db.fetchone("SELECT chat_kind, active FROM events ORDER BY id DESC LIMIT 1")
        assert last is not None and tuple(last) == ("market", -1)
        # Not receiving warnings: the kind changes, no active count moves.
        await subs.set_group_kind(-5, "office")
        moved = await db.fetchall(
            "SELECT chat_kind, active FROM events WHERE kind = 'group_kind' ORDER BY id DESC "
            "LIMIT 2")
        assert [tuple(r) for r in moved] == [("office", 0), ("market", 0)]

        with pytest.raises(ValueError, match="choose from"):
            await subs.set_group_kind(-5, "church")
        await subs.ensure(7, "private", "vi")
        with pytest.raises(ValueError, match="private"):
            await subs.set_group_kind(7, "school")
    finally:
        await db.close()
