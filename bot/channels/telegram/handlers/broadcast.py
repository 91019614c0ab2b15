"""/broadcast for staff: a conversation (targets → kinds → text → time → urgency → preview →
confirm).

PTB's ConversationHandler holds the step per (chat, user); the draft lives in the staff member's
user_data. An abandoned wizard ends after WIZARD_TIMEOUT with a message, /cancel leaves it, and
every step, typed answer and button re-checks the role (callback data can be forged).
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.broadcasts.broadcasts import BroadcastError
from bot.broadcasts.delivery import escape_staff_text
from bot.channels.telegram.handlers import callbacks, flows, recipient_kinds
from bot.channels.telegram.handlers.access import staff_chat
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    chat_row,
    fit,
    services,
    show,
)
from bot.channels.telegram.handlers.guides import guide_label, hazard_label
from bot.guides.library import HAZARDS
from bot.i18n import N_, date_time, day, gettext, number, weekday_names, zone
from bot.roles import Role
from bot.store.chats import ChatRow

logger = logging.getLogger(__name__)

DRAFT = "broadcast_wizard"
WIZARD_TIMEOUT = 15 * 60  # seconds without an answer before the draft is dropped
MAX_TEXT = 3500
STALE = N_("This button is old. Start again with /broadcast.")
# Zones staff call "giờ Việt Nam" (Hải Phòng's); any other configured zone is named in full.
VIETNAM_ZONES = ("Asia/Ho_Chi_Minh", "Asia/Saigon")

# The wizard's steps (ConversationHandler states).
TARGETS, TEXT_VI, TEXT_EN, WHEN, AT_TIME, WEEKLY_AT, URGENCY, CONFIRM, KINDS = range(9)
END = ConversationHandler.END

# The buttons each step takes; any other wizard button is stale there ("no longer valid").
STEPS: dict[int, frozenset[str]] = {
    TARGETS: frozenset({"all", "t", "next"}),
    KINDS: frozenset({"kall", "k", "knext"}),
    TEXT_VI: frozenset({"guides", "gh", "g"}),
    TEXT_EN: frozenset({"noen"}),
    WHEN: frozenset({"now", "later", "weekly", "wd"}),
    URGENCY: frozenset({"urgent", "normal"}),
    CONFIRM: frozenset({"ok"}),
}


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault(DRAFT, {})
    return draft


def _drop(context: ContextTypes.DEFAULT_TYPE) -> None:
    flows.drop(context, DRAFT)


def _target_markup(context: ContextTypes.DEFAULT_TYPE, lang: str):  # type: ignore[no-untyped-def]
    svc = services(context)
    _ = gettext(lang)
    draft = _draft(context)
    chosen = set(draft.get("targets", []))
    tick = lambda key: "✅ " if key in chosen else ""  # noqa: E731
    rows = [[(("✅ " if draft.get("all") else "") + _("Everyone subscribed"),
              callbacks.bc("all"))]]
    cells = [(fit(tick(a.id) + a.name(lang)), callbacks.bc("t", a.id)) for a in svc.areas.areas]
    cells += [(fit(tick(g.id) + g.name(lang)), callbacks.bc("t", g.id))
              for g in svc.areas.groups]
    rows += [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append([(_("Next ▶"), callbacks.bc("next")), (_("Cancel"), callbacks.bc("stop"))])
    return buttons(rows)


def _targets_text(context: ContextTypes.DEFAULT_TYPE, lang: str) -> str:
    """The question, and the whole name of each group of areas whose button had to be cut."""
    _ = gettext(lang)
    cut = [g.name(lang) for g in services(context).areas.groups
           if fit("✅ " + g.name(lang)) != "✅ " + " ".join(g.name(lang).split())]
    return "\n".join([_("New broadcast. Who should receive it? Choose areas, then Next."),
                      *("• " + html.escape(name) for name in cut)])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/broadcast: staff only, in a private chat; starts (or restarts) the wizard."""
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return END
    _ = gettext(row.lang)
    context.user_data[DRAFT] = {"targets": [], "all": False}  # type: ignore[index]
    await show(update, _targets_text(context, row.lang) + "\n" +
               _("/cancel leaves without sending."), _target_markup(context, row.lang))
    return TARGETS


