"""/broadcast (target → text → time → urgency → preview → confirm) and /scheduled, for staff.

The wizard's state lives in the staff member's user_data; every command, button and typed answer
re-checks the role, and buttons carry only short whitelisted actions.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.broadcasts import BroadcastError
from bot.delivery import escape_staff_text
from bot.handlers import callbacks
from bot.handlers.access import require, staff_chat
from bot.handlers.common import answer, buttons, chat_row, services, show
from bot.i18n import date_time, gettext, number
from bot.library import HAZARDS
from bot.roles import Role

STATE = "broadcast_wizard"


def _state(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    state: dict[str, Any] = data.setdefault(STATE, {})
    return state


def _target_markup(context: ContextTypes.DEFAULT_TYPE, lang: str):  # type: ignore[no-untyped-def]
    svc = services(context)
    _ = gettext(lang)
    chosen = set(_state(context).get("targets", []))
    tick = lambda key: "✅ " if key in chosen else ""  # noqa: E731
    rows = [[(("✅ " if _state(context).get("all") else "") + _("Everyone subscribed"),
              callbacks.bc("all"))]]
    cells = [(tick(a.id) + a.name(lang), callbacks.bc("t", a.id)) for a in svc.areas.areas]
    cells += [(tick(g.id) + g.name(lang), callbacks.bc("t", g.id)) for g in svc.areas.groups]
    rows += [cells[i : i + 2] for i in range(0, len(cells), 2)]
    rows.append([(_("Next ▶"), callbacks.bc("next")), (_("Cancel"), callbacks.bc("stop"))])
    return buttons(rows)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast: staff only, in a private chat."""
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return
    _ = gettext(row.lang)
    context.user_data[STATE] = {"targets": [], "all": False}  # type: ignore[index]
    await show(update, _("New broadcast. Who should receive it? Choose areas, then Next."),
               _target_markup(context, row.lang))


