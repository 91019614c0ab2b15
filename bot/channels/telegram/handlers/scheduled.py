"""/scheduled for staff: coming broadcasts and seasonal campaigns, a page at a time, with buttons
to cancel a broadcast or pause and resume a campaign. Every press re-checks the role.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.broadcasts.broadcasts import BroadcastError
from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.access import staff_chat
from bot.channels.telegram.handlers.common import answer, buttons, fit, services, show
from bot.i18n import N_, date_time, gettext, number
from bot.roles import Role

STALE = N_("This button is old. Type /scheduled to see the list again.")
STEPS = ("pg", "x", "cp", "cr")  # its buttons (b:…), routed here by buttons.py
PER_PAGE = 10
MAX_LISTED = 100_000
# Telegram refuses texts over 4,096 UTF-16 units; the raw HTML is never shorter than what shows.
PAGE_BUDGET = 3800
SNIPPET = 60  # characters of a broadcast's text in its line
NAMES = 120  # characters of a target list or a campaign name


@dataclass(frozen=True)
class Entry:
    section: str  # "b" broadcasts, "c" campaigns
    line: str  # HTML
    button: tuple[str, str] | None
    key: str = ""


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _entries(context: ContextTypes.DEFAULT_TYPE, lang: str) -> list[Entry]:
    svc = services(context)
    _ = gettext(lang)
    tz = svc.config.tz
    entries: list[Entry] = []
    # All of them: list() keeps the latest `limit`, and the soonest must never be left out.
    coming = await svc.broadcasts.list(("scheduled", "sending"), limit=MAX_LISTED)
    for b in reversed(coming):  # soonest first
        target = _("everyone") if b.target_all else ", ".join(
            svc.areas.name(a, lang) for a in b.areas)
        line = (f"#{b.id} · {html.escape(date_time(b.send_at, lang, tz))} · "
                f"{html.escape(_cut(target, NAMES))} · {html.escape(_cut(b.text_vi, SNIPPET))}")
        entries.append(Entry("b", line, (_("Cancel #{id}").format(id=b.id),
                                         callbacks.bc("x", str(b.id)))))
    if not coming:
        entries.append(Entry("b", _("No broadcast is scheduled."), None))
    now = datetime.now(UTC)
    for c in await svc.campaigns.all():
        name = _cut(c.name_en if lang == "en" else c.name_vi, NAMES)
        upcoming = c.next_after(now, tz)
        state = _("paused") if c.paused else (
            _("next: {when}").format(when=date_time(upcoming, lang, tz)) if upcoming else "-")
        label = fit((_("Resume: {name}") if c.paused else _("Pause: {name}")).format(
            name=name))
        entries.append(Entry("c", f"{html.escape(name)} · {html.escape(state)}",
                             (label, callbacks.bc("cr" if c.paused else "cp", c.key)), c.key))
    return entries


def _pages(entries: list[Entry], headers: dict[str, str]) -> list[list[Entry]]:
    """Entries cut into pages of at most PER_PAGE lines and PAGE_BUDGET characters."""
    pages: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        cost = _utf16(entry.line) + _utf16(headers[entry.section]) + 3
        if pages[-1] and (len(pages[-1]) >= PER_PAGE or size + cost > PAGE_BUDGET):
            pages.append([])
            size = 0
        pages[-1].append(entry)
        size += cost
    return pages


async def show_page(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str,
                    page: int = 0, key: str | None = None) -> None:
    """Show one page (or the page holding campaign `key`), with ◀ ▶ when there are more."""
    _ = gettext(lang)
    headers = {"b": "<b>" + _("Scheduled broadcasts") + "</b>",
               "c": "<b>" + _("Seasonal campaigns") + "</b>"}
    pages = _pages(await _entries(context, lang), headers)
    if key is not None:
        page = next((i for i, p in enumerate(pages) if any(e.key == key for e in p)), page)
    page = min(max(page, 0), len(pages) - 1)
    lines: list[str] = []
    section = ""
    for entry in pages[page]:
        if entry.section != section:
            lines += ([""] if lines else []) + [headers[entry.section]]
            section = entry.section
        lines.append(entry.line)
    rows = [[entry.button] for entry in pages[page] if entry.button]
    if len(pages) > 1:
        lines += ["", _("Page {page} of {pages}").format(
            page=number(page + 1, lang), pages=number(len(pages), lang))]
        nav = []
        if page > 0:
            nav.append(("◀", callbacks.bc("pg", str(page - 1))))
        nav.append((f"{number(page + 1, lang)}/{number(len(pages), lang)}",
                    callbacks.bc("pg", str(page))))
        if page < len(pages) - 1:
            nav.append(("▶", callbacks.bc("pg", str(page + 1))))
        rows.append(nav)
    await show(update, "\n".join(lines), buttons(rows) if rows else None)


async def scheduled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scheduled: what is coming or sending, and the campaigns, first page."""
    row = await staff_chat(update, context, Role.STAFF)
    if row is not None:
        await show_page(update, context, row.lang)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str,
                    value: str) -> None:
    """Buttons b:pg (page), b:x (cancel), b:cp / b:cr (pause, resume): role checked each time."""
    svc = services(context)
    row = await staff_chat(update, context, Role.STAFF)
    if row is None:
        return
    _ = gettext(row.lang)
    user = update.effective_user
    actor = str(user.id if user else "?")
    if step == "pg":
        await show_page(update, context, row.lang, int(value))
    elif step == "x":
        try:
            await svc.broadcasts.cancel(int(value), actor=actor)
        except BroadcastError:
            await answer(update, context, _(STALE))
            return
        await show(update, _("Broadcast #{id} is cancelled.").format(id=value))
    elif not await svc.campaigns.set_paused(value, step == "cp", actor=actor):
        await answer(update, context, _(STALE))
    else:
        await show_page(update, context, row.lang, key=value)
