"""/guides (topic → guide, in one message edited in place) and answers to free-text questions."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import answer, buttons, chat_row, services, show
from bot.channels.telegram.handlers.info import emergency_text
from bot.guides.library import HAZARDS, PHASES, Guide
from bot.guides.render import guide_text, split_message
from bot.i18n import gettext
from bot.store.chats import chat_kind

MAX_QUESTION = 1000  # longer messages are searched by their start


def menu_markup(lang: str) -> InlineKeyboardMarkup:
    _ = gettext(lang)
    labels = [(_(label), callbacks.guides_hazard(h)) for h, label in HAZARDS.items()]
    return buttons([labels[i : i + 2] for i in range(0, len(labels), 2)])


def guide_markup(see_also: tuple[Guide, ...], lang: str) -> InlineKeyboardMarkup:
    _ = gettext(lang)
    rows = [[("📖 " + g.title, callbacks.guide(g.id))] for g in see_also]
    rows.append([("🆘 " + _("Emergency numbers"), callbacks.EMERGENCY),
                 ("📚 " + _("All guides"), callbacks.GUIDES_MENU)])
    return buttons(rows)


async def guides(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/guides: the topics."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    await show(update, _("Choose a topic:"), menu_markup(row.lang))


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, action: str, args: tuple[str, ...]
) -> None:
    """Buttons g:m, g:h:HAZARD, g:v:GUIDE and e."""
    svc = services(context)
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    if action == "guides_menu":
        await show(update, _("Choose a topic:"), menu_markup(row.lang))
    elif action == "guides_hazard":
        hazard = args[0]
        found = svc.library.for_hazard(hazard, row.lang) if hazard in HAZARDS else []
        if not found:
            await answer(update, context, _("This button is no longer valid."))
            return
        rows = [[(f"{_(PHASES[g.phase])}: {g.title}", callbacks.guide(g.id))] for g in found]
        rows.append([("◀ " + _("All guides"), callbacks.GUIDES_MENU)])
        await show(update, f"<b>{html.escape(_(HAZARDS[hazard]))}</b>\n" + _("Choose a guide:"),
                   buttons(rows))
    elif action == "guide":
        guide = await svc.answers.view(args[0], row.lang, area_id=row.area_id,
                                       chat_kind=chat_kind(row.kind))
        if guide is None:
            await answer(update, context, _("This button is no longer valid."))
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


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text in a private chat: the best guide, danger first, or a kind 'not found'."""
    svc = services(context)
    row = await chat_row(update, context)
    message = update.effective_message
    if message is None or not message.text:
        return
    _ = gettext(row.lang)
    result = await svc.answers.ask(message.text[:MAX_QUESTION], row.lang, area_id=row.area_id,
                                   chat_kind=chat_kind(row.kind))
    prefix = emergency_text(svc, row.lang) + "\n\n" if result.danger else ""
    if result.guide is None:
        text = prefix + _(
            "Sorry, I could not find a guide for that. Please choose a topic below, or ask in "
            "other words. In danger, call 112."
        )
        await message.reply_text(text, reply_markup=menu_markup(row.lang))
        return
    await send_guide(update, context, result.guide, result.see_also, row.lang, edit=False,
                     prefix=prefix)
