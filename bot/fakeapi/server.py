"""A fake Telegram Bot API over real HTTP on 127.0.0.1, for the tests and `sansang shell`.

It keeps chats and the bot's messages, queues updates that tests inject (messages, button presses,
membership changes), records every call, and answers with Telegram's own envelopes and errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.fakeapi.html_check import utf16_len
from bot.fakeapi.limits import Limits
from bot.fakeapi.methods import BotMethods, canonical_name, scope_key
from bot.fakeapi.records import DEFAULT_DESCRIPTIONS, ApiError, Call, Fault

logger = logging.getLogger(__name__)

JSON_FIELDS = {
    "reply_markup", "scope", "commands", "entities", "link_preview_options",
    "reply_parameters", "allowed_updates", "caption_entities", "menu_button",
}
INT_FIELDS = {"user_id", "message_id", "offset", "limit", "message_thread_id"}
TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class FakeBotAPI(BotMethods):
    """See the module docstring. Injection methods are synchronous and return what they made."""

    def __init__(
        self,
        token: str | None = None,
        *,
        username: str = "sansang_test_bot",
        latency: float = 0.0,
        enforce_limits: bool = False,
    ) -> None:
        self.token = token
        self.username = username
        self.latency = latency
        self.enforce_limits = enforce_limits
        self.bot_id = int(token.split(":")[0]) if token else 7000000000
        self.calls: list[Call] = []
        self.stats: Counter[str] = Counter()
        self.chats: dict[int | str, dict[str, Any]] = {}
        self._messages: dict[int | str, list[dict[str, Any]]] = {}
        self._documents: dict[int | str, list[dict[str, Any]]] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_id = 0
        self._members: dict[tuple[int | str, int], str] = {}
        self._faults: list[Fault] = []
        self._slow: list[list[Any]] = []
        self._drops: list[list[Any]] = []
        self._blocked: set[int | str] = set()
        self._migrated: dict[int | str, int] = {}
        self._queries: dict[str, bool] = {}
        self._query_seq = 0
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._limits = Limits()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._stopping = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping.set()
        self._update_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---------------------------------------------------------------- objects
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id, "is_bot": True, "first_name": "Sẵn sàng",
            "username": self.username, "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", language_code: str | None = "vi"
             ) -> dict[str, Any]:
        out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            out["language_code"] = language_code
        return out

    def add_chat(self, chat_id: int | str, type: str = "private", title: str | None = None,
                 first_name: str | None = None) -> dict[str, Any]:  # noqa: A002
        chat: dict[str, Any] = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = first_name or "Lan"
        else:
            chat["title"] = title or "Group"
        self.chats[chat_id] = chat
        return chat

    def _chat(self, chat_id: int | str, chat_type: str | None = None) -> dict[str, Any]:
        if chat_id not in self.chats:
            kind = chat_type or ("private" if isinstance(chat_id, int) and chat_id > 0
                                 else "group")
            self.add_chat(chat_id, kind)
        return self.chats[chat_id]

    def _message_id(self, chat_id: int | str) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        self._update_id += 1
        update = {"update_id": self._update_id, **update}
        self._updates.append(update)
        self._update_event.set()
        return update

    # ---------------------------------------------------------------- injection
    def send_message(
        self, user_id: int, text: str, *, chat_id: int | str | None = None,
        chat_type: str | None = None, first_name: str = "Lan", language_code: str | None = "vi",
        **extra: Any,
    ) -> dict[str, Any]:
        chat = self._chat(user_id if chat_id is None else chat_id, chat_type)
        message: dict[str, Any] = {
            "message_id": self._message_id(chat["id"]), "date": int(time.time()),
            "chat": chat, "from": self.user(user_id, first_name, language_code), **extra,
        }
        if text is not None:
            message["text"] = text
            m = re.match(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
            if m:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}
                ]
        self._push({"message": message})
        return message

    def send_photo(self, user_id: int, chat_id: int | str | None = None) -> dict[str, Any]:
        photo = [{"file_id": "PHOTO1", "file_unique_id": "P1", "width": 90, "height": 90}]
        return self.send_message(user_id, None, chat_id=chat_id, photo=photo)  # type: ignore[arg-type]

    def send_sticker(self, user_id: int, chat_id: int | str | None = None) -> dict[str, Any]:
        sticker = {"file_id": "STK1", "file_unique_id": "S1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False}
        return self.send_message(user_id, None, chat_id=chat_id, sticker=sticker)  # type: ignore[arg-type]

    def send_location(self, user_id: int, lat: float, lon: float,
                      chat_id: int | str | None = None) -> dict[str, Any]:
        location = {"latitude": lat, "longitude": lon}
        return self.send_message(user_id, None, chat_id=chat_id, location=location)  # type: ignore[arg-type]

    def edit_user_message(self, user_id: int, message_id: int, new_text: str,
                          chat_id: int | str | None = None) -> dict[str, Any]:
        chat = self._chat(user_id if chat_id is None else chat_id)
        message = {
            "message_id": message_id, "date": int(time.time()) - 60,
            "edit_date": int(time.time()), "chat": chat, "from": self.user(user_id),
            "text": new_text,
        }
        self._push({"edited_message": message})
        return message

    def press_button(self, user_id: int, chat_id: int | str, message_id: int, data: str) -> str:
        """A callback query; `data` may be anything, as a modified client can send."""
        self._query_seq += 1
        query_id = f"cq{self._query_seq}"
        self._queries[query_id] = False
        stored = self._find(chat_id, message_id)
        chat = self._chat(chat_id)
        if stored is not None:
            message = {k: v for k, v in stored.items() if k not in ("parse_mode",
                                                                     "disable_notification")}
        else:
            message = {"message_id": message_id, "date": 0, "chat": chat}  # inaccessible
        self._push({"callback_query": {
            "id": query_id, "from": self.user(user_id), "message": message,
            "chat_instance": str(chat_id), "data": data,
        }})
        return query_id

    def _membership(self, chat_id: int | str, by_user_id: int, old: str, new: str,
                    title: str | None = None, chat_type: str = "group") -> dict[str, Any]:
        chat = self.chats.get(chat_id) or self.add_chat(chat_id, chat_type, title=title)

        def member(status: str) -> dict[str, Any]:
            out: dict[str, Any] = {"user": self.bot_user(), "status": status}
            if status == "kicked":
                out["until_date"] = 0
            return out

        return self._push({"my_chat_member": {
            "chat": chat, "from": self.user(by_user_id), "date": int(time.time()),
            "old_chat_member": member(old), "new_chat_member": member(new),
        }})

    def bot_added_to_group(self, chat_id: int | str, by_user_id: int,
                           title: str = "Trường THCS Lê Chân", chat_type: str = "group"
                           ) -> dict[str, Any]:
        self.add_chat(chat_id, chat_type, title=title)
        return self._membership(chat_id, by_user_id, "left", "member")

    def bot_removed_from_group(self, chat_id: int | str, by_user_id: int) -> dict[str, Any]:
        return self._membership(chat_id, by_user_id, "member", "left")

    def user_blocks_bot(self, user_id: int) -> dict[str, Any]:
        self._chat(user_id, "private")
        self._blocked.add(user_id)
        return self._membership(user_id, user_id, "member", "kicked")

    def user_unblocks_bot(self, user_id: int) -> dict[str, Any]:
        self._blocked.discard(user_id)
        return self._membership(user_id, user_id, "kicked", "member")

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        self._members[(chat_id, user_id)] = status

    # ---------------------------------------------------------------- faults
    def fail_next(self, method: str, *, status: int, description: str | None = None,
                  retry_after: int | None = None, migrate_to_chat_id: int | None = None,
                  chat_id: int | str | None = None, times: int = 1) -> None:
        if description is None:
            description = DEFAULT_DESCRIPTIONS.get(status, "Error")
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after or 1}"
                retry_after = retry_after or 1
        self._faults.append(Fault(method.lower(), status, description, retry_after,
                                  migrate_to_chat_id, chat_id, times))

    def block(self, chat_id: int | str) -> None:
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(chat_id)

    def migrate(self, chat_id: int | str, new_chat_id: int) -> None:
        old = self._chat(chat_id, "group")
        self.add_chat(new_chat_id, "supergroup", title=old.get("title"))
        self._migrated[chat_id] = new_chat_id

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._slow.append([method.lower(), seconds, times])

    def drop_next(self, method: str, times: int = 1) -> None:
        self._drops.append([method.lower(), times])

    @staticmethod
    def _take(rules: list[list[Any]], method: str) -> list[Any] | None:
        for rule in rules:
            if rule[0] == method and rule[-1] > 0:
                rule[-1] -= 1
                return rule
        return None

    def _fault_for(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.method == method and (
                fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id"))
            ):
                fault.times -= 1
                return fault
        return None

    # ---------------------------------------------------------------- reading
    def mark(self) -> int:
        return len(self.calls)

    def messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        return list(self._messages.get(chat_id, []))

    def last_message(self, chat_id: int | str) -> dict[str, Any] | None:
        found = self._messages.get(chat_id)
        return found[-1] if found else None

    def documents(self, chat_id: int | str) -> list[dict[str, Any]]:
        return list(self._documents.get(chat_id, []))

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = ""
                 ) -> list[dict[str, Any]]:
        return list(self._commands.get((scope_key(scope), language_code or ""), []))

    async def wait_for(self, predicate: Callable[[Call], bool], *, since: int | None = None,
                       timeout: float = 5.0) -> Call:  # noqa: ASYNC109 - a test helper's bound
        start = len(self.calls) if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._call_event
            for call in self.calls[start:]:
                if predicate(call):
                    return call
            start = len(self.calls)
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(
                    f"{c.method}({c.params.get('chat_id', '')})={c.status}"
                    for c in self.calls[-12:] if c.method != "getUpdates"
                )
                raise TimeoutError(f"no matching call within {timeout} s; recent: {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_message(self, chat_id: int | str, *, since: int | None = None,
                           timeout: float = 5.0,  # noqa: ASYNC109
                           contains: str | None = None) -> Call:
        return await self.wait_for(
            lambda c: c.method in ("sendMessage", "editMessageText") and c.status == 200
            and str(c.params.get("chat_id")) == str(chat_id)
            and (contains is None or contains in str(c.params.get("text", ""))),
            since=since, timeout=timeout,
        )

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.stats[call.method] += 1
        self.stats[str(call.status)] += 1
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    # ---------------------------------------------------------------- HTTP
    async def _file(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                 status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if (self.token is not None and token != self.token) or not TOKEN_SHAPE.match(token):
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        name = request.match_info["method"]
        method = name.lower()
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        params = await _params(request)
        call = Call(canonical_name(name), params)
        if method != "getupdates":
            delay = self.latency
            slow = self._take(self._slow, method)
            if slow is not None:
                delay += slow[1]
            if delay > 0:
                await asyncio.sleep(delay)
            if self._take(self._drops, method) is not None:
                call.status = 0
                self._record(call)
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
        try:
            fault = self._fault_for(method, params)
            if fault is not None:
                raise ApiError(fault.status, fault.description, retry_after=fault.retry_after,
                               migrate_to_chat_id=fault.migrate_to_chat_id)
            result = await handler(params)
            body: dict[str, Any] = {"ok": True, "result": result}
            call.status = 200
        except ApiError as exc:
            body, call.status = exc.body(), exc.status
        call.response = body
        self._record(call)
        return web.json_response(body, status=call.status)

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._update_event.clear()
            try:
                await asyncio.wait_for(self._update_event.wait(), remaining)
            except TimeoutError:
                break
        return self._updates[:limit]


async def _params(request: web.Request) -> dict[str, Any]:
    """Form, multipart, JSON or query string, as Telegram accepts; JSON fields decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = {"filename": value.filename, "data": value.file.read()}
                else:
                    raw[key] = value
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in JSON_FIELDS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif key in INT_FIELDS or key == "chat_id":
            value = _maybe_int(value)
        elif key == "timeout" and isinstance(value, str):
            value = float(value) if value else 0
        elif key in ("disable_notification", "allow_paid_broadcast", "show_alert",
                     "protect_content") and isinstance(value, str):
            value = value.lower() == "true"
        params[key] = value
    # PTB sends InputFile parts by an attach name; the document field points at it.
    for key in ("document",):
        ref = params.get(key)
        if isinstance(ref, str) and ref.startswith("attach://"):
            params[key] = raw.get(ref.removeprefix("attach://"))
    return params


def _maybe_int(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value
