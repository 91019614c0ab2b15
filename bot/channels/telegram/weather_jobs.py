"""Weather advisories on Telegram: the poll and reminder jobs, and the staff copies of a draft.

Every staff and lead private chat gets its own copy of a draft, in its language; each copy is
recorded (advisories.add_message) so that a decision, an edit or a newer draft updates them all.
One chat failing never stops the others, and a failed poll never stops the next one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import buttons, fit
from bot.channels.telegram.handlers.weather import CREDIT, beaufort, decimal, esc
from bot.guides.render import TELEGRAM_LIMIT
from bot.i18n import N_, day, gettext, normalise_lang
from bot.services import Services
from bot.weather.models import Advisory

logger = logging.getLogger(__name__)

NAMES = "weather_decider_names"  # bot_data: Telegram user id → name, for "approved by …"
MODEL_WARNING = N_(
    "⚠️ This draft comes from a model forecast (Open-Meteo), not from an official warning. "
    "Check it against the official bulletin of the national hydro-meteorological centre "
    "(NCHMF, nchmf.gov.vn) before approving. Nothing reaches residents until someone approves."
)
APPROVE, DISCARD = N_("✅ Approve"), N_("🗑 Discard")
EDIT, AREAS = N_("✏️ Edit text"), N_("📍 Choose areas")


def _svc(app: Application) -> Services:  # type: ignore[type-arg]
    return app.bot_data["services"]  # type: ignore[no-any-return]


async def chat_lang(svc: Services, chat_id: int) -> str:
    row = await svc.subscriptions.get(chat_id)
    return row.lang if row else "vi"


async def staff_chats(svc: Services) -> list[int]:
    """Every staff and lead member's private chat (its id is the user's id)."""
    return sorted({r.user_id for r in await svc.roles.list()})


def remember_name(app: Application, user_id: int, name: str) -> None:  # type: ignore[type-arg]
    app.bot_data.setdefault(NAMES, {})[user_id] = name


async def decider_name(app: Application, user_id: int | None) -> str:  # type: ignore[type-arg]
    """The name of who decided, as Telegram gives it (asked once, then remembered)."""
    if user_id is None:
        return "?"
    names: dict[int, str] = app.bot_data.setdefault(NAMES, {})
    if user_id not in names:
        try:
            chat = await app.bot.get_chat(user_id)
            names[user_id] = " ".join(p for p in (chat.first_name, chat.last_name) if p) or str(
                user_id)
        except Exception:
            logger.info("could not look up the name of user %s", user_id)
            return str(user_id)
    return names[user_id]


def areas_text(svc: Services, advisory: Advisory, lang: str) -> str:
    _ = gettext(lang)
    if not advisory.areas:
        return _("all areas")
    groups = {g.id: g for g in svc.areas.groups}
    return ", ".join(groups[a].name(lang) if a in groups else svc.areas.name(a, lang)
                     for a in advisory.areas)


def strength_text(advisory: Advisory, lang: str) -> str:
    """How strong, in the terms of the Vietnamese categories."""
    _ = gettext(lang)
    value = decimal(advisory.value, lang)
    if advisory.hazard == "rain":
        return _("up to {mm} mm in 24 hours").format(mm=value)
    if advisory.hazard == "wind":
        text = _("wind up to {kmh} km/h (level {level})").format(
            kmh=value, level=advisory.beaufort if advisory.beaufort is not None
            else beaufort(advisory.value))
        if advisory.gust_beaufort is not None:
            text += ", " + _("gusts level {level}").format(level=advisory.gust_beaufort)
        return text
    if advisory.hazard == "heat":
        return _("highest {t} °C").format(t=value)
    return _("daily mean down to {t} °C").format(t=value)


def status_line(advisory: Advisory, lang: str, name: str) -> str:
    _ = gettext(lang)
    if advisory.status == "approved":
        return "<b>" + _("✅ Approved by {name}: urgent broadcast #{id}.").format(
            name=esc(name), id=advisory.broadcast_id) + "</b>"
    if advisory.status == "discarded":
        return "<b>" + _("🗑 Discarded by {name}: nothing was sent.").format(
            name=esc(name)) + "</b>"
    if advisory.status == "superseded":
        return "<b>" + _("⏭ Replaced by a newer draft: the forecast changed.") + "</b>"
    return ""


def draft_text(svc: Services, advisory: Advisory, lang: str, name: str = "") -> str:
    """A staff copy: what, when, how strong, where, the texts residents will get, the status."""
    _ = gettext(lang)
    en = normalise_lang(lang) == "en"
    hazard = advisory.name_en if en else advisory.name_vi
    span = day(advisory.first_day, lang)
    if advisory.last_day != advisory.first_day:
        span += " – " + day(advisory.last_day, lang)
    head = [
        "<b>" + _("Weather advisory draft #{id}: {name}").format(
            id=advisory.id, name=esc(hazard)) + "</b>",
        esc(_("When: {days}. How strong: {strength}.").format(
            days=span, strength=strength_text(advisory, lang))),
        esc(_("Areas: {areas}").format(areas=areas_text(svc, advisory, lang))),
        esc(_(MODEL_WARNING)),
    ]
    texts = [("vi", _("Residents reading Vietnamese get:"), advisory.text_vi),
             ("en", _("Residents reading English get:"), advisory.text_en)]
    tail = [CREDIT]
    status = status_line(advisory, lang, name)
    if status:
        tail.append(status)

    def compose(shown: list[tuple[str, str, str]]) -> str:
        body = ["<b>" + esc(label) + "</b>\n" + esc(text)
                for _lang, label, text in shown]
        return "\n\n".join(["\n".join(head), *body, "\n".join(tail)])

    full = compose(texts)
    if len(full) <= TELEGRAM_LIMIT:
        return full
    # Both texts do not fit one message: the staff member's own language only.
    mine = [t for t in texts if t[0] == ("en" if en else "vi")]
    text = compose(mine)
    if len(text) <= TELEGRAM_LIMIT:
        return text
    code, label, raw = mine[0]
    low, high = 0, len(raw)  # the longest start of the text that fits, escaped (bisection)
    while low < high:
        middle = (low + high + 1) // 2
        if len(compose([(code, label, raw[:middle] + "…")])) <= TELEGRAM_LIMIT:
            low = middle
        else:
            high = middle - 1
    return compose([(code, label, raw[:low] + "…")])


def draft_markup(svc: Services, advisory: Advisory, lang: str) -> InlineKeyboardMarkup:
    """Decision buttons while a draft, then the matching guides (residents' own g:v: buttons)."""
    _ = gettext(lang)
    rows: list[list[tuple[str, str]]] = []
    if advisory.status == "draft":
        rows.append([(_(APPROVE), callbacks.weather("ok", advisory.id)),
                     (_(DISCARD), callbacks.weather("no", advisory.id))])
        rows.append([(_(EDIT), callbacks.weather("ed", advisory.id)),
                     (_(AREAS), callbacks.weather("ar", advisory.id))])
    for guide_id in advisory.guides:
        guide = svc.library.get(guide_id, lang)
        if guide is not None:
            rows.append([(fit("📖 " + guide.label), callbacks.guide(guide_id))])
    return buttons(rows)


async def send_draft(app: Application, advisory: Advisory) -> int:  # type: ignore[type-arg]
    """A new draft to every staff and lead chat, each in its language; how many got it."""
    svc = _svc(app)
    sent = 0
    for chat in await staff_chats(svc):
        try:
            lang = await chat_lang(svc, chat)
            message = await app.bot.send_message(
                chat, draft_text(svc, advisory, lang),
                reply_markup=draft_markup(svc, advisory, lang))
            await svc.advisories.add_message(advisory.id, chat, message.message_id)
            sent += 1
        except Exception:  # one staff chat failing must not stop the others
            logger.warning("could not send weather draft #%s to a staff chat", advisory.id,
                           exc_info=True)
    return sent


async def refresh_copies(
    app: Application, advisory_id: int, *, skip: int | None = None  # type: ignore[type-arg]
) -> Advisory | None:
    """Every staff copy shown as the advisory is now (status, who decided, texts, areas).
    `skip`: a chat whose copy is showing something else (the area picker) right now."""
    svc = _svc(app)
    advisory = await svc.advisories.get(advisory_id)
    if advisory is None:
        return None
    name = await decider_name(app, advisory.decided_by) if advisory.decided_by else ""
    for chat, message_id in await svc.advisories.messages(advisory_id):
        if chat == skip:
            continue
        try:
            lang = await chat_lang(svc, chat)
            await app.bot.edit_message_text(
                draft_text(svc, advisory, lang, name), chat, message_id,
                reply_markup=draft_markup(svc, advisory, lang))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.warning("could not update a staff copy of advisory #%s: %s",
                               advisory_id, exc)
        except Exception:  # one staff chat failing must not stop the others
            logger.warning("could not update a staff copy of advisory #%s", advisory_id,
                           exc_info=True)
    return advisory


async def poll(app: Application) -> None:  # type: ignore[type-arg]
    """One forecast poll: new drafts to staff, replaced drafts marked so on their copies."""
    svc = _svc(app)
    if svc.weather is None:
        return
    result = await svc.weather.poll()
    for draft in result.drafts:
        if draft.supersedes is not None:  # first, so no copy of the old one looks current
            await refresh_copies(app, draft.supersedes)
        await send_draft(app, draft)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job weather-poll: never raises, so the next poll runs whatever happened in this one."""
    try:
        await poll(context.application)
    except Exception:
        logger.exception("weather poll failed; the next one runs as planned")


async def remind(app: Application, now: datetime | None = None) -> None:  # type: ignore[type-arg]
    """Drafts nobody decided for a while: one reminder each, as a reply to every staff copy."""
    svc = _svc(app)
    for advisory in await svc.advisories.due_reminders(now):
        for chat, message_id in await svc.advisories.messages(advisory.id):
            try:
                lang = await chat_lang(svc, chat)
                _ = gettext(lang)
                name = advisory.name_en if normalise_lang(lang) == "en" else advisory.name_vi
                await app.bot.send_message(
                    chat, esc(_("⏰ Weather advisory draft #{id} ({name}) still waits "
                                        "for a decision: approve, edit or discard it.").format(
                        id=advisory.id, name=name)),
                    reply_parameters=ReplyParameters(message_id,
                                                     allow_sending_without_reply=True))
            except Exception:  # one staff chat failing must not stop the others
                logger.warning("could not remind a staff chat of advisory #%s", advisory.id,
                               exc_info=True)


async def remind_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job weather-remind."""
    try:
        await remind(context.application)
    except Exception:
        logger.exception("weather reminders failed; tried again in a minute")


def schedule(app: Application, interval: int) -> None:  # type: ignore[type-arg]
    """The two weather jobs (only when the forecast is followed)."""
    queue: Any = app.job_queue
    if queue is None:
        return
    queue.run_repeating(poll_job, interval=interval, first=1, name="weather-poll",
                        job_kwargs={"misfire_grace_time": max(interval, 60),
                                    "coalesce": True})
    queue.run_repeating(remind_job, interval=60, first=60, name="weather-remind",
                        job_kwargs={"misfire_grace_time": 60, "coalesce": True})
