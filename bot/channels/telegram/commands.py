"""The bot's commands, who sees them, and their one-line help: the one list that Telegram's menus,
/help and tests/test_commands.py read (the handlers in app.py must match it)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from bot.roles import Role


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # English message id; translated when shown
    role: Role = Role.RESIDENT


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start: choose your language and neighbourhood")),
    Command("help", N_("Menu and how to ask a question")),
    Command("report", N_("Report flooding where you are (location, depth, photo)")),
    Command("guides", N_("Guides for storms, floods, heat and cold")),
    Command("emergency", N_("Emergency phone numbers")),
    Command("weather", N_("Weather for the coming days and ward warnings")),
    Command("area", N_("See or change your neighbourhood")),
    Command("language", N_("Change the language")),
    Command("subscribe", N_("Receive warnings for your neighbourhood")),
    Command("unsubscribe", N_("Stop receiving warnings")),
    Command("mydata", N_("See what is stored about you")),
    Command("forget", N_("Delete the stored data")),
    Command("broadcast", N_("Staff: send or schedule a warning"), Role.STAFF),
    Command("scheduled", N_("Staff: see or cancel scheduled broadcasts"), Role.STAFF),
    Command("cancel", N_("Staff: leave the broadcast or warning text being written"), Role.STAFF),
    Command("stats", N_("Staff: this month's outreach in numbers"), Role.STAFF),
    Command("points", N_("Staff: this month's worst flooding points and their map"),
            Role.STAFF),
    Command("export", N_("Lead officer: download the outreach report (Excel)"), Role.LEAD),
    Command("staff", N_("Lead officer: list, add or remove ward staff"), Role.LEAD),
)


def visible_to(role: Role) -> list[Command]:
    """The commands a user of that role sees, residents' first."""
    return [c for c in COMMANDS if c.role <= role]
