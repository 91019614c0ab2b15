"""A person (or a group) chatting with the real bot through the fake Bot API, as a phone would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.fakeapi import Call, FakeBotAPI

REPLY_TIMEOUT = 10.0  # generous: a bound on waiting, not a speed check
SENDS = ("sendMessage", "editMessageText", "sendDocument")


@dataclass
class Person:
    api: FakeBotAPI
    user_id: int
    chat_id: int | None = None  # None: the person's private chat
    chat_type: str | None = None
    language_code: str = "vi"
    first_name: str = "Lan"

    @property
    def chat(self) -> int:
        return self.chat_id if self.chat_id is not None else self.user_id

    def in_group(self, chat_id: int, chat_type: str = "group") -> Person:
        return Person(self.api, self.user_id, chat_id, chat_type, self.language_code,
                      self.first_name)

    async def say(self, text: str) -> dict[str, Any]:
        """Send a message and return the bot's first answer in this chat."""
        mark = self.api.mark()
        self.api.send_message(
            self.user_id, text, chat_id=self.chat_id, chat_type=self.chat_type,
            first_name=self.first_name, language_code=self.language_code,
        )
        return (await self.reply_since(mark)).params

    async def reply_since(self, mark: int) -> Call:
        return await self.api.wait_for(
            lambda c: c.method in SENDS and c.status == 200
            and int(c.params.get("chat_id", 0)) == self.chat,
            since=mark, timeout=REPLY_TIMEOUT,
        )

    def last(self) -> dict[str, Any]:
        """The latest message of the bot in this chat, as shown now."""
        message = self.api.last_message(self.chat)
        assert message is not None, f"the bot sent nothing to chat {self.chat}"
        return message

    def buttons(self) -> dict[str, str]:
        """Label → callback data of the latest keyboard in this chat."""
        for message in reversed(self.api.messages(self.chat)):
            markup = message.get("reply_markup") or {}
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            if rows:
                return {b["text"]: b.get("callback_data", "") for row in rows for b in row}
        return {}

    def keyboard_message_id(self) -> int:
        for message in reversed(self.api.messages(self.chat)):
            if (message.get("reply_markup") or {}).get("inline_keyboard"):
                return int(message["message_id"])
        raise AssertionError(f"no keyboard in chat {self.chat}")

    async def press(self, label: str) -> Call:
        """Press the button whose label contains `label`; return the bot's answer to the press."""
        matches = [data for text, data in self.buttons().items() if label in text]
        assert len(matches) == 1, f"{label!r} not exactly one of {list(self.buttons())}"
        return await self.press_data(matches[0])

    async def press_data(self, data: str, message_id: int | None = None) -> Call:
        """Press a button with any data (clients can forge it); wait for answerCallbackQuery."""
        mark = self.api.mark()
        query_id = self.api.press_button(
            self.user_id, self.chat,
            message_id if message_id is not None else self.keyboard_message_id(), data,
        )
        return await self.api.wait_for(
            lambda c: c.method == "answerCallbackQuery"
            and str(c.params.get("callback_query_id")) == str(query_id),
            since=mark, timeout=REPLY_TIMEOUT,
        )

    async def sync(self) -> None:
        """Round trip a harmless command, so that what came before has been handled."""
        await self.say("/help")


async def eventually(check: Any, timeout: float = REPLY_TIMEOUT) -> None:  # noqa: ASYNC109
    """Wait (bounded) until `await check()` is true: for effects with no message to wait on."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"still false after {timeout} s: {check.__name__}")
        await asyncio.sleep(0.02)
