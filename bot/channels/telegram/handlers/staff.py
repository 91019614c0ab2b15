"""/staff: the lead office lists, adds and removes ward staff (confirmed with a button)."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.access import staff_chat
from bot.channels.telegram.handlers.common import buttons, services, show
from bot.channels.telegram.handlers.menus import sync_scopes
from bot.i18n import N_, day, gettext
from bot.roles import Role

USAGE = N_(
    "To add: /staff add ID_NUMBER staff (or lead)\nTo remove: /staff remove ID_NUMBER\n"
    "(Each person sees their ID number by typing /mydata.)"
)


def role_name(role: str, lang: str) -> str:
    _ = gettext(lang)
    return _("lead officer") if role == "lead" else _("ward staff")


async def staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/staff, /staff add USER_ID staff|lead, /staff remove USER_ID."""
    svc = services(context)
    row = await staff_chat(update, context, Role.LEAD)
    user = update.effective_user
    if row is None or user is None:
        return
    _ = gettext(row.lang)
    args = [a.strip().lower() for a in (context.args or [])]
    if not args:
        lines = ["<b>" + _("Ward staff and lead officers") + "</b>"]
        for r in await svc.roles.list():
            since = day(datetime.fromisoformat(r.added_at), row.lang)
            lines.append(f"• {r.user_id} – {role_name(r.role, row.lang)} ({since})")
        lines += ["", _(USAGE)]
        await show(update, "\n".join(lines))
        return
    if len(args) == 3 and args[0] == "add" and args[1].isdigit() and args[2] in ("staff", "lead"):
        target, role = int(args[1]), args[2]
        await show(
            update,
            _("Give person {id} the role <b>{role}</b>?").format(
                id=target, role=role_name(role, row.lang)
            ),
            buttons([[(_("Confirm"), callbacks.staff_add(target, role)),
                      (_("Cancel"), callbacks.STAFF_CANCEL)]]),
        )
        return
    if len(args) == 2 and args[0] == "remove" and args[1].isdigit():
        target = int(args[1])
        if target == user.id:
            await show(update, _("You cannot remove your own role."))
            return
        await show(
            update,
            _("Take the role away from person {id}?").format(id=target),
            buttons([[(_("Confirm"), callbacks.staff_remove(target)),
                      (_("Cancel"), callbacks.STAFF_CANCEL)]]),
        )
        return
    await show(update, _(USAGE))


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, action: str, args: tuple[str, ...]
) -> None:
    """Buttons s:a, s:r, s:x: the role is checked again at every press."""
    svc = services(context)
    row = await staff_chat(update, context, Role.LEAD)
    user = update.effective_user
    if row is None or user is None:
        return
    _ = gettext(row.lang)
    if action == "staff_cancel":
        await show(update, _("Cancelled: nothing changed."))
        return
    target = int(args[0])
    if action == "staff_add":
        role = "lead" if args[1] == "l" else "staff"
        await svc.roles.add(target, role, actor=str(user.id), source="telegram")
        text = _("Done: person {id} is now {role}.").format(
            id=target, role=role_name(role, row.lang)
        )
    else:
        if target == user.id:
            await show(update, _("You cannot remove your own role."))
            return
        had = await svc.roles.remove(target, actor=str(user.id))
        text = (
            _("Done: person {id} no longer has a role.").format(id=target)
            if had
            else _("Person {id} had no role.").format(id=target)
        )
    await sync_scopes(context.application)
    await show(update, text)
