"""Editing a weather draft's text: the new Vietnamese text, then the English one (or keep the
drafted English, or the Vietnamese for everyone); then every staff copy shows it.

A conversation like /broadcast's, so the typed text is not taken for a question; it ends when
done, with /cancel, or after EDIT_TIMEOUT without an answer. Every step re-checks the role.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
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
from bot.channels.telegram.handlers import callbacks, flows
from bot.channels.telegram.handlers.common import answer, buttons, chat_row, services
from bot.channels.telegram.handlers.weather import esc
from bot.channels.telegram.handlers.weather_staff import STALE, decided_answer, staff_row
from bot.i18n import gettext, number
from bot.weather.advisories import AdvisoryError

logger = logging.getLogger(__name__)

EDITING = "weather_edit"  # user_data: {"id": advisory id, "text_vi": …}
EDIT_TIMEOUT = 15 * 60
TEXT_VI, TEXT_EN = range(2)
END = ConversationHandler.END


def _editing(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    found: dict[str, Any] = data.setdefault(EDITING, {})
    return found


def _drop(context: ContextTypes.DEFAULT_TYPE) -> None:
    flows.drop(context, EDITING)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)


async def start_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Button w:ed:<id>: ask for the new Vietnamese text."""
    row = await staff_row(update, context)
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
        await decided_answer(update, context, advisory, row.lang)
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
    row = await staff_row(update, context)
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
    row = await staff_row(update, context)
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


def _ends_on_error(callback: flows.Step) -> flows.Step:
    return flows.ends_on_error(callback, EDITING)


def _weather_buttons(*steps: str) -> Callable[[object], bool]:
    return flows.buttons_of("weather", steps)


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
