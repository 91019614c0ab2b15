"""The Telegram side of broadcasts: sending through a Bot of their own, and telling staff.

Broadcasts use a separate Bot (and HTTP connection pool) from the handlers, so residents' own
questions are answered at once even while thousands of messages go out.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes

from bot.broadcasts.broadcasts import Broadcast, Counts
from bot.broadcasts.delivery import Delivery, Outcome, SendResult, in_flight_for
from bot.broadcasts.scheduling import RECONCILE_SECONDS, Scheduler
from bot.channels.telegram.aiohttp_request import AiohttpRequest
from bot.i18n import date_time, gettext, number
from bot.notices import Notice
from bot.services import Services

logger = logging.getLogger(__name__)


class TelegramSender:
    def __init__(self, bot: Bot, paid: bool) -> None:
        self.bot = bot
        self.paid = paid

    async def send(self, chat_id: int, text: str, *, silent: bool) -> SendResult:
        try:
            await self.bot.send_message(
                chat_id, text, parse_mode="HTML", disable_notification=silent,
                allow_paid_broadcast=True if self.paid else None,
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return SendResult(Outcome.RETRY_AFTER, retry_after=seconds)
        except Forbidden as exc:
            return SendResult(Outcome.BLOCKED, reason=str(exc))
        except ChatMigrated as exc:
            return SendResult(Outcome.MIGRATED, new_chat_id=exc.new_chat_id)
        except BadRequest as exc:
            return SendResult(Outcome.PERMANENT, reason=str(exc))
        except (TimedOut, NetworkError) as exc:
            return SendResult(Outcome.TRANSIENT, reason=str(exc) or type(exc).__name__)
        return SendResult(Outcome.SENT)


class TelegramReporter:
    """Progress edited in place in the staff member's chat, then a summary."""

    def __init__(self, app: Application) -> None:  # type: ignore[type-arg]
        self.app = app
        self._telling: set[asyncio.Task[None]] = set()

    def _in_background(self, telling: Coroutine[Any, Any, None]) -> None:
        """Staff are told on the side: a staff chat Telegram makes wait (a 429 waited out by the
        reply limiter) never holds the scheduler's next broadcast back."""
        task = asyncio.create_task(telling)
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """At stop: what is being told gets a moment to go out, then is dropped."""
        if self._telling:
            await asyncio.wait(set(self._telling), timeout=timeout)
        for task in list(self._telling):
            task.cancel()

    def _svc(self) -> Services:
        return self.app.bot_data["services"]  # type: ignore[no-any-return]

    async def _lang(self, chat_id: int) -> str:
        row = await self._svc().subscriptions.get(chat_id)
        return row.lang if row else "vi"

    async def progress(self, broadcast: Broadcast, counts: Counts) -> None:
        await self._show(broadcast, counts, done=False)

    async def finished(self, broadcast: Broadcast, counts: Counts) -> None:
        await self._show(broadcast, counts, done=True)

    async def _show(self, broadcast: Broadcast, counts: Counts, *, done: bool) -> None:
        chat = broadcast.notify_chat
        if chat is None:
            return
        lang = await self._lang(chat)
        _ = gettext(lang)
        if broadcast.status == "cancelled":
            head = _("Broadcast #{id} was cancelled; what was not sent yet will not be sent.")
        else:
            head = _("Broadcast #{id} finished.") if done else _("Broadcast #{id} is sending…")
        text = "<b>" + head.format(id=broadcast.id) + "</b>\n" + _(
            "Sent: {sent} · Failed: {failed} · Blocked: {blocked} · Remaining: {pending}"
        ).format(sent=number(counts.sent, lang), failed=number(counts.failed, lang),
                 blocked=number(counts.blocked, lang), pending=number(counts.pending, lang))
        if counts.unreachable:
            text += "\n" + _(
                "Unreachable: {n} (Zalo followers silent for more than 7 days who shared no "
                "phone number; Zalo lets the ward write to them only after they write again)"
            ).format(n=number(counts.unreachable, lang))
        pacer = getattr(self.app.bot_data.get("delivery"), "pacer", None)
        if not done and pacer is not None and pacer.slowed:
            text += "\n" + _("Telegram asked the bot to slow down: {rate} messages a second "
                              "for now, {configured} again after a calm minute.").format(
                rate=number(round(pacer.rate), lang), configured=number(round(pacer.configured),
                                                                        lang))
        bot = self.app.bot
        if broadcast.progress_msg:
            try:
                await bot.edit_message_text(text, chat, broadcast.progress_msg)
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
        message = await bot.send_message(chat, text)
        await self._svc().broadcasts.set_progress_message(broadcast.id, message.message_id)

    async def missed(self, broadcast: Broadcast) -> None:
        self._in_background(self._tell_staff(broadcast, missed=True))

    async def empty(self, broadcast: Broadcast) -> None:
        self._in_background(self._tell_staff(broadcast, missed=False))

    async def notify(self, notice: Notice) -> None:
        """A problem (a campaign naming a removed area, …) told to every staff and lead chat,
        each in its language; one chat failing never stops the others."""
        self._in_background(self._notify(notice))

    async def _notify(self, notice: Notice) -> None:
        for chat in sorted({r.user_id for r in await self._svc().roles.list()}):
            try:
                text = notice.text(await self._lang(chat))
                await self.app.bot.send_message(chat, html.escape(text))
            except Exception:  # one staff chat failing must not stop telling the others
                logger.warning("could not tell a staff chat about %s", notice.kind)

    async def _tell_staff(self, broadcast: Broadcast, *, missed: bool) -> None:
        svc = self._svc()
        chats = {r.user_id for r in await svc.roles.list()}
        if broadcast.notify_chat:
            chats.add(broadcast.notify_chat)
        for chat in sorted(chats):
            try:
                lang = await self._lang(chat)
                _ = gettext(lang)
                when = date_time(broadcast.send_at, lang, svc.config.tz)
                if missed:
                    text = _("Broadcast #{id} due at {when} was not sent: the bot was down for "
                             "too long. Please check and send it again if it is still useful.")
                else:
                    text = _("Broadcast #{id} due at {when} found no subscribed recipient.")
                await self.app.bot.send_message(
                    chat, text.format(id=broadcast.id, when=html.escape(when))
                )
            except Exception:  # one staff chat failing must not stop telling the others
                logger.warning("could not tell a staff chat about broadcast %s", broadcast.id)


