"""Residents' and groups' settings: language, area, subscription, blocking, their data and /forget.

Every change is logged to the anonymous outreach log (area, language, chat kind; never the chat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.areas import AreaCatalog
from bot.store import Database, events, utcnow
from bot.store import chats as chat_store
from bot.store.chats import ChatRow, chat_kind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscribeResult:
    chat: ChatRow
    changed: bool


class Subscriptions:
    """The service the Telegram adapter (and later other channels) call for chat settings."""

    def __init__(self, db: Database, areas: AreaCatalog) -> None:
        self.db = db
        self.areas = areas

    async def get(self, chat_id: int) -> ChatRow | None:
        return await chat_store.get(self.db, chat_id)

    async def ensure(
        self, chat_id: int, kind: str, lang: str = "vi", title: str | None = None
    ) -> ChatRow:
        return await chat_store.ensure(self.db, chat_id, kind, lang, title)

    async def set_language(self, chat_id: int, lang: str) -> ChatRow:
        before = await self._require(chat_id)
        await chat_store.update(self.db, chat_id, lang=lang, lang_chosen=1)
        if before.lang != lang or not before.lang_chosen:
            await events.log(
                self.db, "language", area_id=before.area_id, lang=lang,
                chat_kind=chat_kind(before.kind),
            )
        return await self._require(chat_id)

    async def subscribe(self, chat_id: int, area_id: str) -> SubscribeResult:
        """Subscribe a chat to an area (moving it from another area if it had one)."""
        if self.areas.get(area_id) is None:
            raise ValueError(f"unknown area {area_id!r}")
        before = await self._require(chat_id)
        if before.subscribed and before.area_id == area_id and not before.blocked:
            return SubscribeResult(before, changed=False)
        kind = chat_kind(before.kind)
        if before.subscribed and before.area_id and before.area_id != area_id:
            await events.log(
                self.db, "unsubscribe", area_id=before.area_id, lang=before.lang,
                chat_kind=kind, detail="moved", active=-_receiving(before),
            )
        await chat_store.update(self.db, chat_id, area_id=area_id, subscribed=1, blocked=0)
        await events.log(self.db, "subscribe", area_id=area_id, lang=before.lang, chat_kind=kind,
                         active=1)
        return SubscribeResult(await self._require(chat_id), changed=True)

    async def unsubscribe(self, chat_id: int, reason: str = "command") -> ChatRow | None:
        before = await chat_store.get(self.db, chat_id)
        if before is None or not before.subscribed:
            return before
        await chat_store.update(self.db, chat_id, subscribed=0)
        await events.log(
            self.db, "unsubscribe", area_id=before.area_id, lang=before.lang,
            chat_kind=chat_kind(before.kind), detail=reason, active=-_receiving(before),
        )
        return await chat_store.get(self.db, chat_id)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        """The resident blocked (or unblocked) the bot: no more messages until they come back."""
        async with self.db.transaction() as conn:
            await chat_store.set_blocked(conn, self.db.tz, chat_id, blocked, utcnow())

    async def migrate(self, old_id: int, new_id: int) -> None:
        if await chat_store.move(self.db, old_id, new_id, "supergroup"):
            logger.info("group moved to a supergroup; settings follow the new id")

    async def forget(self, chat_id: int) -> bool:
        """Delete everything stored about a chat; the anonymous counts stay correct."""
        before = await chat_store.get(self.db, chat_id)
        if before is None:
            return False
        await self.unsubscribe(chat_id, reason="forget")  # counted as any unsubscription
        await events.log(self.db, "forget", lang=before.lang, chat_kind=chat_kind(before.kind))
        async with self.db.transaction() as conn:
            await chat_store.delete(conn, chat_id)
        return True

    async def _require(self, chat_id: int) -> ChatRow:
        row = await chat_store.get(self.db, chat_id)
        if row is None:
            raise LookupError(f"chat {chat_id} is not known")
        return row


def _receiving(chat: ChatRow) -> int:
    """1 when the chat receives warnings now (subscribed and not blocked), else 0."""
    return int(chat.subscribed and not chat.blocked)