async def _staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatRow | None:
    """The chat's row while the acting user is still staff; otherwise refuse, drop the draft."""
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        _drop(context)
    return row


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A wizard button the current step takes (see STEPS); the role is checked at every press."""
    row = await _staff(update, context)
    if row is None:
        return END
    action = callbacks.parse(update.callback_query.data)  # type: ignore[union-attr]
    assert action is not None  # the handler's pattern matched it
    step, value = action.args[0], action.args[1] if len(action.args) > 1 else ""
    state = await _step(update, context, row.lang, step, value)
    await answer(update, context)  # last, after any edit (a no-op if a notice answered)
    return state


async def _step(  # noqa: C901 - one branch per button, as the wizard reads
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, step: str, value: str
) -> int | None:
    svc = services(context)
    _ = gettext(lang)
    draft = _draft(context)
    if step == "all":
        draft["all"], draft["targets"] = not draft.get("all"), []
        await show(update, _targets_text(context, lang), _target_markup(context, lang))
    elif step == "t":
        known = {a.id for a in svc.areas.areas} | {g.id for g in svc.areas.groups}
        if value not in known:
            await answer(update, context, _(STALE))
            return None
        draft["targets"] = sorted(set(draft.get("targets", [])) ^ {value})
        draft["all"] = False
        await show(update, _targets_text(context, lang), _target_markup(context, lang))
    elif step == "next":
        if not draft.get("all") and not draft.get("targets"):
            await answer(update, context, _("Choose at least one area, or everyone."), True)
            return None
        return await recipient_kinds.ask(update, context, lang, draft)
    elif step in ("kall", "k"):
        if not recipient_kinds.toggle(draft, step, value):
            await answer(update, context, _(STALE))
            return None
        await recipient_kinds.ask(update, context, lang, draft)
    elif step == "knext":
        if draft.get("kinds") == []:
            await answer(update, context, _("Choose everyone, or at least one kind."), True)
            return None
        await show(update, _("Now send the message in Vietnamese, as residents should read it, "
                             "or send a guide from the library."),
                   buttons([[(_("📖 Send a guide"), callbacks.bc("guides"))]]))
        return TEXT_VI
    elif step == "guides":
        cells = [(hazard_label(hazard, lang), callbacks.bc("gh", hazard)) for hazard in HAZARDS
                 if svc.library.for_hazard(hazard, lang)]
        await show(update, _("Choose the topic of the guide to send:"),
                   buttons([cells[i : i + 2] for i in range(0, len(cells), 2)]))
    elif step == "gh" and value in HAZARDS:
        found = svc.library.for_hazard(value, lang)
        rows = [[(guide_label(g), callbacks.bc("g", g.id))] for g in found]
        await show(update, _("Choose the guide to send:"), buttons(rows))
    elif step == "g" and svc.library.get(value, "vi") is not None:
        vi, en = svc.library.get(value, "vi"), svc.library.guides.get((value, "en"))
        draft["text_vi"] = as_plain_text(vi.title, vi.body)  # type: ignore[union-attr]
        draft["text_en"] = as_plain_text(en.title, en.body) if en else None
        draft["guide"] = value
        return await _ask_time(update, lang)
    elif step == "noen":
        draft["text_en"] = None
        return await _ask_time(update, lang)
    elif step == "now":
        draft["send_at"] = None
        return await _ask_urgency(update, lang)
    elif step == "weekly":
        cells = [(name, callbacks.bc("wd", str(i))) for i, name in enumerate(weekday_names(lang))]
        await show(update, _("Every week on which day?"), buttons([cells[:4], cells[4:]]))
    elif step == "wd" and value in {str(i) for i in range(7)}:
        draft["weekday"] = int(value)
        await show(update, _weekly_example(context, lang))
        return WEEKLY_AT
    elif step == "later":
        await show(update, _("Type the send time (Vietnam time), for example 07:30 (today, or "
                             "tomorrow if that time has passed) or 01/12/2026 07:30."))
        return AT_TIME
    elif step in ("urgent", "normal"):
        draft["urgent"] = step == "urgent"
        return await _preview(update, context, lang)
    elif step == "ok":
        await _confirm(update, context, lang)
        return END
    else:
        await answer(update, context, _(STALE))
    return None


async def _typed_row(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, str] | None:
    """The staff member's language and their typed text; None (draft dropped) without the role."""
    row = await _staff(update, context)
    message = update.effective_message
    if row is None or message is None or not message.text:
        return None
    return row.lang, message.text.strip()


