"""/stats for staff (this month in a few lines) and /export for the lead office (the workbook, or
the draft báo cáo in Word)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.access import staff_chat
from bot.channels.telegram.handlers.common import answer, buttons, services, show
from bot.errors import ContentError
from bot.i18n import day, gettext, number
from bot.reports import docx, export, stats
from bot.roles import Role

logger = logging.getLogger(__name__)

PERIODS = ("tm", "lm", "tq", "ty", "ly")


def period_for(code: str, today: date) -> stats.Period:
    if code == "tm":
        return stats.Period.parse(month=today.strftime("%Y-%m"))
    if code == "lm":
        last = today.replace(day=1) - timedelta(days=1)
        return stats.Period.parse(month=last.strftime("%Y-%m"))
    if code == "tq":
        return stats.Period.parse(quarter=f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    if code == "ty":
        return stats.Period.parse(year=str(today.year))
    return stats.Period.parse(year=str(today.year - 1))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: staff see this month's outreach in a few lines."""
    svc = services(context)
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return
    _ = gettext(row.lang)
    period = period_for("tm", datetime.now(svc.config.tz).date())
    t = (await stats.report(svc.db, svc.areas, period)).total
    n = lambda v: number(v, row.lang)  # noqa: E731
    lines = [
        "<b>" + _("Outreach this month") + "</b>",
        _("Receiving warnings: {n} ({h} households, {g} groups)").format(
            n=n(t.subscribers_active), h=n(t.households_active), g=n(t.groups_active)),
        _("New: {new} · Left: {left} · Blocked the bot: {blocked}").format(
            new=n(t.subscribers_new), left=n(t.unsubscribed), blocked=n(t.blocked)),
        _("Broadcasts: {b} · Messages delivered: {s} · Failed: {f}").format(
            b=n(t.broadcasts), s=n(t.messages_sent), f=n(t.messages_failed)),
        _("Guide views: {v} · Questions: {q}, answered: {a}").format(
            v=n(t.guide_views), q=n(t.searches), a=n(t.answered)),
    ]
    await show(update, "\n".join(lines))


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: the lead office picks a period and gets the workbook or the draft báo cáo."""
    row = await staff_chat(update, context, Role.LEAD)
    if row is None:
        return
    _ = gettext(row.lang)
    labels = {"tm": _("This month"), "lm": _("Last month"), "tq": _("This quarter"),
              "ty": _("This year"), "ly": _("Last year")}
    word = "📄 " + _("Report (Word)")
    text = _("Which period?") + "\n" + _("Left: the workbook (Excel). Right: the draft report "
                                        "(Word) to number and sign.")
    rows = [[(labels[c], callbacks.export(c)), (word, callbacks.export(c, word=True))]
            for c in PERIODS]
    await show(update, text, buttons(rows))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str, *,
                    word: bool = False) -> None:
    """Button x:PERIOD[:w]: the lead role is checked again, then the workbook (or, with :w, the
    draft báo cáo) is sent."""
    svc = services(context)
    row = await staff_chat(update, context, Role.LEAD)
    if row is None:
        return
    _ = gettext(row.lang)
    today = datetime.now(svc.config.tz).date()
    settings = None
    if word:
        try:  # the ward's names for the report: a bad file is named, nothing is counted
            settings = docx.load_settings(svc.config.content_dir / docx.SETTINGS_FILE)
        except ContentError as exc:
            logger.warning("no Word report: %s", exc)
            await answer(update, context, _("The Word report cannot be made: its data file "
                                            "content/report.toml needs fixing. The technical "
                                            "team has the details."), alert=True)
            return
    await answer(update, context, _("Preparing the report (Word)…") if word
                 else _("Preparing the report (Excel)…"))
    period = period_for(code, today)
    report = await stats.report(svc.db, svc.areas, period)  # on a read connection of its own
    if settings is not None:  # a year's document or workbook: built off the loop
        data = await asyncio.to_thread(docx.to_docx, report, settings, today)
        ext = "docx"
    else:
        data = await asyncio.to_thread(export.to_xlsx, report)
        ext = "xlsx"
    name = f"sansang-{period.start.isoformat()}-{period.end.isoformat()}.{ext}"
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_document(
            chat.id, InputFile(data, filename=name),
            caption=_("Outreach {start} – {end}").format(
                start=day(period.start, row.lang), end=day(period.end, row.lang)),
        )
