"""Flood reports on the staff side: a copy of each new report in every staff and lead chat, with
buttons to mark it checked or resolved (every press re-checks the role; every copy is updated;
the resident is told when it is resolved), and /points, the month's worst flooding points.
"""

from __future__ import annotations

import asyncio
import html
import importlib
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update, User
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.access import refuse, staff_chat
from bot.channels.telegram.handlers.common import answer, buttons, services
from bot.floods.models import FloodPoint, FloodReport
from bot.i18n import N_, date_time, gettext, number
from bot.roles import Role
from bot.services import Services

logger = logging.getLogger(__name__)

TOP_POINTS = 10  # /points lists the worst ones; the map file has them all
DEPTH_LABELS = {
    "ankle": N_("Below the ankle"),
    "knee": N_("Ankle – knee"),
    "waist": N_("Knee – waist"),
    "above": N_("Above the waist"),
}


def depth_label(depth: str, lang: str) -> str:
    """The depth in words ("Knee – waist"), in `lang`."""
    _ = gettext(lang)
    return _(DEPTH_LABELS[depth]) if depth in DEPTH_LABELS else depth


def osm_link(lat: float, lon: float) -> str:
    """The point on OpenStreetMap, pinned, at street zoom."""
    return (f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}"
            f"#map=18/{lat:.6f}/{lon:.6f}")


def _map_anchor(lat: float, lon: float, label: str) -> str:
    return f'<a href="{html.escape(osm_link(lat, lon))}">{html.escape(label)}</a>'


def area_text(svc: Services, area_id: str | None, outside: bool, lang: str) -> str:
    """The area's name; for none, outside the ward or (areas without coordinates) not known."""
    _ = gettext(lang)
    if area_id:
        return svc.areas.name(area_id, lang)
    return _("outside Lê Chân ward") if outside else _("area not known")


def copy_text(svc: Services, report: FloodReport, lang: str, by: str | None = None) -> str:
    """A report as staff read it, in `lang`; `by`: who made its status what it is now."""
    _ = gettext(lang)
    tz = svc.config.tz
    lines = [
        "<b>" + _("🌊 Flood report no. {id}").format(id=report.id) + "</b>",
        _("Area: {area}").format(
            area=html.escape(area_text(svc, report.area_id, report.outside, lang))),
        _("Depth: {depth}").format(depth=html.escape(depth_label(report.depth, lang))),
        _("Time: {when}").format(when=html.escape(date_time(report.created_at, lang, tz))),
    ]
    if report.note:
        lines.append(_("Note: {note}").format(note=html.escape(report.note)))
    lines.append("📍 " + _map_anchor(report.lat, report.lon, _("Open the map")) +
                 f" ({report.lat:.5f}, {report.lon:.5f})")
    who = html.escape(by) if by else _("ward staff")
    if report.status == "resolved":
        when = date_time(report.resolved_at or datetime.now(UTC), lang, tz)
        status = _("✅ Resolved by {who} at {when}").format(who=who, when=html.escape(when))
    elif report.status == "checked":
        status = _("👀 Checked by {who}; not resolved yet").format(who=who)
    else:
        status = _("🆕 New: not checked yet")
    return "\n".join([*lines, _("Status: {status}").format(status=status)])


def copy_markup(report: FloodReport, lang: str) -> InlineKeyboardMarkup | None:
    _ = gettext(lang)
    row: list[tuple[str, str]] = []
    if report.status == "new":
        row.append((_("👀 Checked"), callbacks.report_check(report.id)))
    if report.status != "resolved":
        row.append((_("✅ Resolved"), callbacks.report_resolve(report.id)))
    return buttons([row]) if row else None


async def _lang(svc: Services, chat_id: int) -> str:
    row = await svc.subscriptions.get(chat_id)
    return row.lang if row else "vi"


