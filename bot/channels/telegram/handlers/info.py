"""/help (the menu every answer's "📋 Menu" button opens) and /emergency."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.commands import visible_to
from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import (
    ASK_HINT,
    EMERGENCY_BUTTON,
    GUIDES_BUTTON,
    buttons,
    chat_row,
    danger_line,
    menu_only,
    services,
    show,
)
from bot.channels.texts import emergency_text
from bot.i18n import gettext
from bot.roles import Role


def help_text(role: Role, lang: str, private: bool = True) -> str:
    """What the bot is for, how to ask (the main feature: questions are answered in private
    chats only), the commands, and the 112 line."""
    _ = gettext(lang)
    lines = [
        _(
            "<b>Sẵn sàng</b> – Lê Chân ward's disaster-preparedness channel: what to do in "
            "storms, floods, heat and cold, and warnings for your neighbourhood."
        ),
        "",
    ]
    if private:
        lines += [_(ASK_HINT), ""]
    lines += [f"/{c.name} – {html.escape(_(c.help))}" for c in visible_to(role)]
    lines += ["", danger_line(lang)]
    return "\n".join(lines)


def help_markup(lang: str) -> InlineKeyboardMarkup:
    _ = gettext(lang)
    return buttons([[(_(GUIDES_BUTTON), callbacks.GUIDES_MENU),
                     (_(EMERGENCY_BUTTON), callbacks.EMERGENCY)]])


async def _help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    row = await chat_row(update, context)
    user = update.effective_user
    role = await svc.roles.of(user.id if user else None)
    text = help_text(role, row.lang, private=row.kind == "private")
    markup = help_markup(row.lang)
    message = update.effective_message
    if update.callback_query is not None and message is not None:
        # The "📋 Menu" button: a new message below, so the answer above stays readable.
        await message.reply_text(text, reply_markup=markup)
    else:
        await show(update, text, markup)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot does and the commands this user may use."""
    await _help(update, context)


async def menu_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Button m ("📋 Menu"): /help's menu."""
    await _help(update, context)


async def emergency(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/emergency: the national numbers, then the ward's own."""
    row = await chat_row(update, context)
    await show(update, emergency_text(services(context), row.lang), menu_only(row.lang))