async def typed_text_vi(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The Vietnamese text (step TEXT_VI)."""
    typed = await _typed_row(update, context)
    if typed is None:
        return END
    lang, text = typed
    _ = gettext(lang)
    if not await _fits(update, lang, text):
        return None
    _draft(context)["text_vi"] = text
    await _reply(update, _("Send the English text for chats in English, or skip."),
                 buttons([[(_("Skip English"), callbacks.bc("noen"))]]))
    return TEXT_EN


async def typed_text_en(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The English text (step TEXT_EN)."""
    typed = await _typed_row(update, context)
    if typed is None:
        return END
    lang, text = typed
    if not await _fits(update, lang, text):
        return None
    _draft(context)["text_en"] = text
    return await _ask_time(update, lang)


async def typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """One send time (step AT_TIME)."""
    typed = await _typed_row(update, context)
    if typed is None:
        return END
    lang, text = typed
    when = _parse_time(text, services(context).config.tz)
    if when is None:
        _ = gettext(lang)
        await _reply(update, _("Please type a time still to come, like 07:30 or "
                               "01/12/2026 07:30."))
        return None
    _draft(context)["send_at"] = when.isoformat()
    return await _ask_urgency(update, lang)


async def typed_weekly(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The weekly time and the last day (step WEEKLY_AT)."""
    typed = await _typed_row(update, context)
    if typed is None:
        return END
    lang, text = typed
    parsed = _parse_weekly(text, services(context).config.tz)
    if parsed is None:
        await _reply(update, _weekly_example(context, lang))
        return None
    draft = _draft(context)
    draft["weekly"], draft["send_at"] = parsed, None
    return await _ask_urgency(update, lang)


async def _fits(update: Update, lang: str, text: str) -> bool:
    if len(text) <= MAX_TEXT:
        return True
    _ = gettext(lang)
    await _reply(update, _("The text is too long: at most {n} characters.").format(
        n=number(MAX_TEXT, lang)))
    return False


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/cancel or the Cancel button: leave the wizard, nothing is sent."""
    row = await chat_row(update, context)
    _drop(context)
    _ = gettext(row.lang)
    await show(update, _("Cancelled: nothing changed."))
    await answer(update, context)
    return END


async def nothing_to_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel outside the wizard."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    await show(update, _("There is nothing to cancel."))


async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The wizard waited WIZARD_TIMEOUT for an answer: drop the draft and say so."""
    _drop(context)
    chat = update.effective_chat
    if chat is None:
        return
    try:
        row = await chat_row(update, context)
        _ = gettext(row.lang)
        await context.bot.send_message(chat.id, _(
            "Your broadcast draft was dropped: no answer for {minutes} minutes. Nothing was "
            "sent. Start again with /broadcast.").format(
                minutes=number(WIZARD_TIMEOUT // 60, row.lang)))
    except Exception:
        # PTB ends the conversation only when this returns: a failed notice must not leave the
        # wizard waiting, with no draft, for the staff member's next words.
        logger.warning("could not tell a staff chat its draft was dropped", exc_info=True)


def _weekly_example(context: ContextTypes.DEFAULT_TYPE, lang: str) -> str:
    """The weekly step's question, its example's last day four weeks ahead (dd/mm/yyyy)."""
    _ = gettext(lang)
    last = datetime.now(services(context).config.tz).date() + timedelta(weeks=4)
    return _("Type the time (Vietnam time) and the last day to send, for example: "
             "07:30 {day}").format(day=last.strftime("%d/%m/%Y"))


def _zone_name(tz: Any, lang: str, at: datetime | None) -> str:
    """ "giờ Việt Nam" for the ward's zone: staff know no zone names."""
    _ = gettext(lang)
    return _("Vietnam time") if getattr(tz, "key", None) in VIETNAM_ZONES else zone(tz, lang, at)


def _audience_lost(draft: dict[str, Any]) -> bool:
    """A draft that names neither everyone nor an area is stale (a dropped draft's steps
    answered later): it is never read as "everyone"."""
    return not draft.get("all") and not draft.get("targets")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A wizard button outside its step (old keyboard, timed-out wizard, or forged)."""
    row = await staff_chat(update, context, Role.STAFF)
    if row is not None:
        _ = gettext(row.lang)
        await answer(update, context, _(STALE))


def as_plain_text(title: str, body: str) -> str:
    """A guide as broadcast text: plain words (broadcasts are sent exactly as written)."""
    text = re.sub(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", "", body)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", text)
    return f"{title}\n\n{text.strip()}"[:MAX_TEXT]


def _parse_weekly(text: str, tz: Any) -> tuple[str, str] | None:
    """'07:30 30/11' → ('07:30', '2026-11-30'): the weekly time and the last day (future)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", text.strip())
    if not m:
        return None
    hour, minute, day_, month = (int(m.group(i)) for i in range(1, 5))
    today = datetime.now(tz).date()
    try:
        until = datetime(int(m.group(5) or today.year), month, day_).date()  # noqa: DTZ001
        if until < today and not m.group(5):
            until = until.replace(year=today.year + 1)
        at = f"{hour:02d}:{minute:02d}"
        datetime.strptime(at, "%H:%M")  # noqa: DTZ007 - validates only
    except ValueError:
        return None
    return (at, until.isoformat()) if until >= today else None


def _parse_time(text: str, tz: Any) -> datetime | None:
    now = datetime.now(tz)
    for fmt in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%H:%M"):
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is set below
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = now.replace(hour=parsed.hour, minute=parsed.minute, second=0,
                                 microsecond=0)
            if parsed <= now:
                parsed += timedelta(days=1)
            return parsed
        parsed = parsed.replace(tzinfo=tz)
        return parsed if parsed > now else None
    return None


async def _ask_time(update: Update, lang: str) -> int:
    _ = gettext(lang)
    await _reply(update, _("When should it go out?"),
                 buttons([[(_("Now"), callbacks.bc("now")),
                           (_("At a time…"), callbacks.bc("later")),
                           (_("Every week…"), callbacks.bc("weekly"))]]))
    return WHEN


async def _ask_urgency(update: Update, lang: str) -> int:
    _ = gettext(lang)
    await _reply(update, _("Is it urgent? Urgent broadcasts go first and ring even at night."),
                 buttons([[(_("Urgent"), callbacks.bc("urgent")),
                           (_("Normal"), callbacks.bc("normal"))]]))
    return URGENCY


async def _reply(update: Update, text: str, markup: Any = None) -> None:
    if update.callback_query is not None:
        await show(update, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)  # type: ignore[union-attr]


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> int:
    svc = services(context)
    _ = gettext(lang)
    draft = _draft(context)
    if _audience_lost(draft) or not draft.get("text_vi"):
        _drop(context)
        await show(update, _(STALE))
        return END
    try:
        by_kind = await recipient_kinds.counts(context, draft)
    except BroadcastError:
        _drop(context)
        await show(update, _(STALE))
        return END
    recipients = recipient_kinds.total(by_kind, draft.get("kinds"))
    tz = svc.config.tz
    at: datetime | None = None
    if draft.get("weekly"):
        at = _weekly_campaign(draft, tz).next_after(datetime.now(UTC), tz)
        if at is None:
            await show(update, _weekly_example(context, lang))
            return WEEKLY_AT
        when_text = _("every week until {day}; next: {when}").format(
            day=day(datetime.fromisoformat(draft["weekly"][1]).date(), lang),
            when=date_time(at, lang, tz)) + f" ({_zone_name(tz, lang, at)})"
    elif draft.get("send_at"):
        at = datetime.fromisoformat(draft["send_at"])
        when_text = f"{date_time(at, lang, tz)} ({_zone_name(tz, lang, at)})"
    else:
        when_text = _("right now")
    summary = _("Recipients now: {n}. Sends: {when}. {urgency}").format(
        n=number(recipients, lang),
        when=when_text,
        urgency=_("Urgent.") if draft.get("urgent") else _("Normal."),
    )
    await show(update, _("Preview: residents will see the message below, exactly as shown.") +
               "\n" + html.escape(summary) + "\n" +
               recipient_kinds.counts_text(by_kind, draft.get("kinds"), lang))
    message = update.effective_message
    if message is not None:
        await message.reply_text(escape_staff_text(draft["text_vi"]))
        if draft.get("text_en"):
            await message.reply_text(escape_staff_text(draft["text_en"]))
        await message.reply_text(
            _("Send it?"),
            reply_markup=buttons([[(_("✅ Send"), callbacks.bc("ok")),
                                   (_("Cancel"), callbacks.bc("stop"))]]),
        )
    return CONFIRM


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    svc = services(context)
    _ = gettext(lang)
    draft = context.user_data.pop(DRAFT, None) or {}  # type: ignore[union-attr]
    user = update.effective_user
    if not draft.get("text_vi") or user is None or _audience_lost(draft):
        await show(update, _(STALE))
        return
    if draft.get("weekly"):
        await svc.campaigns.add_weekly(_weekly_campaign(draft, svc.config.tz),
                                       actor=str(user.id))
        await show(update, _("Weekly broadcast saved; it is listed in /scheduled."))
    else:
        try:
            b = await svc.broadcasts.create(
                draft["text_vi"], text_en=draft.get("text_en"),
                targets=None if draft.get("all") else draft.get("targets"),
                send_at=(datetime.fromisoformat(draft["send_at"]) if draft.get("send_at")
                         else None),
                urgent=bool(draft.get("urgent")), created_by=str(user.id),
                kinds=draft.get("kinds"),
                notify_chat=update.effective_chat.id if update.effective_chat else None,
            )
        except BroadcastError as exc:
            await show(update, html.escape(str(exc)))
            return
        if draft.get("send_at"):
            await show(update, _("Broadcast #{id} is scheduled for {when}.").format(
                id=b.id, when=date_time(b.send_at, lang, svc.config.tz)))
        else:
            # Sent now: say so, not "scheduled for" this minute; progress follows below.
            await show(update, _("Broadcast #{id} is being sent.").format(id=b.id))
    scheduler = context.application.bot_data.get("scheduler")
    if scheduler is not None:
        await scheduler.reconcile()


def _weekly_campaign(draft: dict[str, Any], tz: Any) -> Any:
    from bot.broadcasts.campaigns import STAFF_PREFIX, Campaign

    at, until = draft["weekly"]
    hour, minute = (int(x) for x in at.split(":"))
    today = datetime.now(tz).date()
    last = datetime.fromisoformat(until).date()
    return Campaign(
        key=STAFF_PREFIX + "new", name_vi=draft["text_vi"][:40], name_en=draft["text_vi"][:40],
        season_from=(1, 1), season_to=(12, 31), weekday=int(draft["weekday"]),
        at=datetime.min.time().replace(hour=hour, minute=minute),
        targets=None if draft.get("all") else tuple(draft.get("targets", [])),
        urgent=bool(draft.get("urgent")), text_vi=draft["text_vi"], text_en=draft.get("text_en"),
        guide=draft.get("guide"), until=last if last >= today else today,
        kinds=tuple(draft["kinds"]) if draft.get("kinds") else None,
    )


def _ends_on_error(callback: flows.Step) -> flows.Step:
    return flows.ends_on_error(callback, DRAFT)


def _buttons_of(step: int) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """The wizard buttons step `step` takes, parsed strictly (callbacks.parse)."""
    return CallbackQueryHandler(_ends_on_error(pressed),
                                pattern=flows.buttons_of("broadcast", STEPS[step]))


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The wizard as one ConversationHandler, keyed per chat and user, in private chats only."""
    private_text = (filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT
                    & ~filters.COMMAND)
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        step: [_buttons_of(step)] for step in STEPS
    }
    states[TEXT_VI].append(MessageHandler(private_text, _ends_on_error(typed_text_vi)))
    states[TEXT_EN].append(MessageHandler(private_text, _ends_on_error(typed_text_en)))
    states[AT_TIME] = [MessageHandler(private_text, _ends_on_error(typed_time))]
    states[WEEKLY_AT] = [MessageHandler(private_text, _ends_on_error(typed_weekly))]
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    with warnings.catch_warnings():
        # per_message=False is meant: one wizard per chat and user spans many messages (the
        # preview is new messages), and buttons are matched to the step, not to a message.
        warnings.filterwarnings("ignore", message="If 'per_message=False'",
                                category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("broadcast", _ends_on_error(start),
                               filters=filters.UpdateType.MESSAGE)
            ],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", _ends_on_error(cancel),
                               filters=filters.UpdateType.MESSAGE),
                CallbackQueryHandler(_ends_on_error(cancel), pattern=r"^b:stop$"),
            ],
            allow_reentry=True,  # /broadcast again starts a new draft
            per_chat=True,
            per_user=True,
            per_message=False,
            conversation_timeout=WIZARD_TIMEOUT,
            name="broadcast_wizard",
        )