async def on_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, args: tuple[str, ...]
) -> None:
    """Buttons b:…: the role is checked at every press."""
    svc = services(context)
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return
    _ = gettext(row.lang)
    step, value = args[0], args[1] if len(args) > 1 else ""
    state = _state(context)
    if step == "x":  # cancel a scheduled broadcast from /scheduled
        await _cancel(update, context, int(value), row.lang)
        return
    if step in ("cp", "cr"):  # pause or resume a campaign from /scheduled
        user = update.effective_user
        if not await svc.campaigns.set_paused(value, step == "cp", actor=str(user.id if user
                                                                              else "?")):
            await answer(update, context, _("This button is no longer valid."))
            return
        await scheduled(update, context)
        return
    if not state:
        await answer(update, context, _("This button is no longer valid."))
        return
    if step == "stop":
        context.user_data.pop(STATE, None)  # type: ignore[union-attr]
        await show(update, _("Cancelled: nothing changed."))
    elif step == "all":
        state["all"], state["targets"] = not state.get("all"), []
        await show(update, _("New broadcast. Who should receive it? Choose areas, then Next."),
                   _target_markup(context, row.lang))
    elif step == "t":
        known = {a.id for a in svc.areas.areas} | {g.id for g in svc.areas.groups}
        if value not in known:
            await answer(update, context, _("This button is no longer valid."))
            return
        targets = set(state.get("targets", []))
        targets ^= {value}
        state["targets"], state["all"] = sorted(targets), False
        await show(update, _("New broadcast. Who should receive it? Choose areas, then Next."),
                   _target_markup(context, row.lang))
    elif step == "next":
        if not state.get("all") and not state.get("targets"):
            await answer(update, context, _("Choose at least one area, or everyone."), True)
            return
        state["await"] = "text_vi"
        await show(update, _("Now send the message in Vietnamese, as residents should read it, "
                             "or send a guide from the library."),
                   buttons([[(_("📖 Send a guide"), callbacks.bc("guides"))]]))
    elif step == "guides":
        state["await"] = None
        rows = [[(_(label), callbacks.bc("gh", hazard))] for hazard, label in HAZARDS.items()]
        await show(update, _("Choose a topic:"), buttons(rows))
    elif step == "gh" and value in HAZARDS:
        found = svc.library.for_hazard(value, row.lang)
        rows = [[(g.title[:60], callbacks.bc("g", g.id))] for g in found]
        await show(update, _("Choose a guide:"), buttons(rows))
    elif step == "g" and svc.library.get(value, "vi") is not None:
        vi, en = svc.library.get(value, "vi"), svc.library.guides.get((value, "en"))
        state["text_vi"] = as_plain_text(vi.title, vi.body)  # type: ignore[union-attr]
        state["text_en"] = as_plain_text(en.title, en.body) if en else None
        state["guide"] = value
        await _ask_time(update, context, row.lang)
    elif step == "noen":
        state["text_en"] = None
        await _ask_time(update, context, row.lang)
    elif step == "now":
        state["send_at"] = None
        await _ask_urgency(update, context, row.lang)
    elif step == "weekly":
        days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        await show(update, _("Every week on which day?"),
                   buttons([[(d, callbacks.bc("wd", str(i))) for i, d in enumerate(days)]]))
    elif step == "wd" and value in {str(i) for i in range(7)}:
        state["weekday"], state["await"] = int(value), "weekly"
        await show(update, _("Send the time and the last day, local time, like: 07:30 30/11"))
    elif step == "later":
        state["await"] = "time"
        await show(update, _("Send the time as HH:MM (today, or tomorrow if it has passed) or "
                             "YYYY-MM-DD HH:MM, local time."))
    elif step in ("urgent", "normal"):
        state["urgent"] = step == "urgent"
        await _preview(update, context, row.lang)
    elif step == "ok":
        await _confirm(update, context, row.lang)
    else:
        await answer(update, context, _("This button is no longer valid."))


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text typed while the wizard waits for it (runs before questions; stops them)."""
    state = (context.user_data or {}).get(STATE) or {}
    waiting = state.get("await")
    message = update.effective_message
    if not waiting or message is None or not message.text:
        return
    row = await chat_row(update, context)
    if not await require(update, context, row.lang, Role.STAFF):
        context.user_data.pop(STATE, None)  # type: ignore[union-attr]
        raise ApplicationHandlerStop
    _ = gettext(row.lang)
    text = message.text.strip()
    if waiting in ("text_vi", "text_en"):
        if len(text) > 3500:
            await message.reply_text(_("The text is too long: at most 3,500 characters."))
            raise ApplicationHandlerStop
        state[waiting] = text
        if waiting == "text_vi":
            state["await"] = "text_en"
            await message.reply_text(
                _("Send the English text for chats in English, or skip."),
                reply_markup=buttons([[(_("Skip English"), callbacks.bc("noen"))]]),
            )
        else:
            await _ask_time(update, context, row.lang)
    elif waiting == "weekly":
        parsed = _parse_weekly(text, services(context).config.tz)
        if parsed is None:
            await message.reply_text(_("Please send a time and a last day like 07:30 30/11."))
            raise ApplicationHandlerStop
        state["weekly"], state["await"], state["send_at"] = parsed, None, None
        await _ask_urgency(update, context, row.lang)
    elif waiting == "time":
        when = _parse_time(text, services(context).config.tz)
        if when is None:
            await message.reply_text(_("Please send a time like 07:30 or 2026-12-01 07:30."))
            raise ApplicationHandlerStop
        state["send_at"], state["await"] = when.isoformat(), None
        await _ask_urgency(update, context, row.lang)
    raise ApplicationHandlerStop


def as_plain_text(title: str, body: str) -> str:
    """A guide as broadcast text: plain words (broadcasts are sent exactly as written)."""
    text = re.sub(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", "", body)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", text)
    return f"{title}\n\n{text.strip()}"[:3500]


def _parse_weekly(text: str, tz: Any) -> tuple[str, str] | None:
    """'07:30 30/11' → ('07:30', '2026-11-30'): the weekly time and the last day (future)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", text.strip())
    if not m:
        return None
    hour, minute, day, month = (int(m.group(i)) for i in range(1, 5))
    today = datetime.now(tz).date()
    try:
        until = datetime(int(m.group(5) or today.year), month, day).date()  # noqa: DTZ001
        if until < today and not m.group(5):
            until = until.replace(year=today.year + 1)
        at = f"{hour:02d}:{minute:02d}"
        datetime.strptime(at, "%H:%M")  # noqa: DTZ007 - validates only
    except ValueError:
        return None
    return (at, until.isoformat()) if until >= today else None


