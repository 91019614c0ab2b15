"""Residents' and groups' settings: language, area, subscription, blocking, their data and /forget.

Every change is logged to the anonymous outreach log (area, language, chat kind; never the chat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.store import Database, events, utcnow
from bot.store import chats as chat_store
from bot.store import flood_reports as flood_store
from bot.store.chats import GROUP_KINDS, ChatRow, chat_kind
from bot.store.events import Event
from bot.subscriptions.areas import AreaCatalog

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

    async def channel_chat(self, channel: str, address: str, lang: str = "vi") -> int:
        """The internal chat_id of a Zalo user (`address`: their id as a str), made if new."""
        return await chat_store.channel_chat(self.db, channel, address, lang)

    async def by_address(self, channel: str, address: str) -> ChatRow | None:
        return await chat_store.by_address(self.db, channel, address)

    async def ensure(
        self, chat_id: int, kind: str, lang: str = "vi", title: str | None = None
    ) -> ChatRow:
        return await chat_store.ensure(self.db, chat_id, kind, lang, title)

    async def set_language(self, chat_id: int, lang: str) -> ChatRow:
        async with self.db.transaction() as conn:
            before = await _require(conn, chat_id)
            after = await _change(conn, chat_id, lang=lang, lang_chosen=1)
            if before.lang != lang or not before.lang_chosen:
                await events.add(conn, self.db.tz, [Event(
                    "language", area_id=before.area_id, lang=lang,
                    chat_kind=_kind(before),
                )], channel=before.channel)
        return after

    async def subscribe(self, chat_id: int, area_id: str) -> SubscribeResult:
        """Subscribe a chat to an area (moving it from another area if it had one)."""
        if self.areas.get(area_id) is None:
            raise ValueError(f"unknown area {area_id!r}")
        async with self.db.transaction() as conn:
            before = await _require(conn, chat_id)
            if before.subscribed and before.area_id == area_id and not before.blocked:
                return SubscribeResult(before, changed=False)
            kind = _kind(before)
            logged = []
            if before.subscribed and before.area_id and before.area_id != area_id:
                logged.append(Event(
                    "unsubscribe", area_id=before.area_id, lang=before.lang, chat_kind=kind,
                    detail="moved", active=-_receiving(before),
                ))
            after = await _change(conn, chat_id, area_id=area_id, subscribed=1, blocked=0)
            logged.append(Event("subscribe", area_id=area_id, lang=before.lang, chat_kind=kind,
                                active=1))
            await events.add(conn, self.db.tz, logged, channel=before.channel)
        return SubscribeResult(after, changed=True)

    async def set_group_kind(self, chat_id: int, kind: str | None) -> ChatRow:
        """Say what kind of group a chat is (school, market, ...; None: not set), in one
        transaction with its two outreach events: the old kind loses the group (active -1 if it
        was receiving warnings), the new one gains it (+1), so per-kind active counts stay right.
        """
        if kind is not None and kind not in GROUP_KINDS:
            raise ValueError(f"unknown group kind {kind!r} (choose from {', '.join(GROUP_KINDS)})")
        async with self.db.transaction() as conn:
            before = await _require(conn, chat_id)
            if before.kind == "private":
                raise ValueError("a private chat has no group kind")
            if before.group_kind == kind:
                return before
            after = await _change(conn, chat_id, group_kind=kind)
            receiving = _receiving(before)
            await events.add(conn, self.db.tz, [
                Event("group_kind", area_id=before.area_id, lang=before.lang,
                      chat_kind=_kind(before), active=-receiving),
                Event("group_kind", area_id=before.area_id, lang=before.lang,
                      chat_kind=_kind(after), active=receiving),
            ], channel=before.channel)
        return after

    async def unsubscribe(self, chat_id: int, reason: str = "command") -> ChatRow | None:
        async with self.db.transaction() as conn:
            return await _unsubscribe(conn, self.db.tz, chat_id, reason)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        """The resident blocked (or unblocked) the bot: no more messages until they come back."""
        async with self.db.transaction() as conn:
            await chat_store.set_blocked(conn, self.db.tz, chat_id, blocked, utcnow())

    async def migrate(self, old_id: int, new_id: int) -> None:
        if await chat_store.move(self.db, old_id, new_id, "supergroup"):
            logger.info("group moved to a supergroup; settings follow the new id")

    async def forget(self, chat_id: int) -> bool:
        """Delete everything stored about a chat; the anonymous counts stay correct.

        Its flood reports stay (the place, depth and time are the ward's record) but no longer
        name the chat, in the same transaction."""
        async with self.db.transaction() as conn:
            reports = await flood_store.forget_chat(conn, chat_id)
            before = await _unsubscribe(conn, self.db.tz, chat_id, "forget")  # as any other
            if before is None:
                return reports > 0
            await events.add(conn, self.db.tz, [
                Event("forget", lang=before.lang, chat_kind=_kind(before)),
            ], channel=before.channel)
            # The row goes, and with it the Zalo id, the shared phone number and the windows.
            await chat_store.delete(conn, chat_id)
        return True

    async def touch(self, chat_id: int, at: str) -> None:
        """The resident wrote, tapped or followed on Zalo at `at` (UTC ISO): the 48 h and 7 day
        windows count from the latest such time (an older one never moves it back)."""
        async with self.db.transaction() as conn:
            await chat_store.touch(conn, chat_id, at)

    async def set_phone(self, chat_id: int, phone: str | None) -> None:
        """Keep (or with None, delete) the phone number the resident shared for warnings after
        Zalo's 7-day window. It is never logged and never leaves in an export."""
        async with self.db.transaction() as conn:
            await chat_store.change(conn, chat_id, phone=phone)

    async def mark_phone_asked(self, chat_id: int) -> bool:
        """True once per chat: the caller may ask for a phone number now; never asked twice,
        even by two events handled at once (the flag is read and set in one statement)."""
        async with self.db.transaction() as conn:
            return await chat_store.claim_phone_question(conn, chat_id)


async def _require(conn: aiosqlite.Connection, chat_id: int) -> ChatRow:
    row = await chat_store.read(conn, chat_id)
    if row is None:
        raise LookupError(f"chat {chat_id} is not known")
    return row


async def _change(conn: aiosqlite.Connection, chat_id: int, **fields: Any) -> ChatRow:
    row = await chat_store.change(conn, chat_id, **fields)
    assert row is not None  # read in the same transaction
    return row


async def _unsubscribe(
    conn: aiosqlite.Connection, tz: ZoneInfo, chat_id: int, reason: str
) -> ChatRow | None:
    """Unsubscribe in the caller's transaction; the chat as it is now (None: not known)."""
    before = await chat_store.read(conn, chat_id)
    if before is None or not before.subscribed:
        return before
    after = await _change(conn, chat_id, subscribed=0)
    await events.add(conn, tz, [Event(
        "unsubscribe", area_id=before.area_id, lang=before.lang,
        chat_kind=_kind(before), detail=reason, active=-_receiving(before),
    )], channel=before.channel)
    return after


def _kind(chat: ChatRow) -> str:
    """The outreach log's kind of a chat: private, its group kind, or group while not set."""
    return chat_kind(chat.kind, chat.group_kind)


def _receiving(chat: ChatRow) -> int:
    """1 when the chat receives warnings now (subscribed and not blocked), else 0."""
    return int(chat.subscribed and not chat.blocked)
