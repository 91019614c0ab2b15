"""Problems staff must hear about once: a campaign or broadcast naming a removed area, an empty
campaigns folder, an item that failed while the others went on.

A notice has a stable `key`; it is remembered in the database when first told, so the same
problem is not told again at every reconcile or restart. The texts are gettext message ids,
rendered in each staff member's language by the channel (bot/channels/telegram/sender.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.i18n import N_, gettext, normalise_lang
from bot.store import Database
from bot.store import notices as notice_store

logger = logging.getLogger(__name__)

TEXTS = {
    "campaign_areas_dropped": N_(
        "Campaign “{name}” ({key}) names areas that are no longer in the area list: {areas}. "
        "It now goes only to the areas that remain."),
    "campaign_paused": N_(
        "Campaign “{name}” ({key}) is paused: none of its areas is in the area list any more "
        "({areas})."),
    "campaign_failed": N_(
        "Campaign “{name}” ({key}) could not be planned: {problem}. The other broadcasts go "
        "on."),
    "broadcast_areas_dropped": N_(
        "Broadcast #{id} names areas that are no longer in the area list: {areas}. It was "
        "sent only to the areas that remain."),
    "broadcast_not_sent": N_(
        "Broadcast #{id} was not sent: none of its areas is in the area list any more "
        "({areas}). It is marked cancelled; make a new one with /broadcast if it is still "
        "needed."),
    "broadcast_failed": N_(
        "Broadcast #{id} could not be started: {problem}. The other broadcasts go on; it is "
        "tried again every few seconds."),
    "campaign_files": N_(
        "The seasonal campaign files could not be read; the campaigns synced before still "
        "run. Please ask the operator to fix: {problem}"),
    "campaigns_empty": N_(
        "The campaigns folder {folder} has no campaign file, but {count} seasonal campaigns "
        "were synced from it before. They were kept and still run. To stop one, pause it in "
        "/scheduled; if the folder is wrong, ask the operator to check SANSANG_CAMPAIGNS."),
    "weather_down": N_(
        "The weather forecast service has failed {count} times in a row since {since} "
        "({error}). No weather advisory can be drafted until it answers again; everything "
        "else in the bot works. Meanwhile follow the official bulletins at nchmf.gov.vn. You "
        "will be told once when it is back."),
    "zalo_token": N_(
        "The bot can no longer send on Zalo: refreshing the Zalo OA's access token failed "
        "({problem}). The OA must be re-authorised: please ask the operator to follow the "
        "README section \"Zalo\" (re-authorise the OA and set ZALO_REFRESH_TOKEN). Telegram "
        "works as before. You will be told again if it fails after being fixed."),
    "weather_back": N_(
        "The weather forecast service answers again (it had failed since {since}). Weather "
        "advisories are drafted again."),
}
FIXES = {
    "file": N_("To fix it: correct the target in its file in the campaigns folder, or add the "
               "areas back to areas.toml; then restart the bot (and resume it in /scheduled if "
               "it was paused)."),
    "staff": N_("To fix it: pause it in /scheduled and make a new weekly broadcast with "
                "/broadcast."),
    "log": N_("Please ask the operator to check the bot's log."),
}


@dataclass(frozen=True)
class Notice:
    key: str  # the problem, stable: told once per key
    kind: str  # a key of TEXTS
    params: dict[str, str] = field(default_factory=dict)
    fix: str | None = None  # a key of FIXES

    def text(self, lang: str) -> str:
        """The notice in one language, its fix on a line of its own; params unescaped.

        A param named `x_vi` / `x_en` (a campaign's name) fills `{x}` in that language."""
        _ = gettext(lang)
        params = dict(self.params)
        for name, value in self.params.items():
            if name.endswith("_" + normalise_lang(lang)):
                params[name[:-3]] = value
        text = _(TEXTS[self.kind]).format(**params)
        return text + ("\n" + _(FIXES[self.fix]) if self.fix else "")


Sink = Callable[[Notice], Awaitable[None]]


class Notices:
    """Tells staff each problem once (through `sink`, set by the channel), and logs it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sink: Sink | None = None

    async def tell(self, notice: Notice) -> bool:
        """True the first time this problem is told; never raises (one bad notice must not
        stop the loop that found it)."""
        try:
            if not await notice_store.remember(self.db, notice.key):
                return False
            logger.warning("told staff: %s %s", notice.kind, notice.params)
            if self.sink is not None:
                await self.sink(notice)
        except Exception:
            logger.exception("could not tell staff about %s", notice.key)
        return True

    async def forget(self, prefix: str) -> None:
        try:
            await notice_store.forget(self.db, prefix)
        except Exception:
            logger.exception("could not forget the notices %s", prefix)