def _parse_time(text: str, tz: Any) -> datetime | None:
    now = datetime.now(tz)
    for fmt in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%H:%M"):
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is set below
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = now.replace(hour=parsed.hour, minute=parsed.minute, second=0,
                                 microsecond=0)
            if parsed <= now:
                parsed += timedelta(days=1)
            return parsed
        parsed = parsed.replace(tzinfo=tz)
        return parsed if parsed > now else None
    return None


async def _ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    _ = gettext(lang)
    _state(context)["await"] = None
    await _reply(update, _("When should it go out?"),
                 buttons([[(_("Now"), callbacks.bc("now")),
                           (_("At a time…"), callbacks.bc("later")),
                           (_("Every week…"), callbacks.bc("weekly"))]]))


async def _ask_urgency(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    _ = gettext(lang)
    await _reply(update, _("Is it urgent? Urgent broadcasts go first and ring even at night."),
                 buttons([[(_("Urgent"), callbacks.bc("urgent")),
                           (_("Normal"), callbacks.bc("normal"))]]))


async def _reply(update: Update, text: str, markup: Any = None) -> None:
    if update.callback_query is not None:
        await show(update, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)  # type: ignore[union-attr]


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    svc = services(context)
    _ = gettext(lang)
    state = _state(context)
    targets = None if state.get("all") else state.get("targets")
    try:
        areas = None if targets is None else svc.broadcasts.expand_targets(targets)
    except BroadcastError:
        await show(update, _("This button is no longer valid."))
        return
    recipients = await svc.broadcasts.count_recipients(areas)
    when = (datetime.fromisoformat(state["send_at"]) if state.get("send_at")
            else datetime.now(UTC))
    tz = svc.config.tz
    weekly = _weekly_campaign(state, tz) if state.get("weekly") else None
    if weekly is not None:
        first = weekly.next_after(datetime.now(UTC), tz)
        if first is None:
            await show(update, _("Please send a time and a last day like 07:30 30/11."))
            return
        when_text = _("every week until {day}; next: {when}").format(
            day=state["weekly"][1], when=date_time(first, lang, tz))
    else:
        when_text = _("now") if not state.get("send_at") else date_time(when, lang, tz)
    summary = _("Recipients now: {n}. Sends: {when} ({tz}). {urgency}").format(
        n=number(recipients, lang),
        when=when_text,
        tz=svc.config.timezone,
        urgency=_("Urgent.") if state.get("urgent") else _("Normal."),
    )
    await show(update, _("Preview: residents will see exactly the next message.") + "\n" +
               html.escape(summary))
    message = update.effective_message
    if message is not None:
        await message.reply_text(escape_staff_text(state["text_vi"]))
        if state.get("text_en"):
            await message.reply_text(escape_staff_text(state["text_en"]))
        await message.reply_text(
            _("Send it?"),
            reply_markup=buttons([[(_("Confirm"), callbacks.bc("ok")),
                                   (_("Cancel"), callbacks.bc("stop"))]]),
        )


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    svc = services(context)
    _ = gettext(lang)
    state = context.user_data.pop(STATE, None) or {}  # type: ignore[union-attr]
    user = update.effective_user
    if not state.get("text_vi") or user is None:
        await show(update, _("This button is no longer valid."))
        return
    if state.get("weekly"):
        await svc.campaigns.add_weekly(_weekly_campaign(state, svc.config.tz),
                                       actor=str(user.id))
        await show(update, _("Weekly broadcast saved; it is listed in /scheduled."))
        scheduler = context.application.bot_data.get("scheduler")
        if scheduler is not None:
            await scheduler.reconcile()
        return
    try:
        b = await svc.broadcasts.create(
            state["text_vi"], text_en=state.get("text_en"),
            targets=None if state.get("all") else state.get("targets"),
            send_at=datetime.fromisoformat(state["send_at"]) if state.get("send_at") else None,
            urgent=bool(state.get("urgent")), created_by=str(user.id),
            notify_chat=update.effective_chat.id if update.effective_chat else None,
        )
    except BroadcastError as exc:
        await show(update, html.escape(str(exc)))
        return
    await show(update, _("Broadcast #{id} is scheduled for {when}.").format(
        id=b.id, when=date_time(b.send_at, lang, svc.config.tz)))
    scheduler = context.application.bot_data.get("scheduler")
    if scheduler is not None:
        await scheduler.reconcile()


def _weekly_campaign(state: dict[str, Any], tz: Any) -> Any:
    from bot.campaigns import STAFF_PREFIX, Campaign

    at, until = state["weekly"]
    hour, minute = (int(x) for x in at.split(":"))
    today = datetime.now(tz).date()
    last = datetime.fromisoformat(until).date()
    return Campaign(
        key=STAFF_PREFIX + "new", name_vi=state["text_vi"][:40], name_en=state["text_vi"][:40],
        season_from=(1, 1), season_to=(12, 31), weekday=int(state["weekday"]),
        at=datetime.min.time().replace(hour=hour, minute=minute),
        targets=None if state.get("all") else tuple(state.get("targets", [])),
        urgent=bool(state.get("urgent")), text_vi=state["text_vi"], text_en=state.get("text_en"),
        guide=state.get("guide"), until=last if last >= today else today,
    )


async def scheduled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scheduled: what is coming or sending, with cancel buttons."""
    svc = services(context)
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return
    _ = gettext(row.lang)
    coming = await svc.broadcasts.list(("scheduled", "sending"))
    lines, rows = ["<b>" + _("Scheduled broadcasts") + "</b>"], []
    if not coming:
        lines = [_("No broadcast is scheduled.")]
    for b in reversed(coming):
        when = date_time(b.send_at, row.lang, svc.config.tz)
        target = _("everyone") if b.target_all else ", ".join(
            svc.areas.name(a, row.lang) for a in b.areas)
        lines.append(f"#{b.id} · {html.escape(when)} · {html.escape(target)} · "
                     f"{html.escape(' '.join(b.text_vi.split())[:60])}")
        rows.append([(_("Cancel #{id}").format(id=b.id), callbacks.bc("x", str(b.id)))])
    lines = lines[:30]
    found = await svc.campaigns.all()
    if found:
        lines += ["", "<b>" + _("Seasonal campaigns") + "</b>"]
    now = datetime.now(UTC)
    for c in found:
        upcoming = c.next_after(now, svc.config.tz)
        state = _("paused") if c.paused else (
            _("next: {when}").format(when=date_time(upcoming, row.lang, svc.config.tz))
            if upcoming else "-")
        lines.append(f"{html.escape(c.name_en if row.lang == 'en' else c.name_vi)} · {state}")
        label = (_("Resume: {name}") if c.paused else _("Pause: {name}")).format(
            name=c.name_en if row.lang == "en" else c.name_vi)
        rows.append([(label, callbacks.bc("cr" if c.paused else "cp", c.key))])
    await show(update, "\n".join(lines), buttons(rows[:40]) if rows else None)


async def _cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, broadcast_id: int,
                  lang: str) -> None:
    svc = services(context)
    _ = gettext(lang)
    user = update.effective_user
    try:
        await svc.broadcasts.cancel(broadcast_id, actor=str(user.id if user else "?"))
    except BroadcastError:
        await answer(update, context, _("This button is no longer valid."))
        return
    await show(update, _("Broadcast #{id} is cancelled.").format(id=broadcast_id))
