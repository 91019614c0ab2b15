"""The CLI's database commands: migrations, areas and their QR codes, staff roles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.areas import AreaCatalog
from bot.config import Config
from bot.roles import Roles
from bot.store import Database, events


async def dispatch(args: argparse.Namespace) -> int:
    config = Config.from_env(require_token=False)
    if args.command == "areas":
        return await areas(config, args.qr, args.bot_username)
    if args.command == "content":
        from bot import content_check

        return content_check.run(config.content_dir, args.coverage)
    db = await Database.open(config.db_path, tz=config.tz, migrate=False)
    try:
        if args.command == "db" and args.db_command == "recount":
            return await recount(db)
        if args.command == "db":
            done = await db.migrate()
            print("\n".join(done) if done else "database is up to date")
            return 0
        await db.migrate()
        if args.command == "broadcast":
            from bot import broadcast_cli

            return await broadcast_cli.dispatch(config, db, args)
        if args.command == "export":
            return await export(config, db, args)
        if args.command == "campaign":
            from bot import broadcast_cli

            return await broadcast_cli.campaigns(config, db, args)
        return await staff(db, args)
    finally:
        await db.close()


async def recount(db: Database) -> int:
    """`sansang db recount`: after SANSANG_TIMEZONE changed, every day in the new zone."""
    await db.migrate()
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
    from bot.qrcodes import write_area_codes

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


async def export(config: Config, db: Database, args: argparse.Namespace) -> int:
    from bot import export as exporter
    from bot import stats

    try:
        period = stats.Period.parse(from_=args.from_, to=args.to, month=args.month,
                                    quarter=args.quarter, year=args.year)
    except ValueError as exc:
        print(f"sansang: {exc}", file=sys.stderr)
        return 2
    if args.format == "geojson":
        print("sansang: --format geojson (flood reports) is not available yet; use csv or xlsx",
              file=sys.stderr)
        return 2
    report = await stats.report(db, AreaCatalog.load(config.content_dir / "areas.toml"), period)
    out = Path(args.out)
    try:
        exporter.write(report, args.format, out)
    except OSError as exc:
        print(f"sansang: cannot write --out {out}: {exc.strerror or exc}. Give a file path in a "
              f"writable folder, e.g. --out bao-cao.{args.format}", file=sys.stderr)
        return 1
    print(out)
    return 0
