"""The `sansang` command line (also `python -m bot`): run the bot, manage its database and data.

It works on the same SANSANG_DB as a running bot; the bot picks changes up within 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot import logs
from bot.config import Config, load_dotenv
from bot.errors import SansangError

logger = logging.getLogger("bot.cli.sansang")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# bot.broadcasts.broadcasts.RECIPIENT_KINDS (tests check they agree), without importing it here.
RECIPIENT_KINDS = ("household", "school", "market", "office", "residential", "other")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sansang",
        description="Sẵn sàng: the disaster-preparedness Telegram bot of Lê Chân ward.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot (long polling); needs TELEGRAM_BOT_TOKEN")
    sub.add_parser("shell", help="chat with the bot in this terminal: no token, no Telegram")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("migrate", help="apply pending migrations from db/migrations")
    db_sub.add_parser(
        "recount", help="count the outreach log's local days again in SANSANG_TIMEZONE"
    )
    areas = sub.add_parser("areas", help="list the areas: <area_id> TAB <display name>")
    areas.add_argument("--qr", metavar="DIR", help="write one printable QR code (SVG) per area")
    areas.add_argument(
        "--bot-username", metavar="NAME", help="the bot's username for the links (else getMe)"
    )
    staff = sub.add_parser("staff", help="ward staff and lead-office roles")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = staff_sub.add_parser("add", help="give a Telegram user a role")
    add.add_argument("user_id", type=_user_id, metavar="USER_ID")
    add.add_argument("--role", choices=("staff", "lead"), required=True)
    remove = staff_sub.add_parser("remove", help="take a user's role away")
    remove.add_argument("user_id", type=_user_id, metavar="USER_ID")
    staff_sub.add_parser("list", help="list roles: <user_id> TAB <role> TAB <source> TAB <since>")
    bc = sub.add_parser("broadcast", help="warnings to subscribed neighbourhoods and groups")
    bc_sub = bc.add_subparsers(dest="broadcast_command", required=True, metavar="ACTION")
    create = bc_sub.add_parser(
        "create", help="schedule a broadcast; the last line printed is its id"
    )
    target = create.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", action="append", metavar="AREA_ID",
                        help="an area or group id (repeat for several; see: sansang areas)")
    target.add_argument("--all", action="store_true", help="every subscribed chat")
    create.add_argument("--text", required=True, help="the Vietnamese text, sent as written")
    create.add_argument("--text-en", help="the English text for chats in English")
    create.add_argument("--at", metavar="YYYY-MM-DDTHH:MM",
                        help="local time (SANSANG_TIMEZONE) to send; default now")
    create.add_argument("--urgent", action="store_true",
                        help="goes before normal broadcasts and always rings, even at night")
    create.add_argument("--kind", action="append", choices=RECIPIENT_KINDS, metavar="KIND",
                        help="only these recipients (repeat for several): "
                             f"{', '.join(RECIPIENT_KINDS)}; a group whose kind is not set yet "
                             "counts as other; default every kind")
    bc_sub.add_parser("list", help="one broadcast a line: id, status, time, target, progress, "
                                   "text, kinds")
    show = bc_sub.add_parser("show", help="one broadcast's details and delivery counts")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="as JSON")
    cancel = bc_sub.add_parser("cancel", help="cancel a scheduled (or sending) broadcast")
    cancel.add_argument("id", type=int, metavar="ID")
    camp = sub.add_parser("campaign", help="seasonal campaigns from broadcasts/")
    camp_sub = camp.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")
    camp_sub.add_parser("list", help="<key> TAB <active|paused> TAB <next send, local> TAB <name>")
    for action in ("pause", "resume"):
        p = camp_sub.add_parser(action, help=f"{action} a campaign (audited)")
        p.add_argument("key", metavar="KEY")
    export = sub.add_parser("export", help="the outreach report for a period (aggregates only)")
    period = export.add_mutually_exclusive_group(required=True)
    period.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="first day (with --to)")
    period.add_argument("--month", metavar="YYYY-MM")
    period.add_argument("--quarter", metavar="YYYY-Qn")
    period.add_argument("--year", metavar="YYYY")
    export.add_argument("--to", metavar="YYYY-MM-DD", help="last day (with --from)")
    export.add_argument("--format", choices=("csv", "xlsx", "docx", "geojson"), required=True)
    export.add_argument("--out", required=True, metavar="PATH")
    from bot.cli import floods

    floods.add_parser(sub)
    sub.add_parser("groups", help="subscribed groups: <area_id> TAB <kind> TAB <members> TAB "
                                  "<since> (members from Telegram, cached a day; ? if unknown)")
    content = sub.add_parser("content", help="the guide library and the ward's data")
    content_sub = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    check = content_sub.add_parser(
        "check", help="validate every file under content/; exit 1 listing each problem"
    )
    check.add_argument("--coverage", action="store_true", help="also print guides per hazard")
    return parser


def _user_id(value: str) -> int:
    if not value.isdigit() or len(value) > 20:
        raise argparse.ArgumentTypeError(f"{value!r} is not a Telegram user id (e.g. 123456789)")
    return int(value)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    load_dotenv()
    try:
        if args.command == "run":
            return _run()
        logs.setup(logging.WARNING)
        if args.command == "shell":
            from bot.cli.shell import main as shell_main

            return shell_main()
        from bot.cli import admin

        return asyncio.run(admin.dispatch(args))
    except SansangError as exc:
        print(f"sansang: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


def _run() -> int:
    config = Config.from_env()
    logs.setup(logging.INFO, secrets=(config.token,))
    from telegram.error import InvalidToken, NetworkError

    from bot.channels.telegram.app import build_application, serve

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(build_application(config), stop)

    try:
        asyncio.run(go())
    except InvalidToken:
        logger.error(
            "the Bot API at %s refused TELEGRAM_BOT_TOKEN: check it with @BotFather",
            config.api_url,
        )
        return EXIT_FAILED
    except NetworkError as exc:
        logger.error("cannot reach the Bot API at %s: %s", config.api_url, exc)
        return EXIT_FAILED
    except SansangError as exc:
        logger.error("%s", exc)
        return EXIT_FAILED
    except Exception:
        logger.exception("the bot stopped on an unexpected error")
        return EXIT_FAILED
    return EXIT_OK
