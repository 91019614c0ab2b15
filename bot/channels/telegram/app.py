"""The Telegram application: one place wires every handler; services open in post_init.

`running()` starts and stops it the same way for `sansang run`, `sansang shell` and the tests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.channels.telegram import sender as telegram_delivery
from bot.channels.telegram import weather_jobs
from bot.channels.telegram.handlers import (
    broadcast,
    buttons,
    fallback,
    flood_reports,
    flood_staff,
    group_kinds,
    groups,
    guides,
    info,
    menus,
    onboarding,
    privacy,
    reports,
    scheduled,
    staff,
    weather,
    weather_edit,
)
from bot.channels.telegram.rate_limits import ReplyLimiter, bot_budget
from bot.channels.telegram.update_processor import PerChatUpdateProcessor
from bot.config import Config
from bot.services import Services

logger = logging.getLogger(__name__)

SCOPE_SYNC_SECONDS = 10


def build_application(config: Config) -> Application:  # type: ignore[type-arg]
    """Build the bot with every handler, in priority order."""
    # Replies and broadcasts share the bot's one budget; replies go first, 429s are waited out.
    budget = bot_budget(config.broadcast_rate, config.paid_broadcast)
    app = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=config.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # One chat's updates in order, different chats at once; slow work runs as jobs.
        .concurrent_updates(PerChatUpdateProcessor())
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
        .get_updates_read_timeout(40)
        .rate_limiter(ReplyLimiter(budget))
        .build()
    )
    app.bot_data["config"] = config
    app.bot_data["budget"] = budget
    private = filters.ChatType.PRIVATE
    # Group 0: commands and buttons. Edited messages are not commands: filters.UpdateType.MESSAGE.
    msg = filters.UpdateType.MESSAGE
    # Flood reports, for everyone: /report in a private chat is a conversation (location, depth,
    # photo and note). First: it also takes /start report (the group answer's link), and what it
    # waits for is not a question. It ends when sent, cancelled, or after 15 minutes idle.
    app.add_handler(flood_reports.conversation())
    app.add_handler(CommandHandler("report", flood_reports.in_group,
                                   filters=msg & filters.ChatType.GROUPS))
    app.add_handler(CommandHandler("start", onboarding.start, filters=msg))
    app.add_handler(CommandHandler("help", info.help_command, filters=msg))
    app.add_handler(CommandHandler("emergency", info.emergency, filters=msg))
    app.add_handler(CommandHandler("guides", guides.guides, filters=msg))
    app.add_handler(CommandHandler("area", onboarding.area, filters=msg))
    app.add_handler(CommandHandler("language", onboarding.language, filters=msg))
    app.add_handler(CommandHandler("subscribe", onboarding.subscribe, filters=msg))
    app.add_handler(CommandHandler("unsubscribe", onboarding.unsubscribe, filters=msg))
    app.add_handler(CommandHandler("mydata", privacy.mydata, filters=msg))
    app.add_handler(CommandHandler("forget", privacy.forget, filters=msg))
    # The forecast and any approved weather warning, for everyone, in private chats and groups.
    app.add_handler(CommandHandler("weather", weather.weather, filters=msg))
    # Lead office: the role is checked inside, on every call.
    app.add_handler(CommandHandler("staff", staff.staff, filters=msg))
    # Ward staff: the role is checked inside, on every call and every button.
    # /broadcast is a conversation, before the question and button handlers: text it waits for
    # is not a question. It ends when sent, with /cancel, or by itself after 15 minutes idle.
    app.add_handler(broadcast.conversation())
    # Editing a weather draft's text is a conversation too (same reasons, same /cancel).
    app.add_handler(weather_edit.conversation())
    app.add_handler(CommandHandler("cancel", broadcast.nothing_to_cancel, filters=msg))
    app.add_handler(CommandHandler("scheduled", scheduled.scheduled, filters=msg))
    app.add_handler(CommandHandler("stats", reports.stats_command, filters=msg))
    # Ward staff: this month's worst flooding points and their map file.
    app.add_handler(CommandHandler("points", flood_staff.points, filters=msg))
    # Lead office: the outreach workbook.
    app.add_handler(CommandHandler("export", reports.export_command, filters=msg))
    # Every button press, data parsed against a whitelist inside.
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    # The bot added to / removed from a group, or blocked by a resident.
    app.add_handler(ChatMemberHandler(groups.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.migrated))
    # Anything else in a private chat: unknown commands, free text (questions), other media.
    app.add_handler(MessageHandler(msg & private & filters.COMMAND, fallback.unknown_command))
    # Free text in a private chat is a question.
    app.add_handler(MessageHandler(msg & private & filters.TEXT, guides.question))
    # In a group, a message naming the bot or answering it is a question.
    app.add_handler(MessageHandler(
        msg & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND
        & (filters.Entity("mention") | filters.REPLY),
        guides.group_question,
    ))
    # A location outside /report: how to report flooding there.
    app.add_handler(MessageHandler(msg & private & filters.LOCATION,
                                   flood_reports.location_outside))
    app.add_handler(
        MessageHandler(
            msg & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, fallback.not_text
        )
    )
    # Group 1, after a command's answer: a group subscribed before group kinds existed is asked
    # its kind once, at the next command it sends us (never from a broadcast, never in a burst).
    app.add_handler(
        MessageHandler(msg & filters.ChatType.GROUPS & filters.COMMAND, group_kinds.ask_once),
        group=1,
    )
    app.add_error_handler(fallback.on_error)
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    config: Config = app.bot_data["config"]
    services = await Services.open(config)
    app.bot_data["services"] = services
    try:
        await menus.set_default_menus(app)
        await menus.sync_scopes(app)
    except Exception:
        # Menus are a convenience: a failing API must not keep the bot from answering.
        logger.warning("could not set the command menus; will retry", exc_info=True)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            menus.sync_scopes_job, interval=SCOPE_SYNC_SECONDS, first=SCOPE_SYNC_SECONDS,
            name="sync-menus", job_kwargs={"misfire_grace_time": SCOPE_SYNC_SECONDS},
        )
    await telegram_delivery.start(app)  # sets the notices' sink: outage notices reach staff
    if config.zalo:
        # The Zalo channel (SANSANG_ZALO=on): its webhook, tokens and delivery worker. A flood
        # report made on Zalo reaches staff here, as the /report ones do.
        from bot.channels.zalo import app as zalo_app

        zalo = await zalo_app.start(
            services, config, functools.partial(flood_staff.send_copies, app))
        app.bot_data["zalo"] = zalo
        # A broadcast the scheduler starts (due, "send now", an approved warning) wakes the
        # Zalo worker too, not only Telegram's: its rows go out at once, not at its next poll.
        app.bot_data["scheduler"].also_wake(zalo.delivery.wake)
    if services.weather is not None:
        # Forecast polls (first a second after start) and reminders of undecided drafts.
        weather_jobs.schedule(app, config.weather_interval)
    logger.info("ready: %d areas, database %s", len(services.areas.areas), config.db_path)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    zalo = app.bot_data.pop("zalo", None)
    if zalo is not None:
        await zalo.stop()
    await telegram_delivery.stop(app)
    services: Services | None = app.bot_data.pop("services", None)
    if services is not None:
        await services.close()


@asynccontextmanager
async def running(
    app: Application, *, poll_timeout: int = 30  # type: ignore[type-arg]
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Initialise, open services, poll for updates; on exit stop everything in order."""
    await app.initialize()
    try:
        await _post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=poll_timeout,
            poll_interval=0.0,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await _post_shutdown(app)
        await app.shutdown()


async def serve(app: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Run until `stop` is set (SIGTERM, Ctrl-C)."""
    async with running(app):
        logger.info("polling for updates")
        await stop.wait()
        logger.info("stopping")
