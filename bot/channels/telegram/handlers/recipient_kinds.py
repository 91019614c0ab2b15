"""The /broadcast wizard's step after the areas: everyone in them, or only chosen kinds of
recipients (households, schools, markets, offices), with the recipients counted by kind.

The draft's "kinds" is None for everyone (the broadcast's kinds NULL), else the chosen list.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import buttons, services, show
from bot.i18n import N_, gettext, number

# The kinds staff choose from in the wizard (the CLI takes residential and other too).
CHOICES: dict[str, str] = {
    "household": N_("🏠 Households"),
    "school": N_("🏫 Schools"),
    "market": N_("🛒 Markets"),
    "office": N_("🏢 Offices, agencies"),
}
# Every recipient kind, as counted in the preview.
COUNTED: dict[str, str] = {
    "household": N_("households"),
    "school": N_("schools"),
    "market": N_("markets"),
    "office": N_("offices, agencies"),
    "residential": N_("residential groups"),
    "other": N_("other groups"),
}


def toggle(draft: dict[str, Any], step: str, value: str) -> bool:
    """Button b:kall (everyone) or b:k:KIND (one kind on or off); False for a forged kind."""
    if step == "kall":
        draft["kinds"] = None
        return True
    if value not in CHOICES:
        return False
    chosen = set(draft.get("kinds") or [])
    chosen ^= {value}
    draft["kinds"] = [k for k in CHOICES if k in chosen]
    return True


async def counts(context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]) -> dict[str, int]:
    """Recipients now by kind, in the draft's areas (BroadcastError: an area went away)."""
    svc = services(context)
    targets = None if draft.get("all") else draft.get("targets")
    areas = None if targets is None else svc.broadcasts.expand_targets(targets)
    found = await svc.broadcasts.recipients_by_kind(areas)
    return {kind: int(found.get(kind, 0)) for kind in COUNTED}


def total(by_kind: dict[str, int], kinds: list[str] | None) -> int:
    return sum(n for kind, n in by_kind.items() if kinds is None or kind in kinds)


def counts_text(by_kind: dict[str, int], kinds: list[str] | None, lang: str) -> str:
    """ "By kind: households 12 · schools 2 · …", only the chosen kinds when some are."""
    _ = gettext(lang)
    shown = [f"{_(COUNTED[kind])} {number(n, lang)}" for kind, n in by_kind.items()
             if kinds is None or kind in kinds]
    return _("By kind: {counts}").format(counts=" · ".join(shown))


async def ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, draft: dict[str, Any]
) -> int:
    """Show the kinds step (again, after a toggle); returns the wizard's KINDS state."""
    from bot.channels.telegram.handlers.broadcast import KINDS

    _ = gettext(lang)
    kinds = draft.setdefault("kinds", None)
    by_kind = await counts(context, draft)
    tick = lambda on: "✅ " if on else ""  # noqa: E731
    cells = [(tick(kinds is not None and kind in kinds) + _(label), callbacks.bc("k", kind))
             for kind, label in CHOICES.items()]
    rows = [[(tick(kinds is None) + _("Everyone in the areas"), callbacks.bc("kall"))],
            cells[:2], cells[2:],
            [(_("Next ▶"), callbacks.bc("knext")), (_("Cancel"), callbacks.bc("stop"))]]
    text = _("Who in these areas? Everyone, or only some kinds of recipients (choose one or "
             "more), then Next.") + "\n" + counts_text(by_kind, None, lang)
    await show(update, text, buttons(rows))
    return KINDS
