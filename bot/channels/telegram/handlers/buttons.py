"""One entry for every button press: parse the data strictly, then route to its feature."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import (
    broadcast,
    callbacks,
    flood_reports,
    flood_staff,
    group_kinds,
    guides,
    info,
    onboarding,
    privacy,
    reports,
    scheduled,
    staff,
    weather_staff,
)
from bot.channels.telegram.handlers.common import answer
from bot.channels.telegram.handlers.fallback import stale_button

logger = logging.getLogger(__name__)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a callback query by its (untrusted) data."""
    query = update.callback_query
    if query is None:
        return
    action = callbacks.parse(query.data)
    if action is None or not isinstance(query.message, Message):
        await stale_button(update, context)
        return
    try:
        if action.name == "lang":
            await onboarding.choose_language(update, context, action.args[0])
        elif action.name == "area":
            await onboarding.choose_area(update, context, action.args[0])
        elif action.name == "group_kind" and action.args[0] == "ask":
            await group_kinds.change(update, context)
        elif action.name == "group_kind":
            await group_kinds.choose(update, context, action.args[0])
        elif action.name == "page":
            await onboarding.turn_page(update, context, int(action.args[0]))
        elif action.name == "forget":
            await privacy.confirm_forget(update, context, action.args[0] == "y")
        elif action.name in ("guides_menu", "guides_hazard", "guide", "emergency"):
            await guides.on_button(update, context, action.name, action.args)
        elif action.name == "menu":
            await info.menu_pressed(update, context)
        elif action.name == "report":
            # The /report flow's own buttons go to its ConversationHandler first: here only
            # those of a finished or expired report.
            await flood_reports.stale(update, context)
        elif action.name == "report_staff":
            await flood_staff.on_button(update, context, action.args)
        elif action.name == "export":
            await reports.on_button(update, context, action.args[0],
                                    word=action.args[1:] == ("w",))
        elif action.name == "broadcast" and action.args[0] in scheduled.STEPS:
            await scheduled.on_button(update, context, action.args[0], action.args[1])
        elif action.name == "broadcast":
            # The wizard's own buttons go to its ConversationHandler first: here only stale ones.
            await broadcast.on_button(update, context)
        elif action.name == "weather":
            # A draft's buttons (the text editing conversation takes its own first).
            await weather_staff.on_button(update, context, action.args)
        elif action.name.startswith("staff_"):
            await staff.on_button(update, context, action.name, action.args)
    finally:
        # Last, after any edit: stop the client's spinner (a no-op if a refusal answered).
        await answer(update, context)
