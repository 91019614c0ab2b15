"""Staff buttons on a weather advisory draft: approve, discard, choose areas, edit the text.

Every press re-checks the acting user's role first (callback data can be forged): a resident's
press is refused and changes nothing. The service decides races: of two presses at once, one
wins and the other is told who decided. Editing the text is a conversation (like /broadcast) so
the typed text is not taken for a question; it ends when done, with /cancel, or after 15 minutes.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.broadcasts.broadcasts import MAX_TEXT
from bot.channels.telegram import weather_jobs
from bot.channels.telegram.handlers import callbacks, fallback
from bot.channels.telegram.handlers.access import refuse
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    chat_row,
    fit,
    services,
    show,
)
from bot.channels.telegram.handlers.weather import esc
from bot.i18n import N_, gettext, number
from bot.roles import Role
from bot.store.chats import ChatRow
from bot.weather.advisories import AdvisoryError
from bot.weather.models import Advisory

logger = logging.getLogger(__name__)

EDITING = "weather_edit"  # user_data: {"id": advisory id, "text_vi": …}
EDIT_TIMEOUT = 15 * 60
TEXT_VI, TEXT_EN = range(2)
END = ConversationHandler.END
STALE = N_("This button is old: the draft is no longer there.")


def _user_name(update: Update) -> str:
    user = update.effective_user
    return user.full_name if user is not None else "?"


async def _staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatRow | None:
    """The chat's row when the acting user is staff or lead, checked now; else the refusal."""
    row = await chat_row(update, context)
    user = update.effective_user
    if user is None or not await services(context).roles.is_staff(user.id):
        await refuse(update, context, row.lang, Role.STAFF)
        return None
    return row


async def _decided_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
) -> None:
    """A press on a draft someone already decided: say who, change nothing."""
    _ = gettext(lang)
    name = await weather_jobs.decider_name(context.application, advisory.decided_by)
    if advisory.status == "approved":
        text = _("Already approved by {name}.").format(name=name)
    elif advisory.status == "discarded":
        text = _("Already discarded by {name}.").format(name=name)
    else:
        text = _("This draft was replaced by a newer one.")
    await answer(update, context, text, alert=True)


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, args: tuple[str, ...]
) -> None:
    """Buttons w:… of a draft (the edit conversation takes w:ed, w:ke, w:ve itself)."""
    row = await _staff(update, context)  # before anything else
    if row is None:
        return
    svc = services(context)
    _ = gettext(row.lang)
    step, advisory_id = args[0], int(args[1])
    advisory = await svc.advisories.get(advisory_id)
    user = update.effective_user
    if advisory is None or user is None or step in ("ed", "ke", "ve"):
        await answer(update, context, _(STALE))
        return
    if advisory.status != "draft":
        await _decided_answer(update, context, advisory, row.lang)
        return
    if step in ("ok", "no"):
        await _decide(update, context, advisory, step == "ok", row.lang)
    elif step == "ar":
        await _show_picker(update, context, advisory, row.lang)
    elif step in ("t", "al"):
        await _pick(update, context, advisory, row.lang, args[2] if step == "t" else None)
    elif step == "dn":
        await weather_jobs.refresh_copies(context.application, advisory_id)
        await answer(update, context, _("Areas saved: {areas}.").format(
            areas=weather_jobs.areas_text(svc, advisory, row.lang))[:200])


async def _decide(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, approve: bool,
    lang: str,
) -> None:
    svc = services(context)
    user = update.effective_user
    assert user is not None
    _ = gettext(lang)
    weather_jobs.remember_name(context.application, user.id, user.full_name)
    try:
        if approve:
            decision = await svc.advisories.approve(advisory.id, user.id)
        else:
            decision = await svc.advisories.discard(advisory.id, user.id)
    except AdvisoryError as exc:  # e.g. its areas were removed from the list: nothing changed
        await answer(update, context, _("It could not be sent, nothing changed: {reason}").format(
            reason=str(exc))[:200], alert=True)
        return
    if not decision.changed:  # someone else decided first: their press updates the copies
        await _decided_answer(update, context, decision.advisory, lang)
        return
    if approve:
        # The urgent broadcast starts now (as /broadcast's "send now" does), not at the next
        # reconcile.
        scheduler = context.application.bot_data.get("scheduler")
        if scheduler is not None:
            try:
                await scheduler.reconcile()
            except Exception:  # the reconcile job starts it within seconds anyway
                logger.exception("could not start the broadcast of advisory %s at once",
                                 advisory.id)
        text = _("Approved: urgent broadcast #{id} is being sent.").format(
            id=decision.broadcast_id)
    else:
        text = _("Discarded: nothing was sent to residents.")
    await weather_jobs.refresh_copies(context.application, advisory.id)
    await answer(update, context, text)


