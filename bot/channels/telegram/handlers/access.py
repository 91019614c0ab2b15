"""Authorisation for staff and lead actions, checked on every command and every button press.

Who acts is always `update.effective_user`; the role is read from the database each time, so a
role taken away takes effect at once, on buttons already shown too.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.common import answer, chat_row, services, show
from bot.i18n import gettext
from bot.roles import Role
from bot.store.chats import ChatRow


async def refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, need: Role
) -> None:
    """The same refusal for a command or a (possibly forged) button."""
    _ = gettext(lang)
    text = (
        _("Sorry, this is only for the lead officer.")
        if need == Role.LEAD
        else _("Sorry, this is only for ward staff.")
    )
    if update.callback_query is not None:
        await answer(update, context, text, alert=True)
    else:
        await show(update, text)


async def require(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, need: Role
) -> bool:
    """True when the acting user has at least `need`; otherwise refuse and return False."""
    user = update.effective_user
    if user is not None and await services(context).roles.of(user.id) >= need:
        return True
    await refuse(update, context, lang, need)
    return False


async def in_private(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> bool:
    """True in a private chat; in a group, ask for one instead (staff work is not for groups:
    a workbook or a draft broadcast would be shown to every member)."""
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        return True
    _ = gettext(lang)
    text = _("Please use this command in a private chat with the bot.")
    if update.callback_query is not None:
        await answer(update, context, text, alert=True)
    else:
        await show(update, text)
    return False


async def staff_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, need: Role
) -> ChatRow | None:
    """The chat's row when the acting user has `need` and the chat is private; otherwise the
    refusal or the request for a private chat is sent, and None returned."""
    row = await chat_row(update, context)
    if not await require(update, context, row.lang, need):
        return None
    if not await in_private(update, context, row.lang):
        return None
    return row
