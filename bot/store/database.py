"""The one SQLite connection of a process, its pragmas, transactions and migrations.

WAL and a busy timeout let the CLI and the running bot share the file; writes go through
`transaction()`, which serialises them inside the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.errors import MigrationError
from bot.paths import data_dir

logger = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


WARD_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> str:
    """Now in UTC as stored in every table (ISO 8601, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Database:
    """An open SQLite database file."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, tz: ZoneInfo = WARD_ZONE,
                 read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.tz = tz
        self.read_only = read_only
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path | str, *, tz: ZoneInfo = WARD_ZONE, migrate: bool = True,
        read_only: bool = False,
    ) -> Database:
        """Open (and by default migrate) the file.

        `tz` is the ward's zone (SANSANG_TIMEZONE), in which new events get their local day.
        Opening never recounts the days already stored: that is `sansang db recount`.
        `read_only`: the CLI's reading commands; SQLite refuses any write, and nothing is
        written at close either.
        """
        path = Path(path)
        if read_only:
            conn = await aiosqlite.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                           isolation_level=None)
        else:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout = 10000")
        if not read_only:
            await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        db = cls(conn, path, tz, read_only=read_only)
        if migrate and not read_only:
            await db.migrate()
        return db

    async def close(self) -> None:
        try:
            if not self.read_only:
                # SQLite's advice: refresh the planner's statistics when a connection closes.
                await self.conn.execute("PRAGMA optimize")
        finally:
            await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on error; one at a time in this process."""
        async with self._write_lock:
            try:
                # Inside the try: a task cancelled while awaiting BEGIN has still begun (the
                # statement runs in aiosqlite's thread), and must not leave it open.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):  # BEGIN itself failed
                    await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One write statement in its own transaction."""
        async with self.transaction() as conn:
            await conn.execute(sql, params)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Database]:
        """A second connection to the same file that can only read, closed on leaving.

        For long reports: they run on its own thread, so the writes of residents' questions on
        the main connection never queue behind a year's export. All its reads see one snapshot.
        """
        if str(self.path) == ":memory:":  # no second connection can see it
            yield self
            return
        uri = self.path.resolve().as_uri() + "?mode=ro"
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA busy_timeout = 10000")
            await conn.execute("PRAGMA query_only = ON")
            await conn.execute("BEGIN")
            await conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # the snapshot starts here
            try:
                yield Database(conn, self.path, self.tz)
            finally:
                await conn.execute("ROLLBACK")
        finally:
            await conn.close()

    async def applied_migrations(self) -> list[str]:
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        rows = await self.fetchall("SELECT name FROM schema_migrations ORDER BY name")
        return [r["name"] for r in rows]

    async def pending_migrations(self) -> list[str]:
        """The shipped migrations not applied yet, found without writing anything (the CLI's
        read-only commands ask this; `applied_migrations` creates its table)."""
        shipped = sorted(p.name for p in (data_dir("db") / "migrations").glob("*.sql"))
        if await self.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ) is None:
            return shipped
        applied = {r[0] for r in await self.fetchall("SELECT name FROM schema_migrations")}
        unknown = sorted(applied - set(shipped))
        if unknown:
            raise MigrationError(
                f"database {self.path} has migrations this version does not know: "
                f"{', '.join(unknown)} (was it made by a newer version?)"
            )
        return [name for name in shipped if name not in applied]

    async def migrate(self, files: Iterable[Path] | None = None) -> list[str]:
        """Apply the migrations not yet recorded, in order, each in one transaction."""
        folder = data_dir("db") / "migrations"
        shipped = list(folder.glob("*.sql"))
        if files is None:
            if not shipped:  # never "up to date" with no schema at all
                raise MigrationError(f"no migrations in {folder}: this copy of sansang is "
                                     "incomplete; reinstall it (pip install .)")
            files = shipped
        paths = sorted(files, key=lambda p: p.name)
        for p in paths:
            if not MIGRATION_NAME.match(p.name):
                raise MigrationError(f"{p}: migration files are named NNNN_snake_case.sql")
        applied = set(await self.applied_migrations())
        known = {p.name for p in paths}
        unknown = sorted(applied - known)
        if unknown:
            raise MigrationError(
                f"database {self.path} has migrations this version does not know: "
                f"{', '.join(unknown)} (was it made by a newer version?)"
            )
        done = []
        for p in paths:
            if p.name in applied:
                continue
            sql = p.read_text(encoding="utf-8")
            async with self._write_lock:
                try:
                    # The script opens the transaction and leaves it open; the record and
                    # COMMIT follow, so a file applies whole or not at all.
                    await self.conn.executescript("BEGIN IMMEDIATE;\n" + sql)
                    await self.conn.execute(
                        "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                        (p.name, utcnow()),
                    )
                    await self.conn.execute("COMMIT")
                except Exception as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise MigrationError(f"migration {p.name} failed: {exc}") from exc
            logger.info("applied migration %s", p.name)
            done.append(p.name)
        if {p.name for p in shipped} <= set(await self.applied_migrations()):
            await self._refill_event_days()  # it needs today's whole schema
            await self._redact_old_questions()
        return done

    async def _redact_old_questions(self) -> None:
        """Once per database: blank the contacts in unanswered questions stored before
        redaction existed, so residents' phone numbers do not stay in the file."""
        if await self.fetchone(
            "SELECT 1 FROM settings WHERE key = 'questions_redacted'"
        ) is not None:
            return
        from bot.redact import redact_contacts  # a pure function: no layer above is reached

        async with self.transaction() as conn:
            async with conn.execute(  # again inside: another process may have done it meanwhile
                "SELECT 1 FROM settings WHERE key = 'questions_redacted'"
            ) as cur:
                if await cur.fetchone() is not None:
                    return
            async with conn.execute(
                "SELECT id, detail FROM events "
                "WHERE kind = 'question' AND guide_id IS NULL AND detail IS NOT NULL"
            ) as cur:
                rows = list(await cur.fetchall())
            changed = [(clean, r["id"]) for r in rows
                       if (clean := redact_contacts(r["detail"])) != r["detail"]]
            await conn.executemany("UPDATE events SET detail = ? WHERE id = ?", changed)
            await conn.execute(
                "INSERT INTO settings (key, value) VALUES ('questions_redacted', ?)", (utcnow(),)
            )
        if changed:
            logger.info("blanked contacts in %d stored questions", len(changed))

    async def _refill_event_days(self) -> None:
        """Fill the events' local days and the roll-up once, when a migration asks for it.

        Migration 0007 (the day column) removes settings.rollup_zone: the days then are counted
        in this process's zone, the one that migrates. Afterwards a zone is never changed
        implicitly; `sansang db recount` does it on purpose.
        """
        if await self.fetchone("SELECT 1 FROM sqlite_master WHERE name = 'event_days'") is None:
            return
        if await self.fetchone("SELECT 1 FROM settings WHERE key = 'rollup_zone'") is not None:
            return
        from bot.store import events

        changed, _rows = await events.recount(self, self.tz)
        if changed:
            logger.info("outreach log: %d local days filled in %s", changed, self.tz)
