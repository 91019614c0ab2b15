"""Migrations: ordered, recorded, forward-only; an older database keeps its rows."""

from pathlib import Path

import pytest

from bot.errors import MigrationError
from bot.paths import data_dir
from bot.store import Database

MIGRATIONS = sorted((data_dir("db") / "migrations").glob("*.sql"))


async def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    assert len(MIGRATIONS) >= 2
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrate=False)
    await db.migrate(MIGRATIONS[:1])
    await db.execute(
        "INSERT INTO chats (chat_id, kind, lang, area_id, subscribed, created_at, updated_at) "
        "VALUES (?, 'private', 'en', 'an-bien', 1, '2026-01-01', '2026-01-01')",
        (42,),
    )
    await db.execute(
        "INSERT INTO events (at, kind, area_id) VALUES ('2026-01-01', 'subscribe', ?)",
        ("an-bien",),
    )
    await db.close()

    db = await Database.open(path)  # applies the rest, as a start of the bot does
    try:
        assert await db.applied_migrations() == [p.name for p in MIGRATIONS]
        row = await db.fetchone("SELECT lang, area_id, subscribed FROM chats WHERE chat_id = 42")
        assert row is not None and tuple(row) == ("en", "an-bien", 1)
        assert (await db.fetchone("SELECT COUNT(*) FROM events"))[0] == 1  # type: ignore[index]
        assert await db.migrate() == []  # nothing twice
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk is not None and fk[0] == 1
    finally:
        await db.close()


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "9999_broken.sql"
    bad.write_text("CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;\n")
    db = await Database.open(tmp_path / "x.sqlite3", migrate=False)
    try:
        with pytest.raises(MigrationError, match="9999_broken.sql"):
            await db.migrate([*MIGRATIONS, bad])
        assert "9999_broken.sql" not in await db.applied_migrations()
        gone = await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'half_done'")
        assert gone is None
        assert "0001_chats_and_events.sql" in await db.applied_migrations()
    finally:
        await db.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    await db.execute(
        "INSERT INTO schema_migrations (name, applied_at) VALUES ('9000_future.sql', 'now')"
    )
    with pytest.raises(MigrationError, match="newer version"):
        await db.migrate()
    await db.close()
