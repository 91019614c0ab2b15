"""What every handler needs: the services, the chat's language, keyboards, editing in place."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import cast

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.texts import DANGER_LINE as DANGER_LINE  # said the same on every channel
from bot.channels.texts import danger_line as danger_line
from bot.i18n import N_, gettext, guess_lang
from bot.services import Services
from bot.store.chats import ChatRow

logger = logging.getLogger(__name__)

AREAS_PER_PAGE = 8
ADMIN_STATUSES = ("creator", "administrator")
MAX_LABEL = 30  # characters of a full-width inline button a phone shows whole

# The one line that opens every danger answer and every reply that did not understand: the same
# words everywhere, so a resident in trouble reads the action first whatever they sent.
MENU = N_("📋 Menu")
EMERGENCY_BUTTON = N_("🆘 Emergency numbers")
GUIDES_BUTTON = N_("📚 All guides")
# The main feature, said where residents start (/help, subscribed): they may simply type.
ASK_HINT = N_(
    "💬 Just type your question in a few words (Vietnamese works too, with or without accents). "
    "For example: <i>flood in the house now</i> or <i>what to prepare before a storm</i>."
)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return cast(Services, context.application.bot_data["services"])


async def chat_row(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatRow:
    """The stored settings of the update's chat, created on first contact."""
    chat = cast(Chat, update.effective_chat)
    user = update.effective_user
    svc = services(context)
    row = await svc.subscriptions.get(chat.id)
    if row is None:
        lang = guess_lang(user.language_code if user else None) if chat.type == "private" else "vi"
        row = await svc.subscriptions.ensure(chat.id, chat.type, lang, chat.title)
    return row


def lang_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[
            InlineKeyboardButton("🇻🇳 Tiếng Việt", callback_data=callbacks.lang("vi")),
            InlineKeyboardButton("🇬🇧 English", callback_data=callbacks.lang("en")),
        ]]
    )


def area_keyboard(svc: Services, lang: str, page: int = 0) -> InlineKeyboardMarkup:
    """Areas two a row, AREAS_PER_PAGE a page, with ◀ ▶ when the list is long."""
    _ = gettext(lang)
    areas = svc.areas.areas
    pages = max(1, -(-len(areas) // AREAS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = areas[page * AREAS_PER_PAGE : (page + 1) * AREAS_PER_PAGE]
    rows: list[list[InlineKeyboardButton]] = []
    for i in range(0, len(shown), 2):
        rows.append(
            [InlineKeyboardButton(fit(a.name(lang)), callback_data=callbacks.area(a.id))
             for a in shown[i : i + 2]]
        )
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton(_("◀ Previous page"),
                                            callback_data=callbacks.page(page - 1)))
        nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=callbacks.page(page)))
        if page < pages - 1:
            nav.append(InlineKeyboardButton(_("Next page ▶"),
                                            callback_data=callbacks.page(page + 1)))
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def buttons(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def fit(label: str, limit: int = MAX_LABEL) -> str:
    """A button label cut to what a phone shows (names from files can be long): an explanation
    in brackets goes first ("Cụm An Biên (Lam Sơn, Cát Dài, An Biên)" → "Cụm An Biên"), then
    the end of the words."""
    label = " ".join(label.split())
    if len(label) > limit and " (" in label and label.endswith(")"):
        label = label[: label.rindex(" (")]
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def menu_row(lang: str) -> list[tuple[str, str]]:
    """The "📋 Menu" button: a way back to /help's menu from any answer."""
    _ = gettext(lang)
    return [(_(MENU), callbacks.MENU)]


def menu_only(lang: str) -> InlineKeyboardMarkup:
    return buttons([menu_row(lang)])


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer a button press by editing its message in place, anything else with a new message."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            result = await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            # Pressing the same button twice asks for the same content: nothing to change.
            if "not modified" in str(exc).lower():
                return query.message
            raise
        return result if isinstance(result, Message) else None
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(text, reply_markup=markup)


async def answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None,
    alert: bool = False,
) -> None:
    """Answer a button press once (Telegram shows a spinner until then)."""
    query = update.callback_query
    if query is None:
        return
    answered: OrderedDict[str, None] = context.bot_data.setdefault("answered", OrderedDict())
    if query.id in answered:
        return
    answered[query.id] = None
    while len(answered) > 1000:
        answered.popitem(last=False)
    await query.answer(text, show_alert=alert)


async def is_group_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In a group, only its administrators may change what the group receives."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == "private":
        return True
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in ADMIN_STATUSES
