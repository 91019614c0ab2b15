"""/mydata and /forget: what is stored about a chat, and deleting it."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    is_group_admin,
    menu_only,
    services,
    show,
)
from bot.channels.telegram.handlers.group_kinds import kind_name
from bot.i18n import date_time, gettext, guess_lang
from bot.store.chats import ChatRow


def _lang(update: Update, stored: str | None) -> str:
    if stored:
        return stored
    user = update.effective_user
    return guess_lang(user.language_code if user else None)


async def _stored(update: Update, context: ContextTypes.DEFAULT_TYPE
                  ) -> tuple[ChatRow | None, str]:
    """The chat's stored row (None: nothing stored, and nothing created by asking) and language."""
    chat = update.effective_chat
    row = await services(context).subscriptions.get(chat.id) if chat else None
    return row, _lang(update, row.lang if row else None)


async def mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything stored about this chat, in words."""
    svc = services(context)
    row, lang = await _stored(update, context)
    _ = gettext(lang)
    if row is None:
        await show(update, _("Nothing is stored about this chat."))
        return
    tz = svc.config.tz
    kind = _("private chat") if row.kind == "private" else _("group")
    area = html.escape(svc.areas.name(row.area_id, lang)) if row.area_id else _("not chosen")
    warnings = _("on") if row.subscribed and not row.blocked else _("off")
    lines = [
        "<b>" + _("What is stored about this chat") + "</b>",
        "• " + _("ID number: {id}").format(id=row.chat_id),
        "• " + _("Type: {kind}").format(kind=kind),
        *(["• " + _("Kind of group: {kind}").format(kind=kind_name(row.group_kind, lang))]
          if row.kind != "private" else []),
        "• " + _("Language: {lang}").format(lang="Tiếng Việt" if row.lang == "vi" else "English"),
        "• " + _("Neighbourhood: {area}").format(area=area),
        "• " + _("Warnings: {state}").format(state=warnings),
        "• " + _("First contact: {when}").format(
            when=date_time(datetime.fromisoformat(row.created_at), lang, tz)
        ),
        "• " + _("Last change: {when}").format(
            when=date_time(datetime.fromisoformat(row.updated_at), lang, tz)
        ),
        "",
        _(
            "This is kept only to send warnings for the right neighbourhood, in the right "
            "language. Counts of guide views and questions are kept without your identity."
        ),
        _("To delete this data: /forget"),
    ]
    await show(update, "\n".join(lines), menu_only(lang))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask for confirmation before deleting."""
    row, lang = await _stored(update, context)
    _ = gettext(lang)
    if row is None:
        await show(update, _("Nothing is stored about this chat."))
        return
    if not await is_group_admin(update, context):
        await show(update, _("Only the group's administrators can change this."))
        return
    await show(
        update,
        _(
            "⚠️ After deleting, this chat will <b>no longer</b> receive warnings.\n"
            "Delete everything stored about this chat (language, neighbourhood, subscription, "
            "kind of group)? "
            "Anonymous counts are kept."
        ),
        buttons([[(_("Yes, delete"), callbacks.forget(True)),
                  (_("No, keep"), callbacks.forget(False))]]),
    )


async def confirm_forget(
    update: Update, context: ContextTypes.DEFAULT_TYPE, confirmed: bool
) -> None:
    """Button f:y / f:n."""
    svc = services(context)
    chat = update.effective_chat
    if chat is None:
        return
    row = await svc.subscriptions.get(chat.id)
    _ = gettext(_lang(update, row.lang if row else None))
    if not await is_group_admin(update, context):
        await answer(update, context, _("Only the group's administrators can change this."), True)
        return
    if not confirmed:
        await show(update, _("Nothing was deleted."), menu_only(_lang(update, row.lang if row
                                                                        else None)))
        return
    await svc.subscriptions.forget(chat.id)
    await show(
        update,
        _("The data has been deleted. To use the bot again, send /start."),
    )
