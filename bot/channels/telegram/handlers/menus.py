"""Telegram's command menus: residents' commands for all, more for staff and lead, per language.

Staff and lead see their commands through per-chat scopes (their private chat). The roles table is
the truth; `sync_scopes` brings the menus in line with it and runs at start, after a change made in
Telegram, and every few seconds for changes made with the CLI.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.channels.telegram.commands import visible_to
from bot.i18n import gettext
from bot.roles import Role
from bot.services import Services
from bot.store import scopes

logger = logging.getLogger(__name__)

# Telegram picks the menu by the user's app language; "" is everyone else: Vietnamese first.
MENU_LANGUAGES = (("", "vi"), ("vi", "vi"), ("en", "en"))


def menu(role: Role, lang: str) -> list[BotCommand]:
    _ = gettext(lang)
    return [BotCommand(c.name, _(c.help)[:256]) for c in visible_to(role)]


async def set_default_menus(app: Application) -> None:  # type: ignore[type-arg]
    for code, lang in MENU_LANGUAGES:
        await app.bot.set_my_commands(
            menu(Role.RESIDENT, lang), scope=BotCommandScopeDefault(), language_code=code or None
        )


async def sync_scopes(app: Application) -> None:  # type: ignore[type-arg]
    """Give each staff and lead chat its menu; take it back from those who lost their role."""
    svc: Services = app.bot_data["services"]
    applied: dict[int, Role] = app.bot_data.setdefault("menu_scopes", {})
    wanted = {
        r.user_id: Role.LEAD if r.role == "lead" else Role.STAFF for r in await svc.roles.list()
    }
    if "menu_scopes_loaded" not in app.bot_data:
        # After a restart we do not know which menus were set before: clear those of removed users.
        for user_id in await scopes.former_role_holders(svc.db):
            if user_id not in wanted:
                applied[user_id] = Role.RESIDENT
        app.bot_data["menu_scopes_loaded"] = True
    for user_id in set(applied) | set(wanted):
        role = wanted.get(user_id, Role.RESIDENT)
        if applied.get(user_id) == role:
            continue
        scope = BotCommandScopeChat(user_id)
        try:
            for code, lang in MENU_LANGUAGES:
                if role == Role.RESIDENT:
                    await app.bot.delete_my_commands(scope=scope, language_code=code or None)
                else:
                    await app.bot.set_my_commands(
                        menu(role, lang), scope=scope, language_code=code or None
                    )
        except TelegramError as exc:
            # Typically "chat not found": the person has not opened the bot yet. Try next time.
            logger.info("menu for a %s not set yet: %s", role.name.lower(), exc)
            continue
        if role == Role.RESIDENT:
            applied.pop(user_id, None)
        else:
            applied[user_id] = role


async def sync_scopes_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: pick up role changes made with the CLI."""
    await sync_scopes(context.application)
