"""/guides (topic → guide, in one message edited in place) and answers to free-text questions."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import (
    EMERGENCY_BUTTON,
    GUIDES_BUTTON,
    answer,
    buttons,
    chat_row,
    danger_line,
    fit,
    menu_row,
    services,
    show,
)
from bot.channels.telegram.handlers.fallback import STALE_BUTTON as STALE
from bot.channels.texts import emergency_text
from bot.guides.library import HAZARDS, Guide, Library
from bot.guides.render import guide_text, split_message
from bot.i18n import N_, gettext
from bot.store.chats import chat_kind

MAX_QUESTION = 1000  # longer messages are searched by their start

# The hazards on buttons, two a row: short, with an icon (HAZARDS keeps the long names for
# headings). Every hazard of bot.guides.library.HAZARDS has one; tests/test_ui_texts.py checks.
HAZARD_BUTTONS: dict[str, str] = {
    "storm": N_("🌀 Storms"),
    "flood": N_("🌧 Heavy rain, flooding"),
    "river": N_("🏞 River floods, dykes"),
    "surge": N_("🌊 King tides, surge"),
    "thunderstorm": N_("⛈ Thunder, lightning"),
    "heat": N_("☀️ Heat waves"),
    "cold": N_("❄️ Cold spells"),
    "drought": N_("🏜 Drought, salt water"),
    "fire": N_("🔥 Fire, CO gas"),
    "landslide": N_("⛰ Landslides"),
    "general": N_("👪 Family"),
}


def hazard_label(hazard: str, lang: str) -> str:
    _ = gettext(lang)
    return _(HAZARD_BUTTONS.get(hazard, HAZARDS.get(hazard, hazard)))


def guide_label(guide: Guide, prefix: str = "") -> str:
    """A guide's button: its short title (no phase prefix: the title says the phase)."""
    return fit(prefix + guide.label)


def menu_markup(lang: str, library: Library) -> InlineKeyboardMarkup:
    """The topics that have guides, two a row, then the emergency numbers and the way back to
    the menu."""
    _ = gettext(lang)
    labels = [(hazard_label(h, lang), callbacks.guides_hazard(h)) for h in HAZARDS
              if library.for_hazard(h, lang)]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append([(_(EMERGENCY_BUTTON), callbacks.EMERGENCY), *menu_row(lang)])
    return buttons(rows)


def guide_markup(see_also: tuple[Guide, ...], lang: str) -> InlineKeyboardMarkup:
    _ = gettext(lang)
    rows = [[(guide_label(g, "📖 "), callbacks.guide(g.id))] for g in see_also]
    rows.append([(_(GUIDES_BUTTON), callbacks.GUIDES_MENU)])
    rows.append([(_(EMERGENCY_BUTTON), callbacks.EMERGENCY), *menu_row(lang)])
    return buttons(rows)


async def guides(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/guides: the topics."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    await show(update, _("Please choose a topic:"),
               menu_markup(row.lang, services(context).library))


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, action: str, args: tuple[str, ...]
) -> None:
    """Buttons g:m, g:h:HAZARD, g:v:GUIDE and e."""
    svc = services(context)
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    if action == "guides_menu":
        await show(update, _("Please choose a topic:"), menu_markup(row.lang, svc.library))
    elif action == "guides_hazard":
        hazard = args[0]
        found = svc.library.for_hazard(hazard, row.lang) if hazard in HAZARDS else []
        if not found:
            await answer(update, context, _(STALE))
            return
        rows = [[(guide_label(g), callbacks.guide(g.id))] for g in found]
        rows.append([("◀ " + _("All guides"), callbacks.GUIDES_MENU)])
        await show(update, f"<b>{html.escape(_(HAZARDS[hazard]))}</b>\n" +
                   _("Please choose a guide:"), buttons(rows))
    elif action == "guide":
        guide = await svc.answers.view(args[0], row.lang, area_id=row.area_id,
                                       chat_kind=chat_kind(row.kind, row.group_kind))
        if guide is None:
            await answer(update, context, _(STALE))
            return
        await send_guide(update, context, guide, svc.answers.related(guide, row.lang), row.lang,
                         edit=True)
    elif action == "emergency":
        message = update.effective_message
        if message is not None:
            await message.reply_text(emergency_text(svc, row.lang))


async def send_guide(
    update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide,
    see_also: tuple[Guide, ...], lang: str, *, edit: bool, prefix: str = "",
) -> None:
    """A guide in as few messages as fit; the buttons go under the last part."""
    parts = split_message(prefix + guide_text(guide, lang))
    markup = guide_markup(see_also, lang)
    message = update.effective_message
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if i == 0 and edit:
            await show(update, part, markup if last else None)
        elif message is not None:
            await message.reply_text(part, reply_markup=markup if last else None)


async def group_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, a message that names the bot (@bot …) or answers one of its messages is a
    question (what Telegram gives a bot in privacy mode); the group's kind picks the guide
    written for it first (a school's storm guide for a school)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    me = (context.bot.username or "").lower()
    mention = f"@{me}"
    replied = message.reply_to_message
    to_us = replied is not None and replied.from_user is not None and replied.from_user.id == (
        context.bot.id)
    if mention and mention in message.text.lower():
        text = re.sub(re.escape(mention), " ", message.text, flags=re.IGNORECASE)
    elif to_us:
        text = message.text
    else:
        return  # talk between members, not to the bot
    if text.strip():
        await question(update, context, text)


async def question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None
) -> None:
    """Free text in a private chat: the best guide, danger first, or a kind 'not found'."""
    svc = services(context)
    row = await chat_row(update, context)
    message = update.effective_message
    if message is None or not message.text:
        return
    _ = gettext(row.lang)
    text = message.text if text is None else text
    result = await svc.answers.ask(text[:MAX_QUESTION], row.lang,
                                   area_id=row.area_id,
                                   chat_kind=chat_kind(row.kind, row.group_kind))
    # Danger: the 112 line and the numbers open the answer (emergency_text starts with the line).
    prefix = emergency_text(svc, row.lang) + "\n\n" if result.danger else ""
    if result.guide is None:
        head = prefix or danger_line(row.lang) + "\n\n"
        text = head + _(
            "No guide was found for that. Please choose a topic below, or ask in fewer words, "
            "for example: “storm”, “heat”."
        )
        await message.reply_text(text, reply_markup=menu_markup(row.lang, svc.library))
        return
    await send_guide(update, context, result.guide, result.see_also, row.lang, edit=False,
                     prefix=prefix)
