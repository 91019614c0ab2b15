"""Staff buttons on a weather advisory draft: approve, discard, choose areas (editing the text is
a conversation of its own: weather_edit.py).

Every press re-checks the acting user's role first (callback data can be forged): a resident's
press is refused and changes nothing. The service decides races: of two presses at once, one
wins and the other is told who decided.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.channels.telegram import weather_jobs
from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.access import refuse
from bot.channels.telegram.handlers.common import (
    answer,
    buttons,
    chat_row,
    fit,
    services,
    show,
)
from bot.channels.telegram.handlers.weather import esc
from bot.i18n import N_, gettext
from bot.roles import Role
from bot.store.chats import ChatRow
from bot.weather.advisories import AdvisoryError
from bot.weather.models import Advisory

logger = logging.getLogger(__name__)

STALE = N_("This button is old: the draft is no longer there.")


async def staff_row(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatRow | None:
    """The chat's row when the acting user is staff or lead, checked now; else the refusal."""
    row = await chat_row(update, context)
    user = update.effective_user
    if user is None or not await services(context).roles.is_staff(user.id):
        await refuse(update, context, row.lang, Role.STAFF)
        return None
    return row


async def decided_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
) -> None:
    """A press on a draft someone already decided: say who, change nothing."""
    _ = gettext(lang)
    name = await weather_jobs.decider_name(context.application, advisory.decided_by)
    if advisory.status == "approved":
        text = _("Already approved by {name}.").format(name=name)
    elif advisory.status == "discarded":
        text = _("Already discarded by {name}.").format(name=name)
    else:
        text = _("This draft was replaced by a newer one.")
    await answer(update, context, text, alert=True)


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, args: tuple[str, ...]
) -> None:
    """Buttons w:… of a draft (the edit conversation takes w:ed, w:ke, w:ve itself)."""
    row = await staff_row(update, context)  # before anything else
    if row is None:
        return
    svc = services(context)
    _ = gettext(row.lang)
    step, advisory_id = args[0], int(args[1])
    advisory = await svc.advisories.get(advisory_id)
    user = update.effective_user
    if advisory is None or user is None or step in ("ed", "ke", "ve"):
        await answer(update, context, _(STALE))
        return
    if advisory.status != "draft":
        await decided_answer(update, context, advisory, row.lang)
        return
    if step in ("ok", "no"):
        await _decide(update, context, advisory, step == "ok", row.lang)
    elif step == "ar":
        await _show_picker(update, context, advisory, row.lang)
    elif step in ("t", "al"):
        await _pick(update, context, advisory, row.lang, args[2] if step == "t" else None)
    elif step == "dn":
        await weather_jobs.refresh_copies(context.application, advisory_id)
        await answer(update, context, _("Areas saved: {areas}.").format(
            areas=weather_jobs.areas_text(svc, advisory, row.lang))[:200])


async def _decide(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, approve: bool,
    lang: str,
) -> None:
    svc = services(context)
    user = update.effective_user
    assert user is not None
    _ = gettext(lang)
    weather_jobs.remember_name(context.application, user.id, user.full_name)
    try:
        if approve:
            decision = await svc.advisories.approve(advisory.id, user.id)
        else:
            decision = await svc.advisories.discard(advisory.id, user.id)
    except AdvisoryError as exc:  # e.g. its areas were removed from the list: nothing changed
        await answer(update, context, _("It could not be sent, nothing changed: {reason}").format(
            reason=str(exc))[:200], alert=True)
        return
    if not decision.changed:  # someone else decided first: their press updates the copies
        await decided_answer(update, context, decision.advisory, lang)
        return
    if approve:
        # The urgent broadcast starts now (as /broadcast's "send now" does), not at the next
        # reconcile.
        scheduler = context.application.bot_data.get("scheduler")
        if scheduler is not None:
            try:
                await scheduler.reconcile()
            except Exception:  # the reconcile job starts it within seconds anyway
                logger.exception("could not start the broadcast of advisory %s at once",
                                 advisory.id)
        text = _("Approved: urgent broadcast #{id} is being sent.").format(
            id=decision.broadcast_id)
    else:
        text = _("Discarded: nothing was sent to residents.")
    await weather_jobs.refresh_copies(context.application, advisory.id)
    await answer(update, context, text)


def _picker(context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
            ) -> tuple[str, InlineKeyboardMarkup]:
    svc = services(context)
    _ = gettext(lang)
    chosen = set(advisory.areas or ())
    members = {a.id: {a.id} for a in svc.areas.areas}
    members.update({g.id: set(g.area_ids) for g in svc.areas.groups})

    def tick(key: str) -> str:
        # A group is ticked when all its areas are chosen.
        return "✅ " if chosen and members[key] <= chosen else ""

    rows = [[(("✅ " if not chosen else "") + _("All areas"),
              callbacks.weather("al", advisory.id))]]
    cells = [(fit(tick(a.id) + a.name(lang)), callbacks.weather("t", advisory.id, a.id))
             for a in svc.areas.areas]
    cells += [(fit(tick(g.id) + g.name(lang)), callbacks.weather("t", advisory.id, g.id))
              for g in svc.areas.groups]
    rows += [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append([(_("Done"), callbacks.weather("dn", advisory.id))])
    text = _("Draft #{id}: which areas should get it? Choose areas or groups, then Done.").format(
        id=advisory.id)
    return esc(text), buttons(rows)


async def _show_picker(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str
) -> None:
    text, markup = _picker(context, advisory, lang)
    await show(update, text, markup)


async def _pick(
    update: Update, context: ContextTypes.DEFAULT_TYPE, advisory: Advisory, lang: str,
    target: str | None,
) -> None:
    """Toggle one area or a group's areas (target), or back to every area (None)."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    _ = gettext(lang)
    areas: tuple[str, ...] | None = None
    if target is not None:
        members = {a.id: {a.id} for a in svc.areas.areas}
        members.update({g.id: set(g.area_ids) for g in svc.areas.groups})
        if target not in members:
            await answer(update, context, _(STALE))
            return
        chosen = set(advisory.areas or ())
        # A group toggles as one: all its areas in, or (when all were in) all out.
        chosen = chosen - members[target] if members[target] <= chosen else (
            chosen | members[target])
        areas = tuple(sorted(chosen)) or None  # nothing ticked: every area again
    try:
        decision = await svc.advisories.set_areas(advisory.id, user.id, areas)
    except AdvisoryError as exc:
        await answer(update, context, str(exc), alert=True)
        return
    if not decision.changed:
        await decided_answer(update, context, decision.advisory, lang)
        return
    await _show_picker(update, context, decision.advisory, lang)