def _picker(context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
            ) -> tuple[str, InlineKeyboardMarkup]:
    svc = services(context)
    _ = gettext(lang)
    chosen = set(advisory.areas or ())
    members = {a.id: {a.id} for a in svc.areas.areas}
    members.update({g.id: set(g.area_ids) for g in svc.areas.groups})

    def tick(key: str) -> str:
        # A group is ticked when all its areas are chosen.
        return "✅ " if chosen and members[key] <= chosen else ""

    rows = [[(("✅ " if not chosen else "") + _("All areas"),
              callbacks.weather("al", advisory.id))]]
    cells = [(fit(tick(a.id) + a.name(lang)), callbacks.weather("t", advisory.id, a.id))
             for a in svc.areas.areas]
    cells += [(fit(tick(g.id) + g.name(lang)), callbacks.weather("t", advisory.id, g.id))
              for g in svc.areas.groups]
    rows += [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append([(_("Done"), callbacks.weather("dn", advisory.id))])
    text = _("Draft #{id}: which areas should get it? Choose areas or groups, then Done.").format(
        id=advisory.id)
    return esc(text), buttons(rows)


async def _show_picker(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
) -> None:
    text, markup = _picker(context, advisory, lang)
    await show(update, text, markup)


async def _pick(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str,
    target: str | None,
) -> None:
    """Toggle one area or a group's areas (target), or back to every area (None)."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    _ = gettext(lang)
    areas: tuple[str, ...] | None = None
    if target is not None:
        members = {a.id: {a.id} for a in svc.areas.areas}
        members.update({g.id: set(g.area_ids) for g in svc.areas.groups})
        if target not in members:
            await answer(update, context, _(STALE))
            return
        chosen = set(advisory.areas or ())
        # A group toggles as one: all its areas in, or (when all were in) all out.
        chosen = chosen - members[target] if members[target] <= chosen else (
            chosen | members[target])
        areas = tuple(sorted(chosen)) or None  # nothing ticked: every area again
    try:
        decision = await svc.advisories.set_areas(advisory.id, user.id, areas)
    except AdvisoryError as exc:
        await answer(update, context, str(exc), alert=True)
        return
    if not decision.changed:
        await _decided_answer(update, context, decision.advisory, lang)
        return
    await _show_picker(update, context, decision.advisory, lang)


# ------------------------------------------------------------------ the edit conversation


def _editing(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    found: dict[str, Any] = data.setdefault(EDITING, {})
    return found


def _drop(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.user_data is not None:
        context.user_data.pop(EDITING, None)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)


async def start_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Button w:ed:<id>: ask for the new Vietnamese text."""
    row = await _staff(update, context)
    if row is None:
        return END
    _ = gettext(row.lang)
    action = callbacks.parse(update.callback_query.data)  # type: ignore[union-attr]
    assert action is not None
    advisory = await services(context).advisories.get(int(action.args[1]))
    if advisory is None:
        await answer(update, context, _(STALE))
        return END
    if advisory.status != "draft":
        await _decided_answer(update, context, advisory, row.lang)
        return END
    context.user_data[EDITING] = {"id": advisory.id}  # type: ignore[index]
    await _reply(update, esc(_(
        "Send the new Vietnamese text of draft #{id}, as residents should read it (at most {n} "
        "characters). /cancel leaves the draft unchanged.").format(
            id=advisory.id, n=number(MAX_TEXT, row.lang))))
    await answer(update, context)
    return TEXT_VI


async def _typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, str] | None:
    """(language, typed text) while still staff; None (editing dropped) otherwise."""
    row = await _staff(update, context)
    message = update.effective_message
    if row is None or message is None or not message.text or not _editing(context).get("id"):
        _drop(context)
        return None
    return row.lang, message.text.strip()


async def _fits(update: Update, lang: str, text: str) -> bool:
    if text and len(text) <= MAX_TEXT:
        return True
    _ = gettext(lang)
    await _reply(update, esc(_(
        "This text has {count} characters; a warning can have at most {n}. Please send a "
        "shorter text, or /cancel.").format(count=number(len(text), lang),
                                              n=number(MAX_TEXT, lang))))
    return False


