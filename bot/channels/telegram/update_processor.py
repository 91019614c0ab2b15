"""The order of updates: one chat's updates one after another, different chats' at once.

PTB's `concurrent_updates(n)` handles any updates at once, so a resident's two quick presses (or
a wizard's steps, which a `ConversationHandler` needs in order) could race each other. This
processor holds a lock per chat (see PTB's wiki, "Concurrency"); a lock lives only while its chat
has updates in hand, so memory stays bounded by the updates being handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

HANDLING = 64  # updates whose handlers run at once
IN_HAND = 512  # updates taken from the queue, including those waiting for their chat's turn


class _ChatTurn:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat in the order Telegram sent them; up to `handling` chats at once.

    An update waiting for its chat's earlier update does not take one of the `handling` places,
    so a chat that sends many updates quickly slows only itself. Updates without a chat (inline
    queries, polls) need no order and get no lock.
    """

    def __init__(self, handling: int = HANDLING, in_hand: int = IN_HAND) -> None:
        super().__init__(max(handling, in_hand))
        self._handling = asyncio.Semaphore(handling)
        self._turns: dict[int, _ChatTurn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._handling:
                await coroutine
            return
        turn = self._turns.get(chat.id)
        if turn is None:
            turn = self._turns[chat.id] = _ChatTurn()
        turn.users += 1
        try:
            async with turn.lock, self._handling:
                await coroutine
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[chat.id]

    @property
    def chats_in_hand(self) -> int:
        """Chats with an update being handled or waiting (tests: locks do not pile up)."""
        return len(self._turns)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
