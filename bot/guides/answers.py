"""Answering residents: a guide for a question, a guide opened from the menu; both logged.

The outreach log gets every question (answered or not; an unanswered one keeps its text, never
who asked, so the ward can write the missing guide, with phone numbers, e-mail addresses and long
numbers blanked) and every guide view with its source.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.guides.library import Guide, Library
from bot.guides.search import GuideSearch, is_danger
from bot.redact import redact_contacts
from bot.store import Database, events

logger = logging.getLogger(__name__)

UNANSWERED_TEXT_LIMIT = 200
SEE_ALSO = 3
# The outreach log's chat kind (bot.store.chats.chat_kind) → the guides' audience written for it:
# a school's group asking about a storm gets the school's storm guide first.
AUDIENCE_OF_KIND = {"school": "school", "market": "market", "office": "office"}


@dataclass(frozen=True)
class Answer:
    guide: Guide | None
    see_also: tuple[Guide, ...]
    danger: bool


class Answers:
    def __init__(self, db: Database, library: Library) -> None:
        self.db = db
        self.library = library
        self.search = GuideSearch(library)

    async def ask(
        self, question: str, lang: str, *, area_id: str | None, chat_kind: str,
        channel: str = "telegram",
    ) -> Answer:
        """The best guide for a question and its see-also; the question and the view are logged
        with the channel it came through (`telegram` or `zalo`)."""
        danger = is_danger(question)
        hits = self.search.search(question, limit=1 + SEE_ALSO)
        guides = [g for g in (self.library.get(h.guide_id, lang) for h in hits) if g]
        if not danger:  # in danger, the life-safety answer stays first whoever asks
            guides = self.for_audience(guides, lang, chat_kind)
        if not guides:
            await events.log(
                self.db, "question", area_id=area_id, lang=lang, chat_kind=chat_kind,
                detail=" ".join(redact_contacts(question).split())[:UNANSWERED_TEXT_LIMIT],
                channel=channel,
            )
            return Answer(None, (), danger)
        best = guides[0]
        await events.log(self.db, "question", area_id=area_id, lang=lang, chat_kind=chat_kind,
                         guide_id=best.id, channel=channel)
        await self._viewed(best, lang, area_id, chat_kind, "question", channel)
        return Answer(best, tuple(guides[1:]) or self.related(best, lang), danger)

    async def view(
        self, guide_id: str, lang: str, *, area_id: str | None, chat_kind: str,
        channel: str = "telegram",
    ) -> Guide | None:
        guide = self.library.get(guide_id, lang)
        if guide is not None:
            await self._viewed(guide, lang, area_id, chat_kind, "menu", channel)
        return guide

    def for_audience(self, guides: list[Guide], lang: str, chat_kind: str) -> list[Guide]:
        """The hits re-ranked for who asks: when a school's (market's, office's) group asks and
        the best hit is not written for it, the guide of the same hazard and phase written for
        it (among the hits, else in the library) goes first; the others follow in order."""
        audience = AUDIENCE_OF_KIND.get(chat_kind)
        if audience is None or not guides or audience in guides[0].audience:
            return guides
        best = guides[0]

        def fits(g: Guide) -> bool:
            return (audience in g.audience and g.hazard == best.hazard
                    and (g.phase == best.phase or "any" in (g.phase, best.phase)))

        found = next((g for g in guides if fits(g)), None) or next(
            (g for g in self.library.for_hazard(best.hazard, lang) if fits(g)), None)
        if found is None:
            return guides
        return [found, *(g for g in guides if g.id != found.id)][: 1 + SEE_ALSO]

    def related(self, guide: Guide, lang: str) -> tuple[Guide, ...]:
        found = (self.library.get(gid, lang) for gid in guide.related)
        return tuple(g for g in found if g is not None)[:SEE_ALSO]

    async def _viewed(
        self, guide: Guide, lang: str, area_id: str | None, chat_kind: str, source: str,
        channel: str = "telegram",
    ) -> None:
        await events.log(self.db, "guide_view", area_id=area_id, lang=lang, chat_kind=chat_kind,
                         guide_id=guide.id, detail=f"{guide.hazard}:{source}", channel=channel)
