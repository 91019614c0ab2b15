"""What kind of group a chat is (school, market, office, residential group, other): asked when an
administrator subscribes the group, asked once of groups subscribed before kinds existed, and
changed later from /area. Only the group's administrators choose, checked with Telegram
(getChatMember) at every press, as for the area.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    chat_row,
    is_group_admin,
    menu_row,
    services,
    show,
)
from bot.channels.telegram.handlers.fallback import STALE_BUTTON
from bot.i18n import N_, gettext
from bot.store import chats as chat_store
from bot.store.chats import ChatRow

logger = logging.getLogger(__name__)

# chats.group_kind → its button (and its name in /mydata), in the order the buttons show.
GROUP_KIND_LABELS: dict[str, str] = {
    "school": N_("School"),
    "market": N_("Market"),
    "office": N_("Office or agency"),
    "residential": N_("Residential group"),
    "other": N_("Other"),
}
ONLY_ADMINS = N_("Only the group's administrators can choose what kind of group this is.")


def kind_name(kind: str | None, lang: str) -> str:
    _ = gettext(lang)
    return _(GROUP_KIND_LABELS[kind]) if kind in GROUP_KIND_LABELS else _("not chosen")


def kind_question(lang: str) -> str:
    _ = gettext(lang)
    return _(
        "What kind of group is this? A group administrator, please choose: warnings and guides "
        "are then chosen for it (for example, the school guides for a school)."
    )


def kind_keyboard(lang: str) -> InlineKeyboardMarkup:
    """The five kinds, two a row."""
    _ = gettext(lang)
    cells = [(_(label), callbacks.group_kind(kind)) for kind, label in GROUP_KIND_LABELS.items()]
    return buttons([cells[i : i + 2] for i in range(0, len(cells), 2)])


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, row: ChatRow) -> None:
    """Send the kind question to the group as a new message (a reply, never a broadcast)."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(kind_question(row.lang), reply_markup=kind_keyboard(row.lang))


async def after_subscribed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, row: ChatRow
) -> None:
    """An administrator subscribed a group (chose its area): ask its kind if it has none yet."""
    if row.kind == "private" or row.group_kind is not None:
        return
    await chat_store.claim_kind_question(services(context).db, row.chat_id)
    await ask(update, context, row)


async def ask_once(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After the bot answered a command in a group subscribed before kinds existed: ask its kind,
    once (chats.kind_asked). Runs after the command's own handler (a later handler group), so the
    question follows the answer the group asked for, one group at a time, never in a burst."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None or chat.type == "private" or not _ours(update, context):
        return
    svc = services(context)
    row = await svc.subscriptions.get(chat.id)
    if row is None or not row.subscribed or row.group_kind is not None or row.kind_asked:
        return
    if await chat_store.claim_kind_question(svc.db, chat.id):
        logger.info("asked a group subscribed before group kinds what kind it is")
        await ask(update, context, row)


def _ours(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A command of ours (the bot answered it): not one for another bot, not an unknown one."""
    from bot.channels.telegram.commands import COMMANDS

    message = update.effective_message
    text = message.text if message is not None else None
    if not text or not text.startswith("/"):
        return False
    command, _, addressee = text.split()[0][1:].partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return False
    return command.lower() in {c.name for c in COMMANDS}


async def _admin_row(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatRow | None:
    """The group's row when the one who pressed administers it (asked of Telegram now); else
    None, once they have been told why."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    if row.kind == "private":
        await answer(update, context, _(STALE_BUTTON))
        return None
    if not await is_group_admin(update, context):
        await answer(update, context, _(ONLY_ADMINS), alert=True)
        return None
    return row


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """Button k:KIND: the group says what it is (administrators only, checked now)."""
    svc = services(context)
    row = await _admin_row(update, context)
    if row is None:
        return
    _ = gettext(row.lang)
    row = await svc.subscriptions.set_group_kind(row.chat_id, kind)
    await chat_store.claim_kind_question(svc.db, row.chat_id)  # asked and answered: never again
    text = _("✅ This group is now: <b>{kind}</b>. To change it: /area").format(
        kind=kind_name(kind, row.lang))
    await show(update, text, buttons([menu_row(row.lang)]))


async def change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Button k:ask (under /area in a group): offer the kinds again, administrators only."""
    row = await _admin_row(update, context)
    if row is None:
        return
    _ = gettext(row.lang)
    text = _("This group is: <b>{kind}</b>.").format(kind=kind_name(row.group_kind, row.lang))
    await show(update, text + "\n" + kind_question(row.lang), kind_keyboard(row.lang))


def change_button(row: ChatRow) -> tuple[str, str]:
    """The /area button that changes the group's kind."""
    _ = gettext(row.lang)
    return (_("🏷 Kind of group"), callbacks.GROUP_KIND_ASK)