async def send_copies(app: Application, report: FloodReport) -> None:  # type: ignore[type-arg]
    """The new report to the staff group (SANSANG_STAFF_GROUP) or, without one or when it cannot
    be reached, to every staff and lead private chat (a photo with the text as its caption, or the
    text alone), each copy recorded to be updated later. One chat failing never stops the others;
    a chat that already has its copy (a report sent twice) is not sent another."""
    svc: Services = app.bot_data["services"]
    have = {chat for chat, _message in await svc.flood_reports.messages(report.id)}
    group = svc.config.staff_group
    if group is not None:
        if group in have or await _send_copy(app, svc, report, group):
            return
        logger.warning("flood report %d could not reach the staff group; it goes to the staff "
                       "and lead private chats instead", report.id)
    for chat in sorted({r.user_id for r in await svc.roles.list()} - have):
        await _send_copy(app, svc, report, chat)


async def _send_copy(app: Application, svc: Services,  # type: ignore[type-arg]
                     report: FloodReport, chat: int) -> bool:
    """One staff copy to one chat, recorded; False (logged) when it could not be sent."""
    try:
        lang = await _lang(svc, chat)
        text, markup = copy_text(svc, report, lang), copy_markup(report, lang)
        message = None
        if report.photo_file_id:
            try:
                message = await app.bot.send_photo(chat, report.photo_file_id, caption=text,
                                                   reply_markup=markup)
            except BadRequest as exc:  # the photo is gone or unusable: the text still goes
                logger.warning("flood report %d: photo not sent (%s)", report.id, exc)
        if message is None:
            message = await app.bot.send_message(chat, text, reply_markup=markup)
        await svc.flood_reports.add_message(report.id, chat, message.message_id)
        return True
    except Exception:  # one staff chat failing must not stop telling the others
        logger.warning("could not send flood report %d to a staff chat", report.id,
                       exc_info=True)
        return False


async def _update_copies(app: Application, report: FloodReport,  # type: ignore[type-arg]
                         by: str) -> None:
    """Every staff copy shows the report's new status (and who set it)."""
    svc: Services = app.bot_data["services"]
    for chat, message_id in await svc.flood_reports.messages(report.id):
        try:
            lang = await _lang(svc, chat)
            text, markup = copy_text(svc, report, lang, by), copy_markup(report, lang)
            await _edit(app, chat, message_id, text, markup, photo=bool(report.photo_file_id))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.warning("could not update a copy of flood report %d: %s", report.id, exc)
        except Exception:  # one copy failing must not stop the others
            logger.warning("could not update a copy of flood report %d", report.id,
                           exc_info=True)


async def _edit(app: Application, chat: int, message_id: int, text: str,  # type: ignore[type-arg]
                markup: InlineKeyboardMarkup | None, *, photo: bool) -> None:
    """A photo copy's caption or a text copy's text (a photo that could not be sent left a text
    copy: the other kind is tried when Telegram says the message has none)."""
    kinds = ("caption", "text") if photo else ("text", "caption")
    for i, kind in enumerate(kinds):
        try:
            if kind == "caption":
                await app.bot.edit_message_caption(chat, message_id, caption=text,
                                                   reply_markup=markup)
            else:
                await app.bot.edit_message_text(text, chat, message_id, reply_markup=markup)
            return
        except BadRequest as exc:
            if i == 0 and "there is no" in str(exc).lower():
                continue
            raise