async def start(app: Application) -> None:  # type: ignore[type-arg]
    """post_init: the broadcast bot, the delivery worker and the schedule reconciler."""
    svc: Services = app.bot_data["services"]
    config = svc.config
    # Broadcasts get their own Bot and connections (aiohttp: see aiohttp_request.py here).
    in_flight = in_flight_for(config.broadcast_rate)
    delivery_bot = Bot(
        config.token, base_url=config.base_url, base_file_url=config.base_file_url,
        request=AiohttpRequest(connections=in_flight),
    )
    await delivery_bot.initialize()
    reporter = TelegramReporter(app)
    sender = TelegramSender(delivery_bot, config.paid_broadcast)
    delivery = Delivery(svc.db, svc.broadcasts, sender, rate=config.broadcast_rate,
                        tz=config.tz, reporter=reporter, in_flight=in_flight,
                        budget=app.bot_data.get("budget"))
    svc.notices.sink = reporter.notify
    await svc.sync_campaigns()
    scheduler = Scheduler(svc.broadcasts, grace_seconds=config.misfire_grace,
                          wake=delivery.wake, on_missed=reporter.missed, on_empty=reporter.empty,
                          planner=svc.campaigns.plan, notices=svc.notices)
    stop = asyncio.Event()
    app.bot_data.update(delivery=delivery, scheduler=scheduler, delivery_bot=delivery_bot,
                        delivery_stop=stop, reporter=reporter)
    await scheduler.reconcile()
    app.bot_data["delivery_task"] = asyncio.create_task(delivery.run(stop), name="delivery")
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            reconcile_job, interval=RECONCILE_SECONDS, first=RECONCILE_SECONDS,
            name="reconcile-broadcasts", job_kwargs={"misfire_grace_time": 60},
        )


async def reconcile_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: start due broadcasts (also those made with the CLI)."""
    await context.application.bot_data["scheduler"].reconcile()


async def stop(app: Application) -> None:  # type: ignore[type-arg]
    """post_shutdown: stop sending; what is in flight stays pending in the outbox."""
    event: asyncio.Event | None = app.bot_data.get("delivery_stop")
    task: asyncio.Task[None] | None = app.bot_data.get("delivery_task")
    if event is not None:
        event.set()
    if task is not None:
        try:
            await asyncio.wait_for(task, timeout=5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
    reporter: TelegramReporter | None = app.bot_data.get("reporter")
    if reporter is not None:
        await reporter.settle()
    bot: Bot | None = app.bot_data.get("delivery_bot")
    if bot is not None:
        await bot.shutdown()
