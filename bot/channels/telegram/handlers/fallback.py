"""Everything no other handler took: unknown commands, photos and stickers, free text, errors."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.common import answer, chat_row, services
from bot.i18n import N_, gettext, guess_lang

logger = logging.getLogger(__name__)


UNKNOWN_COMMAND = N_("Sorry, I do not know that command. See /help.")
NOT_TEXT = N_("Sorry, I can only read text messages. See /help.")


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, message_id: str) -> None:
    row = await chat_row(update, context)
    message = update.effective_message
    if message is not None:
        _ = gettext(row.lang)
        await message.reply_text(_(message_id))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not have: say so kindly and point to /help."""
    await _reply(update, context, UNKNOWN_COMMAND)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, sticker, voice note... in a private chat."""
    await _reply(update, context, NOT_TEXT)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Button data that is not one of ours (old, or forged)."""
    chat = update.effective_chat
    row = await services(context).subscriptions.get(chat.id) if chat else None
    user = update.effective_user
    lang = row.lang if row else guess_lang(user.language_code if user else None)
    logger.info("ignored a button press with unknown data")
    _ = gettext(lang)
    await answer(update, context, _("This button is no longer valid."))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; where there is a chat, apologise instead of staying silent."""
    logger.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        row = await services(context).subscriptions.get(update.effective_chat.id)
        lang = row.lang if row else "vi"
        _ = gettext(lang)
        text = _(
            "Sorry, something went wrong on our side. Please try again in a moment. "
            "In an emergency, call 112."
        )
        if update.callback_query is not None:
            await answer(update, context, text, alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, html.escape(text))
    except Exception:  # the apology itself failed (API down?): the log above is what counts
        logger.warning("could not send the apology", exc_info=True)
