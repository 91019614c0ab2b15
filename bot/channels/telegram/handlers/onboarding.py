"""Onboarding and settings: /start (with deep links), language, neighbourhood, (un)subscribe."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import group_kinds
from bot.channels.telegram.handlers.common import (
    ASK_HINT,
    answer,
    area_keyboard,
    chat_row,
    is_group_admin,
    lang_keyboard,
    menu_only,
    services,
    show,
)
from bot.channels.telegram.handlers.fallback import STALE_BUTTON
from bot.i18n import LANGUAGES, gettext
from bot.services import Services
from bot.store.chats import ChatRow
from bot.subscriptions.areas import AREA_ID

logger = logging.getLogger(__name__)


def welcome_text() -> str:
    """Before a language is chosen, greet in both."""
    parts = []
    for lang in LANGUAGES:
        _ = gettext(lang)
        parts.append(
            _(
                "Hello! This is <b>Sẵn sàng</b>, the disaster-preparedness bot of Lê Chân "
                "ward. Please choose your language."
            )
        )
    return "\n\n".join(parts)


def choose_area_text(svc: Services, lang: str, row: ChatRow) -> str:
    _ = gettext(lang)
    if row.kind == "private":
        text = _("Which neighbourhood do you live in? Warnings will be sent for it.")
    else:
        text = _(
            "Which neighbourhood is this group in? A group administrator, please choose: "
            "the group will receive warnings for it."
        )
    if svc.areas.sample:
        text += "\n\n<i>" + _("(Sample list of neighbourhoods, only for trying out.)") + "</i>"
    return text


def subscribed_text(svc: Services, row: ChatRow) -> str:
    _ = gettext(row.lang)
    area = html.escape(svc.areas.name(row.area_id, row.lang))
    if row.kind == "private":
        head = _("✅ Subscribed to warnings for <b>{area}</b>.").format(area=area)
        ask = "\n\n" + _(ASK_HINT)
    else:
        head = _("✅ This group will receive warnings for <b>{area}</b>.").format(area=area)
        ask = ""  # in a group, only messages naming the bot are questions: not for everyone
    return head + ask + "\n\n" + _(
        "How to prepare: /guides\n"
        "Emergency numbers: /emergency\n"
        "Change neighbourhood: /area · Stop warnings: /unsubscribe"
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /start AREA_ID (a deep link printed as a QR code on a notice board)."""
    svc = services(context)
    row = await chat_row(update, context)
    payload = context.args[0].strip().lower() if context.args else ""
    if payload and AREA_ID.match(payload) and svc.areas.get(payload) is not None:
        if row.kind != "private" and not await is_group_admin(update, context):
            await show(update, _only_admins(row.lang))
            return
        result = await svc.subscriptions.subscribe(row.chat_id, payload)
        await show(update, subscribed_text(svc, result.chat), menu_only(row.lang))
        await group_kinds.after_subscribed(update, context, result.chat)
        return
    if payload:
        logger.info("unknown /start payload ignored (%d characters)", len(payload))
    if row.kind != "private":
        await show(update, choose_area_text(svc, row.lang, row), area_keyboard(svc, row.lang))
        return
    await show(update, welcome_text(), lang_keyboard())


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    """Button l:xx: set the language, then ask for the area if none was chosen yet."""
    svc = services(context)
    row = await chat_row(update, context)
    if not await is_group_admin(update, context):
        await _refuse_not_admin(update, context, row.lang)
        return
    row = await svc.subscriptions.set_language(row.chat_id, lang)
    if row.area_id is None:
        await show(update, choose_area_text(svc, lang, row), area_keyboard(svc, lang))
        return
    _ = gettext(lang)
    # Each catalog names its own language: the Vietnamese reads "Đã chuyển sang tiếng Việt."
    await show(update, _("Switched to English."), menu_only(lang))


async def choose_area(update: Update, context: ContextTypes.DEFAULT_TYPE, area_id: str) -> None:
    """Button a:AREA: subscribe the chat to that neighbourhood."""
    svc = services(context)
    row = await chat_row(update, context)
    if svc.areas.get(area_id) is None:
        _ = gettext(row.lang)
        await answer(update, context, _(STALE_BUTTON))
        return
    if not await is_group_admin(update, context):
        await _refuse_not_admin(update, context, row.lang)
        return
    result = await svc.subscriptions.subscribe(row.chat_id, area_id)
    await show(update, subscribed_text(svc, result.chat), menu_only(row.lang))
    await group_kinds.after_subscribed(update, context, result.chat)


async def turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int) -> None:
    """Button p:N: another page of the area list."""
    svc = services(context)
    row = await chat_row(update, context)
    await show(update, choose_area_text(svc, row.lang, row), area_keyboard(svc, row.lang, page))


async def area(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/area: show the neighbourhood and offer to change it."""
    svc = services(context)
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    if row.area_id and svc.areas.get(row.area_id) is not None:
        name = html.escape(svc.areas.name(row.area_id, row.lang))
        text = _("Neighbourhood: <b>{area}</b>. To change it, choose another one.").format(
            area=name
        )
    else:
        text = choose_area_text(svc, row.lang, row)
    markup = area_keyboard(svc, row.lang)
    if row.kind != "private":
        # A group's kind is changed here too (administrators only, checked at the press).
        text += "\n" + _("Kind of group: <b>{kind}</b>.").format(
            kind=group_kinds.kind_name(row.group_kind, row.lang))
        label, data = group_kinds.change_button(row)
        markup = InlineKeyboardMarkup(
            [*markup.inline_keyboard, [InlineKeyboardButton(label, callback_data=data)]])
    await show(update, text, markup)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: offer the two languages."""
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    await show(update, _("Please choose your language."), lang_keyboard())


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe: warnings on again, or choose an area first."""
    svc = services(context)
    row = await chat_row(update, context)
    if not await is_group_admin(update, context):
        await show(update, _only_admins(row.lang))
        return
    if row.area_id is None or svc.areas.get(row.area_id) is None:
        await show(update, choose_area_text(svc, row.lang, row), area_keyboard(svc, row.lang))
        return
    result = await svc.subscriptions.subscribe(row.chat_id, row.area_id)
    await show(update, subscribed_text(svc, result.chat), menu_only(row.lang))
    await group_kinds.after_subscribed(update, context, result.chat)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe: no more warnings; guides stay available."""
    svc = services(context)
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    if not await is_group_admin(update, context):
        await show(update, _only_admins(row.lang))
        return
    if not row.subscribed:
        await show(update, _("Warnings are not on for this chat. To subscribe: /subscribe"),
                   menu_only(row.lang))
        return
    await svc.subscriptions.unsubscribe(row.chat_id)
    await show(
        update,
        _(
            "Warnings stopped. Guides (/guides) and emergency numbers (/emergency) are still "
            "here. To subscribe again: /subscribe"
        ),
        menu_only(row.lang),
    )


def _only_admins(lang: str) -> str:
    _ = gettext(lang)
    return _("Only the group's administrators can change this.")


async def _refuse_not_admin(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str
) -> None:
    await answer(update, context, _only_admins(lang), alert=True)
