"""Membership: the bot added to or removed from a group, or blocked in a private chat."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.common import area_keyboard, chat_row, services
from bot.channels.telegram.handlers.onboarding import choose_area_text
from bot.i18n import gettext

logger = logging.getLogger(__name__)

PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """my_chat_member: greet a group that adds the bot; unsubscribe one that removes it."""
    change = update.my_chat_member
    if change is None:
        return
    svc = services(context)
    chat = change.chat
    was_in = change.old_chat_member.status in PRESENT
    is_in = change.new_chat_member.status in PRESENT
    if chat.type == "private":
        # A resident blocked the bot (kicked) or came back.
        if was_in != is_in:
            await svc.subscriptions.set_blocked(chat.id, blocked=not is_in)
        return
    if is_in and not was_in:
        # A group's id is no one's personal data; the operator needs it for SANSANG_STAFF_GROUP.
        logger.info("added to a group, chat id %d (set SANSANG_STAFF_GROUP to it if this is "
                    "the ward staff's group)", chat.id)
        row = await chat_row(update, context)
        _ = gettext(row.lang)
        greeting = _(
            "Hello! This is <b>Sẵn sàng</b>, the disaster-preparedness channel of Lê Chân "
            "ward. This group can receive warnings for its neighbourhood."
        )
        await context.bot.send_message(
            chat.id,
            greeting + "\n\n" + choose_area_text(svc, row.lang, row),
            reply_markup=area_keyboard(svc, row.lang),
        )
    elif was_in and not is_in:
        await svc.subscriptions.unsubscribe(chat.id, reason="removed")
        logger.info("removed from a group; it is unsubscribed")


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its settings follow the new chat id."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        await services(context).subscriptions.migrate(message.chat.id, message.migrate_to_chat_id)
