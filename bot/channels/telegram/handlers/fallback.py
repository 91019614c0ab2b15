"""Everything no other handler took: unknown commands, photos and stickers, free text, errors.

Every reply here that did not understand opens with the 112 line (common.DANGER_LINE): a
resident in danger may send a voice note, a photo or a wrong command, and must read the action
first.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.common import (
    answer,
    chat_row,
    danger_line,
    menu_only,
    services,
)
from bot.i18n import N_, gettext, guess_lang

logger = logging.getLogger(__name__)


UNKNOWN_COMMAND = N_("Sorry, there is no such command. Press /help to see the menu.")
NOT_VOICE = N_(
    "Sorry, voice messages cannot be listened to here. Please type your question instead "
    "(Vietnamese without accents is fine)."
)
NOT_TEXT = N_(
    "Sorry, only typed messages can be read here, not photos, stickers or files. Please type "
    "your question instead (Vietnamese without accents is fine)."
)
STALE_BUTTON = N_("This button is old. Press /help to open the menu again.")
ERROR = N_("Sorry, something went wrong on our side. Please try again in a moment.")


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, message_id: str) -> None:
    """The 112 line, then the message, with the way back to the menu."""
    row = await chat_row(update, context)
    message = update.effective_message
    if message is not None:
        _ = gettext(row.lang)
        await message.reply_text(danger_line(row.lang) + "\n\n" + _(message_id),
                                 reply_markup=menu_only(row.lang))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not have: say so kindly and point to /help."""
    await _reply(update, context, UNKNOWN_COMMAND)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, sticker, voice note... in a private chat."""
    message = update.effective_message
    spoken = message is not None and bool(message.voice or message.audio or message.video_note)
    await _reply(update, context, NOT_VOICE if spoken else NOT_TEXT)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Button data that is not one of ours (old, or forged)."""
    chat = update.effective_chat
    row = await services(context).subscriptions.get(chat.id) if chat else None
    user = update.effective_user
    lang = row.lang if row else guess_lang(user.language_code if user else None)
    logger.info("ignored a button press with unknown data")
    _ = gettext(lang)
    await answer(update, context, _(STALE_BUTTON))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; where there is a chat, apologise instead of staying silent."""
    logger.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        row = await services(context).subscriptions.get(update.effective_chat.id)
        lang = row.lang if row else "vi"
        _ = gettext(lang)
        text = danger_line(lang) + "\n\n" + _(ERROR)
        if update.callback_query is not None:
            await answer(update, context, text, alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, html.escape(text))
    except Exception:  # the apology itself failed (API down?): the log above is what counts
        logger.warning("could not send the apology", exc_info=True)
