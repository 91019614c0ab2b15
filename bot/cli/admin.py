"""The CLI's database commands: migrations, areas and their QR codes, staff roles."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Config
from bot.roles import Roles
from bot.store import Database, events
from bot.subscriptions.areas import AreaCatalog

# Never migrate or recount. (`export` reads too, but its report needs today's schema: on a
# database that needs migrating it is refused with the command to run, like a write.)
READ_ONLY = {("staff", "list"), ("broadcast", "list"), ("broadcast", "show"),
             ("campaign", "list"), ("cap", None), ("reports", None)}
MIGRATE_HINT = "run: sansang db migrate"


def _action(args: argparse.Namespace) -> tuple[str, str | None]:
    sub = getattr(args, f"{args.command}_command", None)
    return args.command, sub


async def dispatch(args: argparse.Namespace) -> int:
    config = Config.from_env(require_token=False)
    if args.command == "areas":
        return await areas(config, args.qr, args.bot_username)
    if args.command == "content":
        from bot.guides import content_check

        return content_check.run(config.content_dir, args.coverage,
                                 campaigns_dir=config.campaigns_dir, db_path=config.db_path)
    if args.command == "db":
        db = await Database.open(config.db_path, tz=config.tz, migrate=False)
        try:
            if args.db_command == "recount":
                return await recount(config, db)
            done = await db.migrate()
        finally:
            await db.close()
        print("\n".join(done) if done else "database is up to date")
        return 0
    if args.command == "export" and (wrong := export_usage(args)) is not None:
        print(f"sansang: {wrong}", file=sys.stderr)
        return 2
    if args.command == "reports":
        from bot.cli import floods

        if (wrong := floods.usage(args)) is not None:
            print(f"sansang: {wrong}", file=sys.stderr)
            return 2
    if _action(args) in READ_ONLY:
        return await _read(config, args)
    db = await Database.open(config.db_path, tz=config.tz, migrate=False)
    try:
        pending = await db.pending_migrations()
        fresh = bool(pending) and pending[0].startswith("0001_")  # nothing applied yet
        if pending and not fresh:
            # A running bot of the older version may use it: migrating is a deliberate step.
            print(f"sansang: the database {config.db_path} needs migrating "
                  f"({', '.join(pending)}); {MIGRATE_HINT}", file=sys.stderr)
            return 2
        if pending:
            await db.migrate()  # a new, empty file: creating it is not migrating it
        return await _run(config, db, args)
    finally:
        await db.close()


async def _read(config: Config, args: argparse.Namespace) -> int:
    """A command that only reads: never migrates or recounts. On a database that needs
    migrating it works if it can, else it says what to run."""
    if not config.db_path.is_file():
        print(f"sansang: there is no database at {config.db_path} (SANSANG_DB); create it with: "
              "sansang db migrate", file=sys.stderr)
        return 2
    db = await Database.open(config.db_path, tz=config.tz, migrate=False, read_only=True)
    try:
        try:
            return await _run(config, db, args)
        except sqlite3.OperationalError as exc:
            pending = await db.pending_migrations()
            if not pending:
                raise
            print(f"sansang: the database {config.db_path} needs migrating "
                  f"({', '.join(pending)}) for this: {exc}; {MIGRATE_HINT}", file=sys.stderr)
            return 2
    finally:
        await db.close()


async def _run(config: Config, db: Database, args: argparse.Namespace) -> int:
    if args.command == "broadcast":
        from bot.cli import broadcasts as broadcast_cli

        return await broadcast_cli.dispatch(config, db, args)
    if args.command == "export":
        return await export(config, db, args)
    if args.command == "campaign":
        from bot.cli import broadcasts as broadcast_cli

        return await broadcast_cli.campaigns(config, db, args)
    if args.command == "reports":
        from bot.cli import floods

        return await floods.run(config, db, args)
    if args.command == "groups":
        from bot.cli import groups

        return await groups.run(config, db)
    if args.command == "cap":
        from bot.cli import cap

        return await cap.run(config, db, Path(args.out))
    return await staff(db, args)


async def recount(config: Config, db: Database) -> int:
    """`sansang db recount`: after SANSANG_TIMEZONE changed, every day in the new zone."""
    pending = await db.pending_migrations()
    if pending:
        print(f"sansang: the database {config.db_path} needs migrating "
              f"({', '.join(pending)}); {MIGRATE_HINT}", file=sys.stderr)
        return 2
    changed, rows = await events.recount(db, db.tz)
    print(f"outreach log counted in {db.tz}: {changed} events moved to another day, "
          f"{rows} daily counts")
    return 0


async def areas(config: Config, qr_dir: str | None, username: str | None) -> int:
    catalog = AreaCatalog.load(config.content_dir / "areas.toml")
    if qr_dir is None:
        for area in catalog.areas:
            print(f"{area.id}\t{area.name_vi}")
        return 0
    from bot.subscriptions.qrcodes import write_area_codes

    if not username:
        username = await _bot_username(config)
    for path in write_area_codes(catalog, username, Path(qr_dir)):
        print(path)
    return 0


async def _bot_username(config: Config) -> str:
    from telegram import Bot

    from bot.errors import ConfigError

    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise ConfigError(
            "--qr needs the bot's username: give --bot-username NAME, or set "
            "TELEGRAM_BOT_TOKEN so it can be asked from Telegram (getMe)."
        ) from exc
    async with Bot(config.token, base_url=config.base_url) as bot:
        return bot.username


async def staff(db: Database, args: argparse.Namespace) -> int:
    roles = Roles(db)
    if args.staff_command == "add":
        await roles.add(args.user_id, args.role, actor="cli", source="cli")
        print(f"{args.user_id}\t{args.role}")
        return 0
    if args.staff_command == "remove":
        had = await roles.remove(args.user_id, actor="cli")
        if had is None:
            print(f"sansang: user {args.user_id} has no role", file=sys.stderr)
            return 1
        print(f"{args.user_id}\tremoved ({had})")
        return 0
    for r in await roles.list():
        print(f"{r.user_id}\t{r.role}\t{r.source}\t{r.added_at}")
    return 0


def export_usage(args: argparse.Namespace) -> str | None:
    """What is wrong with the export's arguments, before any database is opened."""
    from bot.reports import stats

    try:
        stats.Period.parse(from_=args.from_, to=args.to, month=args.month,
                           quarter=args.quarter, year=args.year)
    except ValueError as exc:
        return str(exc)
    return None


