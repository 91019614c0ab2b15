"""`sansang shell`: chat with the real bot in a terminal, with no token and no Telegram.

The same application runs against the fake Bot API in this process, on a throw-away database.
Replies are printed with their buttons numbered; type a number to press that button.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.channels.telegram.app import build_application, running
from bot.config import Config
from bot.fakeapi import FakeBotAPI

SHELL_TOKEN = "4242424242:SHELL-not-a-real-token-0000000000000"  # noqa: S105 - a fake
PEOPLE = {"resident": 1001, "staff": 2002, "lead": 3003}
HELP = (
    "Shell commands:\n"
    "  :as resident | :as staff | :as lead   switch who you are\n"
    "  :help                                 this help\n"
    "  :quit                                 leave (Ctrl-D works too)\n"
    "Anything else is sent to the bot as a message; a number presses that button."
)
SETTLE_SECONDS = 0.4
NOTHING_SECONDS = 3.0  # the bot ignores some input (an edited message): stop waiting
MAX_WAIT_SECONDS = 10.0


def plain(text: str) -> str:
    """Telegram HTML to terminal text."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@dataclass
class Session:
    api: FakeBotAPI
    out: TextIO
    who: str = "resident"
    buttons: list[tuple[int, int, str]] = field(default_factory=list)  # chat, message, data

    @property
    def user_id(self) -> int:
        return PEOPLE[self.who]

    def print_calls(self, calls: list[Any]) -> None:
        """Print what the bot sent or edited, with the buttons numbered."""
        shown: list[tuple[int, int, str]] = []
        for call in calls:
            if call.status != 200:
                continue
            params = call.params
            if call.method == "answerCallbackQuery" and params.get("text"):
                self.out.write(f"bot (pop-up)> {plain(str(params['text']))}\n")
                continue
            if call.method not in ("sendMessage", "editMessageText", "sendDocument"):
                continue
            result = call.response.get("result", {}) if isinstance(call.response, dict) else {}
            chat_id = int(params.get("chat_id", 0))
            message_id = int(result.get("message_id", params.get("message_id", 0)) or 0)
            label = "bot (edited)>" if call.method == "editMessageText" else "bot>"
            text = str(params.get("text") or params.get("caption") or "")
            lines = plain(text).splitlines() or [""]
            self.out.write(f"{label} {lines[0]}\n")
            for line in lines[1:]:
                self.out.write(f"     {line}\n")
            markup = params.get("reply_markup") or {}
            rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
            for row in rows:
                cells = []
                for button in row:
                    if "callback_data" in button:
                        shown.append((chat_id, message_id, button["callback_data"]))
                        cells.append(f"[{len(shown)}] {button['text']}")
                    elif "url" in button:
                        cells.append(f"({button['text']}: {button['url']})")
                if cells:
                    self.out.write("     " + "  ".join(cells) + "\n")
        if shown:
            self.buttons = shown
        self.out.flush()

    async def exchange(self, line: str) -> None:
        mark = self.api.mark()
        if line.isdigit() and self.buttons:
            index = int(line) - 1
            if not 0 <= index < len(self.buttons):
                self.out.write(f"(no button {line}; there are {len(self.buttons)})\n")
                return
            chat_id, message_id, data = self.buttons[index]
            self.api.press_button(self.user_id, chat_id, message_id, data)
        else:
            self.api.send_message(self.user_id, line, first_name=self.who.title())
        self.print_calls(await self.collect(mark))

    async def collect(self, mark: int) -> list[Any]:
        """Wait until the bot has been quiet for a moment, then return what it did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_WAIT_SECONDS
        seen, quiet_since = mark, loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            if len(self.api.calls) != seen:
                seen, quiet_since = len(self.api.calls), loop.time()
            else:
                quiet = loop.time() - quiet_since
                if (quiet >= SETTLE_SECONDS and seen > mark) or quiet >= NOTHING_SECONDS:
                    break
        return [c for c in self.api.calls[mark:] if c.method != "getUpdates"]


async def chat(stdin: TextIO, out: TextIO, db_path: Path) -> int:
    api = FakeBotAPI(token=SHELL_TOKEN)
    await api.start()
    for user_id in PEOPLE.values():
        api.add_chat(user_id, "private", first_name="Shell")
    config = Config.from_env(
        {
            "TELEGRAM_BOT_TOKEN": SHELL_TOKEN,
            "TELEGRAM_API_URL": api.url,
            "SANSANG_DB": str(db_path),
            "SANSANG_STAFF_IDS": str(PEOPLE["staff"]),
            "SANSANG_LEAD_IDS": str(PEOPLE["lead"]),
            "SANSANG_WEATHER": "off",
        }
    )
    session = Session(api, out)
    loop = asyncio.get_running_loop()
    try:
        async with running(build_application(config), poll_timeout=1):
            out.write(
                f"Sẵn sàng shell: you are a resident (user {session.user_id}). "
                "Type /start. ':help' for shell commands.\n"
            )
            while True:
                out.write(f"{session.who}> ")
                out.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    out.write("\n")
                    break
                line = line.strip()
                if not line:
                    continue
                if line in (":quit", ":q", ":exit"):
                    break
                if line == ":help":
                    out.write(HELP + "\n")
                    continue
                if line.startswith(":as"):
                    who = line[3:].strip()
                    if who not in PEOPLE:
                        out.write("(use :as resident, :as staff or :as lead)\n")
                        continue
                    session.who, session.buttons = who, []
                    out.write(f"(you are now {who}, user {session.user_id})\n")
                    continue
                if line.startswith(":"):
                    out.write("(unknown shell command; :help)\n")
                    continue
                await session.exchange(line)
    finally:
        await api.stop()
    return 0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sansang-shell-") as tmp:
        try:
            return asyncio.run(chat(sys.stdin, sys.stdout, Path(tmp) / "shell.sqlite3"))
        except KeyboardInterrupt:
            return 0
