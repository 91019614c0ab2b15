"""/help, /emergency and /guides."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.commands import visible_to
from bot.channels.telegram.handlers.common import chat_row, services, show
from bot.i18n import gettext
from bot.services import Services


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot does and the commands this user may use."""
    svc = services(context)
    row = await chat_row(update, context)
    _ = gettext(row.lang)
    user = update.effective_user
    role = await svc.roles.of(user.id if user else None)
    lines = [
        _(
            "<b>Sẵn sàng</b> helps the people of Lê Chân ward prepare for storms, floods, "
            "heat and cold, and sends warnings for your neighbourhood."
        ),
        "",
    ]
    lines += [f"/{c.name} – {html.escape(_(c.help))}" for c in visible_to(role)]
    lines += ["", _("In danger, call 112 (search and rescue) at once.")]
    await show(update, "\n".join(lines))


def emergency_text(svc: Services, lang: str) -> str:
    _ = gettext(lang)
    lines = [
        "🆘 <b>" + _("Emergency numbers") + "</b> " + _("(free, day and night)"),
        "<b>112</b> – " + _("disasters, search and rescue"),
        "<b>113</b> – " + _("police"),
        "<b>114</b> – " + _("fire, rescue from buildings and lifts"),
        "<b>115</b> – " + _("ambulance, medical emergency"),
        "",
        "<b>" + _("Ward contacts") + "</b>",
    ]
    if svc.contacts.sample or not svc.contacts.contacts:
        lines.append(_("The ward office has not published its contact numbers here yet."))
    else:
        lines += [
            f"{html.escape(c.name(lang))}: <b>{html.escape(c.phone)}</b>"
            for c in svc.contacts.contacts
        ]
    return "\n".join(lines)


async def emergency(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/emergency: the national numbers, then the ward's own."""
    row = await chat_row(update, context)
    await show(update, emergency_text(services(context), row.lang))