async def typed_vi(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The new Vietnamese text (step TEXT_VI)."""
    typed = await _typed(update, context)
    if typed is None:
        return END
    lang, text = typed
    if not await _fits(update, lang, text):
        return None
    editing = _editing(context)
    editing["text_vi"] = text
    _ = gettext(lang)
    await _reply(update, esc(_("Now send the English text, or choose:")), buttons([
        [(_("Keep the drafted English"), callbacks.weather("ke", editing["id"]))],
        [(_("Vietnamese for everyone"), callbacks.weather("ve", editing["id"]))],
    ]))
    return TEXT_EN


async def typed_en(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The new English text (step TEXT_EN)."""
    typed = await _typed(update, context)
    if typed is None:
        return END
    lang, text = typed
    if not await _fits(update, lang, text):
        return None
    return await _save(update, context, lang, text)


async def pressed_en(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """w:ke (keep the drafted English) or w:ve (the Vietnamese text for everyone)."""
    row = await _staff(update, context)
    if row is None:
        _drop(context)
        return END
    action = callbacks.parse(update.callback_query.data)  # type: ignore[union-attr]
    assert action is not None
    editing = _editing(context)
    if int(action.args[1]) != editing.get("id") or not editing.get("text_vi"):
        _ = gettext(row.lang)
        await answer(update, context, _(STALE))
        return None
    if action.args[0] == "ve":
        text_en = editing["text_vi"]
    else:
        advisory = await services(context).advisories.get(editing["id"])
        text_en = advisory.text_en if advisory is not None else editing["text_vi"]
    state = await _save(update, context, row.lang, text_en)
    await answer(update, context)
    return state


async def _save(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, text_en: str
                ) -> int:
    svc = services(context)
    editing = context.user_data.pop(EDITING, None) or {}  # type: ignore[union-attr]
    user = update.effective_user
    _ = gettext(lang)
    if user is None or not editing.get("text_vi"):
        return END
    try:
        decision = await svc.advisories.edit(editing["id"], user.id, editing["text_vi"], text_en)
    except AdvisoryError as exc:
        await _reply(update, esc(_("The text was not changed: {reason}").format(
            reason=str(exc))))
        return END
    if not decision.changed:
        name = await weather_jobs.decider_name(context.application,
                                               decision.advisory.decided_by)
        await _reply(update, esc(_(
            "Draft #{id} was already decided (by {name}): the text was not changed.").format(
                id=editing["id"], name=name)))
        return END
    await weather_jobs.refresh_copies(context.application, editing["id"])
    await _reply(update, esc(_(
        "Draft #{id} now has the new text; every staff copy shows it. Approve it there.").format(
            id=editing["id"])))
    return END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/cancel while editing: the draft stays as it was."""
    row = await chat_row(update, context)
    _drop(context)
    _ = gettext(row.lang)
    await _reply(update, _("Cancelled: the draft is unchanged."))
    return END


async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """No answer for EDIT_TIMEOUT: the editing ends, the draft is unchanged."""
    editing = (context.user_data or {}).get(EDITING) or {}
    _drop(context)
    chat = update.effective_chat
    if chat is None:
        return
    try:
        row = await chat_row(update, context)
        _ = gettext(row.lang)
        await context.bot.send_message(chat.id, esc(_(
            "Editing of draft #{id} ended: no answer for {minutes} minutes. The draft is "
            "unchanged.").format(id=editing.get("id", "?"),
                                 minutes=number(EDIT_TIMEOUT // 60, row.lang))))
    except Exception:
        logger.warning("could not tell a staff chat its editing ended", exc_info=True)


Step = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int | None]]


def _ends_on_error(callback: Step) -> Step:
    """A failing step ends the editing (apologised for by the error handler): a failed step's
    state would otherwise take the staff member's questions for good."""

    @functools.wraps(callback)
    async def step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
        try:
            return await callback(update, context)
        except Exception as exc:
            _drop(context)
            context.error = exc
            await fallback.on_error(update, context)
            return END

    return step


def _weather_buttons(*steps: str) -> Callable[[object], bool]:
    def matches(data: object) -> bool:
        action = callbacks.parse(data if isinstance(data, str) else None)
        return action is not None and action.name == "weather" and action.args[0] in steps

    return matches


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """Editing a draft's text, keyed per chat and user, in private chats."""
    private_text = (filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT
                    & ~filters.COMMAND)
    with warnings.catch_warnings():
        # per_message=False is meant: the questions are new messages, not the draft's copy.
        warnings.filterwarnings("ignore", message="If 'per_message=False'",
                                category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(_ends_on_error(start_edit),
                                               pattern=_weather_buttons("ed"))],
            states={
                TEXT_VI: [MessageHandler(private_text, _ends_on_error(typed_vi))],
                TEXT_EN: [MessageHandler(private_text, _ends_on_error(typed_en)),
                          CallbackQueryHandler(_ends_on_error(pressed_en),
                                               pattern=_weather_buttons("ke", "ve"))],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[CommandHandler("cancel", _ends_on_error(cancel),
                                      filters=filters.UpdateType.MESSAGE)],
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            per_message=False,
            conversation_timeout=EDIT_TIMEOUT,
            name="weather_edit",
        )