def _name(user: User) -> str:
    return user.full_name or str(user.id)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE,
                    args: tuple[str, ...]) -> None:
    """r:c:<id> (checked) or r:r:<id> (resolved): staff only, checked again at every press."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    row = await svc.subscriptions.get(chat.id) if chat else None
    lang = row.lang if row else "vi"
    _ = gettext(lang)
    if user is None or not await svc.roles.is_staff(user.id):
        logger.info("a flood report button pressed without the staff role")
        await refuse(update, context, lang, Role.STAFF)
        return
    step, report_id = args[0], int(args[1])
    try:
        if step == "c":
            report, changed = await svc.flood_reports.check(report_id, user.id)
            reporter = None
        else:
            report, reporter, changed = await svc.flood_reports.resolve(report_id, user.id)
    except LookupError:
        await answer(update, context, _("There is no flood report no. {id}.").format(
            id=report_id), alert=True)
        return
    if not changed:
        already = (_("Report no. {id} is already resolved.") if report.status == "resolved"
                   else _("Report no. {id} is already checked."))
        await answer(update, context, already.format(id=report.id))
        return
    done = (_("Report no. {id} marked resolved.") if step == "r"
            else _("Report no. {id} marked checked."))
    await answer(update, context, done.format(id=report.id))
    await _update_copies(context.application, report, _name(user))
    if reporter is not None:
        await _tell_reporter(context, report, reporter)


async def _tell_reporter(context: ContextTypes.DEFAULT_TYPE, report: FloodReport,
                         chat_id: int) -> None:
    """The resident who sent a report hears, in their language, that the ward handled it."""
    svc = services(context)
    row = await svc.subscriptions.get(chat_id)  # their language now; else the report's
    if row is not None and row.channel == "zalo":  # reported on Zalo: told there
        zalo = context.application.bot_data.get("zalo")
        if zalo is not None:
            await zalo.handlers.report_resolved(row, report)
        return
    lang = row.lang if row else report.lang
    _ = gettext(lang)
    when = date_time(report.created_at, lang, svc.config.tz)
    try:
        await context.bot.send_message(chat_id, _(
            "✅ The ward has handled your flood report no. {id} (sent {when}). Thank you for "
            "telling us. If the water comes back, send /report again.").format(
                id=report.id, when=html.escape(when)))
    except Exception:  # blocked the bot, or Telegram down: the report stays resolved
        logger.warning("could not tell a resident their flood report %d was resolved",
                       report.id, exc_info=True)


# ---------------------------------------------------------------------------- /points
def _month_start(tz: Any) -> datetime:
    now = datetime.now(tz)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def points_text(svc: Services, points: list[FloodPoint], lang: str, month: datetime) -> str:
    _ = gettext(lang)
    head = "<b>" + _("🌊 Flooding points, {month}").format(
        month=month.strftime("%m/%Y")) + "</b>"
    if not points:
        return head + "\n" + _("No flood reports this month.")
    lines = [head, _("{points} points from {reports} reports; the worst first:").format(
        points=number(len(points), lang), reports=number(sum(p.reports for p in points), lang))]
    for i, p in enumerate(points[:TOP_POINTS], start=1):
        lines.append(
            f"{i}. <b>{html.escape(area_text(svc, p.area_id, p.outside, lang))}</b> – " +
            _("{n} reports, worst: {depth}, last: {when}").format(
                n=number(p.reports, lang), depth=html.escape(depth_label(p.worst_depth, lang)),
                when=html.escape(date_time(p.last_seen, lang, svc.config.tz))) +
            " – " + _map_anchor(p.lat, p.lon, _("map")))
    if len(points) > TOP_POINTS:
        lines.append(_("…and {n} more.").format(n=number(len(points) - TOP_POINTS, lang)))
    return "\n".join(lines)


def _map_writer() -> Any:
    """`bot.floods.map.write_map` when this build has the map page, else None."""
    try:
        module = importlib.import_module("bot.floods.map")
    except ImportError:
        return None
    return getattr(module, "write_map", None)


def _map_bytes(write_map: Any, svc: Services, points: list[FloodPoint], name: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sansang-map-") as folder:
        path = Path(folder) / name
        write_map(points, svc.areas, path, generated_at=datetime.now(UTC), tz=svc.config.tz)
        return path.read_bytes()


async def points(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/points (staff): this month's worst flooding points, and the map page as a file."""
    row = await staff_chat(update, context, Role.STAFF)
    message = update.effective_message
    if row is None or message is None:
        return
    svc = services(context)
    _ = gettext(row.lang)
    month = _month_start(svc.config.tz)
    found = await svc.flood_reports.points(since=month.astimezone(UTC))
    await message.reply_text(points_text(svc, found, row.lang, month))
    write_map = _map_writer()
    if write_map is None or not found:
        return
    name = f"sansang-diem-ngap-{month:%Y-%m}.html"
    try:
        data = await asyncio.to_thread(_map_bytes, write_map, svc, found, name)
    except Exception:
        logger.exception("the flood map could not be written")
        await message.reply_text(_("The map file could not be made this time; the list above "
                                   "is complete."))
        return
    await context.bot.send_document(
        row.chat_id, InputFile(data, filename=name),
        caption=_("The map of this month's flooding points: open it in a web browser (it works "
                  "offline; the map background needs the Internet)."))
