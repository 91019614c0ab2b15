"""Texts every channel says the same way (Telegram and Zalo): the 112 line and the emergency
numbers. Written with Telegram's HTML bold; the Zalo channel turns them into plain text."""

from __future__ import annotations

import html

from bot.i18n import N_, gettext
from bot.services import Services

DANGER_LINE = N_("🆘 If you are in danger, call 112 now.")


def danger_line(lang: str) -> str:
    _ = gettext(lang)
    return _(DANGER_LINE)


def emergency_text(svc: Services, lang: str) -> str:
    """The 112 line first (an action, not a heading), then the numbers, then the ward's own
    contacts when the ward has published them (no empty block: it would be a dead end)."""
    _ = gettext(lang)
    lines = [
        danger_line(lang),
        "",
        "<b>" + _("Emergency numbers") + "</b> " + _("(free, day and night)"),
        "<b>112</b> – " + _("disasters, search and rescue"),
        "<b>113</b> – " + _("police"),
        "<b>114</b> – " + _("fire, explosions, rescue"),
        "<b>115</b> – " + _("ambulance, medical emergency"),
    ]
    if svc.contacts.contacts and not svc.contacts.sample:
        lines += ["", "<b>" + _("Ward contacts") + "</b>"]
        lines += [
            f"{html.escape(c.name(lang))}: <b>{html.escape(c.phone)}</b>"
            for c in svc.contacts.contacts
        ]
    return "\n".join(lines)
