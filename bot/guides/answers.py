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
        self, question: str, lang: str, *, area_id: str | None, chat_kind: str
    ) -> Answer:
        danger = is_danger(question)
        hits = self.search.search(question, limit=1 + SEE_ALSO)
        guides = [g for g in (self.library.get(h.guide_id, lang) for h in hits) if g]
        if not guides:
            await events.log(
                self.db, "question", area_id=area_id, lang=lang, chat_kind=chat_kind,
                detail=" ".join(redact_contacts(question).split())[:UNANSWERED_TEXT_LIMIT],
            )
            return Answer(None, (), danger)
        best = guides[0]
        await events.log(self.db, "question", area_id=area_id, lang=lang, chat_kind=chat_kind,
                         guide_id=best.id)
        await self._viewed(best, lang, area_id, chat_kind, "question")
        return Answer(best, tuple(guides[1:]) or self.related(best, lang), danger)

    async def view(
        self, guide_id: str, lang: str, *, area_id: str | None, chat_kind: str
    ) -> Guide | None:
        guide = self.library.get(guide_id, lang)
        if guide is not None:
            await self._viewed(guide, lang, area_id, chat_kind, "menu")
        return guide

    def related(self, guide: Guide, lang: str) -> tuple[Guide, ...]:
        found = (self.library.get(gid, lang) for gid in guide.related)
        return tuple(g for g in found if g is not None)[:SEE_ALSO]

    async def _viewed(
        self, guide: Guide, lang: str, area_id: str | None, chat_kind: str, source: str
    ) -> None:
        await events.log(self.db, "guide_view", area_id=area_id, lang=lang, chat_kind=chat_kind,
                         guide_id=guide.id, detail=f"{guide.hazard}:{source}")