async def export(config: Config, db: Database, args: argparse.Namespace) -> int:
    from bot.reports import export as exporter
    from bot.reports import stats

    period = stats.Period.parse(from_=args.from_, to=args.to, month=args.month,
                                quarter=args.quarter, year=args.year)
    settings = None
    if args.format == "docx":  # a bad report.toml is named before any counting
        from bot.reports import docx

        settings = docx.load_settings(config.content_dir / docx.SETTINGS_FILE)
    areas = AreaCatalog.load(config.content_dir / "areas.toml")
    out = Path(args.out)
    geojson_data = None
    if args.format == "geojson":  # the period's flood reports and points, for GIS tools
        from bot.floods import geojson
        from bot.floods.reports import FloodReports

        start, end = period.utc_bounds(config.tz)
        geojson_data = await geojson.for_period(FloodReports(db, areas), start, end, config.tz)
    else:
        report = await stats.report(db, areas, period)
    try:
        if geojson_data is not None:
            exporter.write_whole(geojson_data, out)
        elif settings is not None:
            docx.write(report, settings, out, datetime.now(config.tz).date())
        else:
            exporter.write(report, args.format, out)
    except OSError as exc:
        print(f"sansang: cannot write --out {out}: {exc.strerror or exc}. Give a file path in a "
              f"writable folder, e.g. --out bao-cao.{args.format}", file=sys.stderr)
        return 1
    print(out)
    return 0
