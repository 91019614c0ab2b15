"""FakeBotAPI: a fake Telegram Bot API over real HTTP on 127.0.0.1 (aiohttp), for the tests and
`sansang shell`. It owns the HTTP side (routes, tokens, request decoding, faults and delays,
long polling) and the reading side (recorded calls, waiting for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.fakeapi.chats import ChatMethods
from bot.fakeapi.inject import Injection
from bot.fakeapi.limits import ARRIVED
from bot.fakeapi.photos import PhotoMethods
from bot.fakeapi.records import ApiError, Call, canonical_name, take_rule
from bot.fakeapi.state import ChatId, scope_key, update_type

logger = logging.getLogger(__name__)

TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
INTEGER = re.compile(r"^-?[0-9]+$")
JSON_FIELDS = frozenset({
    "reply_markup", "scope", "commands", "entities", "caption_entities", "link_preview_options",
    "reply_parameters", "allowed_updates", "menu_button", "media", "permissions",
})
INT_FIELDS = frozenset({
    "chat_id", "user_id", "message_id", "offset", "limit", "timeout", "message_thread_id",
    "reply_to_message_id", "from_chat_id",
})
BOOL_FIELDS = frozenset({
    "disable_notification", "protect_content", "allow_paid_broadcast", "show_alert",
    "drop_pending_updates", "allow_sending_without_reply", "disable_web_page_preview",
})
# Sent unless allowed_updates names them (Telegram's default).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT_POLL = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
                 "instance is running")
CONFLICT_WEBHOOK = ("Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first")
MESSAGE_CALLS = ("sendMessage", "editMessageText", "sendPhoto", "editMessageCaption")
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class FakeBotAPI(Injection, PhotoMethods, ChatMethods):
    """A Telegram Bot API for one bot, served at `url` once `start()`ed.

    Point PTB at it with base_url=f"{api.url}/bot" and base_file_url=f"{api.url}/file/bot".
    Injection methods (send_message, press_button, fail_next…) are synchronous and return what
    they made; reading methods (messages, calls, wait_for…) show what the bot did.
    """

    def __init__(self, token: str | None = None, *, username: str = "sansang_test_bot",
                 latency: float = 0.0, enforce_limits: bool = False,
                 allowance: float | None = None, lean: bool = False,
                 auto_chats: bool = False) -> None:
        super().__init__(token, username, enforce_limits, latency, allowance=allowance,
                         lean=lean, auto_chats=auto_chats)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._poll_generation = 0
        self._call_event = asyncio.Event()
        self._stopping = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeBotAPI.start() first")
        return f"http://127.0.0.1:{self._port}"

    async def start(self, port: int = 0, routes: Iterable[web.RouteDef] = ()) -> None:
        """Serve on 127.0.0.1 (port 0: a free port chosen by the OS); `routes`: more of them
        (the standalone server's control routes)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._file)
        app.router.add_routes(list(routes))
        self._stopping.clear()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        logger.debug("fake Bot API at %s", self.url)

    async def stop(self) -> None:
        """Answer pending long polls at once and close the server."""
        self._stopping.set()
        for waker in self._wakers:
            waker.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # ---------------------------------------------------------------- reading
    def mark(self) -> int:
        """A position in `calls`, for wait_for(..., since=mark)."""
        return len(self.calls)

    def messages(self, chat_id: ChatId) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now: raw `text` (or `caption`),
        `parse_mode`, `reply_markup`, `visible_text`, `entities`, `message_id`, flags…"""
        return [dict(m) for m in self._bot_messages.get(chat_id, {}).values()]

    def last_message(self, chat_id: ChatId) -> dict[str, Any] | None:
        found = self._bot_messages.get(chat_id)
        return dict(next(reversed(found.values()))) if found else None

    def reply_keyboard(self, chat_id: ChatId) -> dict[str, Any] | None:
        """The reply keyboard (ReplyKeyboardMarkup as sent) the chat shows now, or None when
        none was sent or a later message removed it (ReplyKeyboardRemove)."""
        found = self._reply_keyboards.get(chat_id)
        return dict(found) if found else None

    def documents(self, chat_id: ChatId) -> list[dict[str, Any]]:
        """Documents the bot sent: filename, data (bytes), mime_type, caption, message_id…"""
        return [dict(d) for d in self._documents.get(chat_id, [])]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = ""
                 ) -> list[dict[str, Any]]:
        """What setMyCommands stored for this scope (None: default) and language."""
        return [dict(c) for c in self._commands.get((scope_key(scope), language_code or ""), [])]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    async def wait_for(self, predicate: Callable[[Call], bool],
                       timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's own bound
                       *, since: int | None = None) -> Call:
        """The first call matching `predicate`, made after `since` (a mark()) or from now on.

        Raises TimeoutError, listing recent calls, when none comes within `timeout` seconds.
        """
        start = len(self.calls) if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._call_event
            for call in self.calls[start:]:
                if predicate(call):
                    return call
            start = max(start, len(self.calls))
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching Bot API call within {timeout} s; "
                                   f"recent calls: {self.summary()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_message(self, chat_id: ChatId, since: int | None = None,
                           timeout: float = 5.0,  # noqa: ASYNC109
                           contains: str | None = None) -> Call:
        """A successful sendMessage or editMessageText to this chat, or a photo sent or its
        caption edited (containing `contains` in its raw or visible text or caption, if
        given)."""
        def matches(call: Call) -> bool:
            if call.method not in MESSAGE_CALLS or call.status != 200:
                return False
            if str(call.params.get("chat_id")) != str(chat_id):
                return False
            if contains is None:
                return True
            key = "caption" if call.method in ("sendPhoto", "editMessageCaption") else "text"
            shown = call.result.get(key, "") if isinstance(call.result, dict) else ""
            return contains in str(call.params.get(key, "")) or contains in shown

        return await self.wait_for(matches, timeout, since=since)

    def summary(self, count: int = 12) -> str:
        """The last calls, getUpdates left out, one line each: for failure messages."""
        lines = []
        for call in [c for c in self.calls if c.method != "getUpdates"][-count:]:
            args = [f"chat_id={call.params['chat_id']}"] if "chat_id" in call.params else []
            text = call.params.get("text", call.params.get("caption"))
            if text is not None:
                text = str(text)
                args.append(repr(text[:60] + "…" if len(text) > 60 else text))
            outcome = {0: "dropped", 200: "200"}.get(call.status, f"{call.status} "
                                                                  f"{call.description}")
            lines.append(f"{call.method}({', '.join(args)}) -> {outcome}")
        return "\n  " + "\n  ".join(lines) if lines else "(none)"

    def _record(self, call: Call) -> None:
        if call.method == "sendMessage" and call.params.get("chat_id") not in self.watched:
            if call.status == 200:
                self.sent_at.append(call.at)
            elif call.status == 429:
                self.refused_at.append(call.at)
        if not (self.lean and call.method == "sendMessage"
                and call.params.get("chat_id") not in self.watched):
            self.calls.append(call)
        self.stats[call.method] += 1
        self.stats[str(call.status)] += 1
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    # ---------------------------------------------------------------- HTTP
    def _token_error(self, token: str) -> dict[str, Any] | None:
        if not TOKEN_SHAPE.match(token):
            return NOT_FOUND  # Telegram answers 404 to a malformed token
        if self.token is not None and token != self.token:
            return UNAUTHORIZED
        if self.token is None:
            self._token_seen = token
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        method = name.lower()
        call = Call(canonical_name(name), {})
        ARRIVED.set(call.at)  # Telegram counts its limits when a request arrives
        refused = self._token_error(request.match_info["token"])
        handler = getattr(self, f"_m_{method}", None)
        if refused is None and handler is None:
            refused = NOT_FOUND
        if refused is not None:
            call.status, call.response = refused["error_code"], refused
            self._record(call)
            return web.json_response(refused, status=call.status)
        try:
            call.params = await _read_params(request)
        except ApiError as exc:
            call.status, call.response = exc.status, exc.body()
            self._record(call)
            return web.json_response(call.response, status=call.status)
        delay = self.latency if method != "getupdates" else 0.0
        slow = take_rule(self._slow, method)
        if slow is not None:
            delay += slow.seconds
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        drop = take_rule(self._drops, method)
        if drop is not None and not drop.after:
            return self._drop(request, call)
        try:
            fault = next((f for f in self._faults if f.matches(method, call.params)), None)
            if fault is not None:
                fault.times -= 1
                raise ApiError(fault.status, fault.description, retry_after=fault.retry_after,
                               migrate_to_chat_id=fault.migrate_to_chat_id)
            result = await handler(call.params)  # type: ignore[misc]
            call.status, call.response = 200, {"ok": True, "result": result}
        except ApiError as exc:
            call.status, call.response = exc.status, exc.body()
        if drop is not None:
            return self._drop(request, call)
        self._record(call)
        if call.status != 200:
            logger.debug("%s -> %d %s", call.method, call.status, call.description)
        return web.json_response(call.response, status=call.status)

    def _drop(self, request: web.Request, call: Call) -> web.StreamResponse:
        """Close the connection with no answer (recorded with status 0)."""
        call.status = 0
        self._record(call)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if self._token_error(request.match_info["token"]) is not None:
            return web.json_response(NOT_FOUND, status=404)
        path = request.match_info["path"]
        found = next((f for f in self._files.values() if f["file_path"] == path), None)
        if found is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(body=found["data"],
                            content_type=found.get("mime_type") or "application/octet-stream")

    # ---------------------------------------------------------------- long polling
    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self._webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.get("offset") if isinstance(params.get("offset"), int) else 0
        limit = params.get("limit") if isinstance(params.get("limit"), int) else 100
        limit = max(1, min(100, limit))
        try:
            timeout = max(0.0, float(params.get("timeout") or 0))
        except (TypeError, ValueError):
            timeout = 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # A newer getUpdates ends an older one still waiting, as on Telegram.
        self._poll_generation += 1
        mine = self._poll_generation
        for waker in self._wakers:
            waker.set()
        waker = asyncio.Event()
        self._wakers.add(waker)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                self._drop_unwanted()
                if mine != self._poll_generation:
                    raise ApiError(409, CONFLICT_POLL)
                remaining = deadline - loop.time()
                if self._updates or self._stopping.is_set() or remaining <= 0:
                    break
                waker.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waker.wait(), remaining)
        finally:
            self._wakers.discard(waker)
        return self._updates[:limit]

    def _drop_unwanted(self) -> None:
        """Telegram never delivers update types the bot did not ask for."""
        allowed = self._allowed_updates
        self._updates = [
            u for u in self._updates
            if (update_type(u) in allowed if allowed is not None
                else update_type(u) not in OPT_IN_UPDATES)
        ]


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then a form, multipart or JSON body; JSON-valued fields decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if isinstance(body, dict):
                raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded",
                                      "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = {"filename": value.filename, "data": value.file.read(),
                                "content_type": value.content_type}
                else:
                    raw[key] = value
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in JSON_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in INT_FIELDS:
                value = _number(value)
            elif key in BOOL_FIELDS and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        params[key] = value
    # Files sent as "attach://<name>" point at another multipart part.
    for key in ("document", "photo", "thumbnail"):
        ref = params.get(key)
        if isinstance(ref, str) and ref.startswith("attach://"):
            params[key] = raw.get(ref.removeprefix("attach://"))
    return params


def _number(value: str) -> int | str:
    text = value.strip()
    return int(text) if INTEGER.match(text) else value
