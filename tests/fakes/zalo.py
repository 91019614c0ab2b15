"""A fake Zalo (OA Open API v3, OAuth v4, ZNS/ZBS by phone) on 127.0.0.1: the subset DESIGN.md
("Zalo") fixes, with Zalo's habits as research-zalo-oa.md describes them. One aiohttp server, three
roots: `{url}/oauth` (ZALO_OAUTH_URL), `{url}/api` (ZALO_API_URL), `{url}/business`
(ZALO_BUSINESS_URL). Every answer of those endpoints is HTTP 200 with Zalo's envelope (`error` 0
or negative); ids and timestamps are strings. It also plays the residents: `follow`, `user_text`,
`user_location`, `user_submit_phone`… build Zalo's webhook events, sign them as Zalo does and POST
them to the bot's webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

DAY = 86400.0
ACCESS_TTL = 90000  # 25 h, as Zalo's "expires_in": "90000"
REFRESH_TTL = 90 * DAY  # about 3 months
FREE_WINDOW = 2 * DAY  # consultation messages are free within 48 h of the last interaction
CS_WINDOW = 7 * DAY  # and refused (-230) after 7 days
TEXT_LIMIT = 2000
MAX_BUTTONS = 5
BUTTON_TYPES = ("oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms")
PHONE = re.compile(r"84\d{8,10}")
FIRST_USER_ID = 8_123_456_789_012_345_677  # odd and far above 2**53: a float cannot hold it

ERRORS = {  # code -> Zalo's message (research-zalo-oa.md §3, §6)
    -32: "Your application/OA reached limit call api",
    -201: "{} is invalid!",
    -210: "Parameter exceeds allowable limit",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the last 7 days",
    -232: "User interaction has expired",
    -108: "Phone number is invalid",
    -109: "Template ID is invalid",
    -112: "Template data is invalid",
    -118: "Zalo account not existed",
    -124: "Access token invalid",
    -14002: "Invalid appId",
    -14004: "Invalid secret key",
    -14005: "Invalid code",
    -14014: "Invalid refresh token",
    -14018: "Invalid grant type",
}


def message_of(code: int, what: str = "") -> str:
    return ERRORS.get(code, "Unknown error").format(what)


def envelope(code: int, what: str = "") -> dict[str, Any]:
    """Zalo's error answer (always with HTTP 200): a negative `error` and its message."""
    return {"error": code, "message": message_of(code, what)}


def sign(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """X-ZEvent-Signature: "mac=" + hex sha256(app_id + raw body + timestamp + OA secret)."""
    data = app_id.encode() + body + timestamp.encode() + oa_secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Sent:
    """One send the bot asked for (cs or template), accepted (error 0) or refused."""

    kind: str  # "cs" | "template"
    body: dict[str, Any]
    error: int
    at: float
    message_id: str | None = None
    billable: bool = False  # a cs message 48 h to 7 days after the user's last interaction

    @property
    def user_id(self) -> str | None:
        recipient = self.body.get("recipient")
        found = recipient.get("user_id") if isinstance(recipient, dict) else None
        return found if isinstance(found, str) else None

    @property
    def phone(self) -> str | None:
        return self.body.get("phone") if self.kind == "template" else None

    @property
    def message(self) -> dict[str, Any]:
        found = self.body.get("message")
        return found if isinstance(found, dict) else {}

    @property
    def text(self) -> str:
        return str(self.message.get("text") or "")

    @property
    def payload(self) -> dict[str, Any]:
        attachment = self.message.get("attachment")
        found = attachment.get("payload") if isinstance(attachment, dict) else None
        return found if isinstance(found, dict) else {}

    @property
    def buttons(self) -> dict[str, str]:
        """Title → payload of the message's query buttons."""
        return {b["title"]: b["payload"] for b in self.payload.get("buttons") or []
                if isinstance(b.get("payload"), str)}

    @property
    def asks_for_info(self) -> bool:
        """A `request_user_info` template (the resident is asked to share a phone number)."""
        return self.payload.get("template_type") == "request_user_info"


@dataclass(frozen=True)
class TokenCall:
    form: dict[str, str]
    secret_key: str | None
    error: int
    issued: dict[str, str] | None  # the new access/refresh pair on success


@dataclass(frozen=True)
class Posted:
    """An event posted to the bot's webhook, and the bot's HTTP answer."""

    event: dict[str, Any]
    body: bytes
    signature: str
    status: int

    @property
    def msg_id(self) -> str | None:
        message = self.event.get("message")
        return message.get("msg_id") if isinstance(message, dict) else None


@dataclass
class FakeZalo:
    """Start with `start()`; give the bot `oauth_url`, `api_url`, `business_url`, `app_id`,
    `app_secret`, `oa_secret` and `refresh_token`; set `webhook` to the bot's webhook URL before
    posting events. The residents' side (their events' timestamps, Zalo's record of their last
    interaction, the 48 h and 7 day windows) runs on `now()`, which `days_ago` can set back."""

    webhook: str = ""
    app_id: str = "3254824024567022257"
    app_secret: str = "fake-app-secret-0000"
    oa_secret: str = "fake-oa-secret-1111"
    oa_id: str = "4318826582963423489"
    clock: Callable[[], float] = time.time  # the real time: tokens live and die by it
    offset: float = 0.0  # seconds added to the residents' time (see days_ago)
    sent: list[Sent] = field(default_factory=list)
    token_calls: list[TokenCall] = field(default_factory=list)
    posted: list[Posted] = field(default_factory=list)
    templates: set[str] = field(default_factory=set)  # approved template ids
    phones_without_zalo: set[str] = field(default_factory=set)
    _refresh: dict[str, float] = field(default_factory=dict)  # valid refresh token -> expiry
    _access: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    _revoked_access: dict[str, int] = field(default_factory=dict)  # token -> error code
    _followers: set[str] = field(default_factory=set)
    _last_interaction: dict[str, float] = field(default_factory=dict)
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _ids: Any = field(default_factory=itertools.count)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _client: httpx.AsyncClient | None = None
    _port: int = 0
    refresh_token: str = field(default="", init=False)  # the one valid refresh token now

    def __post_init__(self) -> None:
        self.refresh_token = self._new_refresh_token()

    # ------------------------------------------------------------------ server
    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeZalo.start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def business_url(self) -> str:
        return f"{self.url}/business"

    def env(self) -> dict[str, str]:
        """The bot's variables that point it at this fake (SANSANG_ZALO and the webhook aside)."""
        return {"ZALO_APP_ID": self.app_id, "ZALO_APP_SECRET": self.app_secret,
                "ZALO_OA_SECRET": self.oa_secret, "ZALO_REFRESH_TOKEN": self.refresh_token,
                "ZALO_API_URL": self.api_url, "ZALO_OAUTH_URL": self.oauth_url,
                "ZALO_BUSINESS_URL": self.business_url}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth/v4/oa/access_token", self._token)
        app.router.add_post("/api/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/business/message/template", self._template)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._client = httpx.AsyncClient(timeout=10.0)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def now(self) -> float:
        """The residents' time, seconds since the epoch."""
        return self.clock() + self.offset

    @contextlib.contextmanager
    def days_ago(self, days: float) -> Iterator[None]:
        """What the residents do inside this block, they did `days` days ago: their events
        carry Zalo's timestamps of then, and Zalo (this fake) and the bot both count the
        windows from them, as if those days had passed since."""
        self.offset = -days * DAY
        try:
            yield
        finally:
            self.offset = 0.0

    # ------------------------------------------------------------------ what tests set
    def set_last_interaction(self, user_id: str, days_ago: float) -> None:
        """Zalo's record of the user's last message, tap or follow, `days_ago` days before now."""
        self._last_interaction[user_id] = self.now() - days_ago * DAY

    def last_interaction(self, user_id: str) -> float | None:
        return self._last_interaction.get(user_id)

    def is_follower(self, user_id: str) -> bool:
        return user_id in self._followers

    def add_follower(self, user_id: str) -> None:
        """A user who follows the OA and interacted just now, without a webhook event: a
        follower the bot already knows (benchmarks, delivery tests)."""
        self._followers.add(user_id)
        self._touch(user_id)

    def lose_follower(self, user_id: str) -> None:
        """The user left the OA and the bot never heard of it (an unfollow event lost): Zalo
        answers -213 to messages for them from now on."""
        self._followers.discard(user_id)

    def expire_access_token(self, code: int = -216) -> None:
        """Every access token issued so far stops working: calls with it get `code` (-216, or
        -220 "expired or removed"). The refresh token still works."""
        for token in self._access:
            self._revoked_access.setdefault(token, code)

    def revoke_refresh_token(self) -> None:
        """The refresh token dies (as when nobody refreshed for 3 months or the OA's admin
        removed the app): refreshing answers -14014 until the OA is authorised again."""
        self._refresh.clear()

    def authorise_again(self) -> str:
        """The OA admin went through the consent flow again: a new refresh token, returned."""
        self.refresh_token = self._new_refresh_token()
        return self.refresh_token

    def fail_next(self, error_code: int, times: int = 1, *, endpoint: str = "cs") -> None:
        """The next `times` calls of `endpoint` ("cs", "template" or "oauth") get `error_code`
        (after the token check, before anything else)."""
        self._failures.setdefault(endpoint, []).extend([error_code] * times)

    def approve_template(self, template_id: str) -> None:
        self.templates.add(template_id)

    def new_user_id(self) -> str:
        """A fresh Zalo user id: 19 digits, above 2**53 (a float would change it)."""
        return str(FIRST_USER_ID + 2 * next(self._ids))

    # ------------------------------------------------------------------ what tests read
    def messages_to(self, user_id: str) -> list[Sent]:
        """The consultation messages Zalo accepted for this user, oldest first."""
        return [s for s in self.sent if s.kind == "cs" and s.error == 0 and s.user_id == user_id]

    def texts_to(self, user_id: str) -> list[str]:
        return [s.text for s in self.messages_to(user_id)]

    def refused(self, user_id: str | None = None) -> list[Sent]:
        """Sends Zalo refused (negative `error`), to this user or to anyone."""
        return [s for s in self.sent if s.error != 0 and (user_id is None or
                                                          s.user_id == user_id)]

    def templates_to(self, phone: str) -> list[Sent]:
        return [s for s in self.sent
                if s.kind == "template" and s.error == 0 and s.phone == phone]

    def refreshes(self) -> list[TokenCall]:
        """Successful refreshes, oldest first."""
        return [c for c in self.token_calls if c.error == 0]

    def buttons(self, user_id: str) -> dict[str, str]:
        """Title → payload of the buttons of the latest message to this user that has any."""
        for sent in reversed(self.messages_to(user_id)):
            if sent.buttons:
                return sent.buttons
        return {}

    def mark(self) -> int:
        """A position in `sent`, for wait_for(..., since=mark)."""
        return len(self.sent)

    async def wait_for(self, predicate: Callable[[Sent], bool], *, since: int = 0,
                       timeout: float = 10.0) -> Sent:  # noqa: ASYNC109 - a test helper's bound
        """The first send after `since` matching `predicate`; TimeoutError (listing what was
        sent) when none comes within `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        start = since
        while True:
            changed = self._changed
            for sent in self.sent[start:]:
                if predicate(sent):
                    return sent
            start = max(start, len(self.sent))
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(s.kind, s.user_id or s.phone, s.error, s.text[:40])
                          for s in self.sent[-10:]]
                raise TimeoutError(f"no matching send within {timeout} s; recent: {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_message(self, user_id: str, *, since: int = 0, contains: str | None = None,
                           timeout: float = 10.0) -> Sent:  # noqa: ASYNC109
        """The first accepted consultation message to this user after `since` (containing
        `contains`, if given)."""
        return await self.wait_for(
            lambda s: s.kind == "cs" and s.error == 0 and s.user_id == user_id
            and (contains is None or contains in s.text),
            since=since, timeout=timeout)

    # ------------------------------------------------------------------ residents' events
    async def follow(self, user_id: str, *, forged: bool = False) -> Posted:
        if not forged:
            self._followers.add(user_id)
            self._touch(user_id)
        return await self.post(self._event("follow", follower={"id": user_id},
                                           oa_id=self.oa_id, source="oa_profile"),
                                forged=forged)

    async def unfollow(self, user_id: str, *, forged: bool = False) -> Posted:
        if not forged:
            self._followers.discard(user_id)
        return await self.post(self._event("unfollow", follower={"id": user_id},
                                           oa_id=self.oa_id, source="oa_profile"),
                               forged=forged)

    async def user_text(self, user_id: str, text: str, *, msg_id: str | None = None,
                        forged: bool = False) -> Posted:
        """The resident sends a text (a button tap arrives the same way, with its payload)."""
        if not forged:
            self._touch(user_id)
        message = {"msg_id": msg_id or self._msg_id(), "text": text}
        return await self.post(self._from_user("user_send_text", user_id, message=message),
                               forged=forged)

    async def press(self, user_id: str, label: str) -> Posted:
        """Tap the button whose title contains `label` in the latest message with buttons."""
        found = [payload for title, payload in self.buttons(user_id).items() if label in title]
        assert len(found) == 1, f"{label!r} not exactly one of {list(self.buttons(user_id))}"
        return await self.user_text(user_id, found[0])

    async def user_location(self, user_id: str, lat: float, lon: float, *,
                            place: str = "", forged: bool = False) -> Posted:
        """The resident shares a location; Zalo sends the coordinates as strings."""
        if not forged:
            self._touch(user_id)
        coordinates = {"latitude": str(lat), "longitude": str(lon)}
        message = {"msg_id": self._msg_id(), "text": place, "attachments": [
            {"type": "location", "payload": {"coordinates": coordinates}}]}
        return await self.post(self._from_user("user_send_location", user_id, message=message),
                               forged=forged)

    async def user_submit_phone(self, user_id: str, phone: str, *, name: str = "Nguyễn Văn An",
                                forged: bool = False) -> Posted:
        """The resident answers a request_user_info with the form Zalo shows (phone 84…)."""
        if not forged:
            self._touch(user_id)
        info = {"name": name, "phone": phone, "address": "", "city": "Hải Phòng",
                "district": "Lê Chân", "ward": ""}
        return await self.post(self._from_user("user_submit_info", user_id, info=info),
                               forged=forged)

    async def post(self, event: dict[str, Any], *, forged: bool = False,
                   signature: str | None = None) -> Posted:
        """POST an event to the bot's webhook, signed as Zalo signs it; `forged`: signed with
        a wrong OA secret; `signature`: this header instead (None: computed)."""
        body = json.dumps(event, ensure_ascii=False).encode()
        if signature is None:
            secret = "not-the-oa-secret" if forged else self.oa_secret
            signature = sign(str(event.get("app_id", "")), body,
                             str(event.get("timestamp", "")), secret)
        return await self.post_raw(body, signature, event)

    async def repost(self, posted: Posted) -> Posted:
        """Send the same bytes with the same signature again (Zalo retrying an event)."""
        return await self.post_raw(posted.body, posted.signature, posted.event)

    async def post_raw(self, body: bytes, signature: str,
                       event: dict[str, Any] | None = None) -> Posted:
        if not self.webhook or self._client is None:
            raise RuntimeError("set FakeZalo.webhook and start() before posting events")
        answer = await self._client.post(
            self.webhook, content=body,
            headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature})
        posted = Posted(event if event is not None else {}, body, signature, answer.status_code)
        self.posted.append(posted)
        return posted

    def _event(self, name: str, **fields: Any) -> dict[str, Any]:
        return {"app_id": self.app_id, "user_id_by_app": str(FIRST_USER_ID // 3),
                "event_name": name, "timestamp": str(int(self.now() * 1000)), **fields}

    def _from_user(self, name: str, user_id: str, **fields: Any) -> dict[str, Any]:
        return self._event(name, sender={"id": user_id}, recipient={"id": self.oa_id},
                           **fields)

    def _touch(self, user_id: str) -> None:
        self._last_interaction[user_id] = self.now()

    @staticmethod
    def _msg_id() -> str:
        return secrets.token_hex(16)

    # ------------------------------------------------------------------ OAuth v4
    def _new_refresh_token(self) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        self._refresh[token] = self.clock() + REFRESH_TTL
        return token

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        secret_key = request.headers.get("secret_key")
        code, issued = self._exchange(form, secret_key)
        self.token_calls.append(TokenCall(form, secret_key, code, issued))
        self._notify()
        if code:
            return web.json_response({**envelope(code), "error_name": message_of(code),
                                      "error_reason": "", "error_description": message_of(code),
                                      "ref_doc": "https://developers.zalo.me/docs/"})
        return web.json_response(issued)

    def _exchange(self, form: dict[str, str], secret_key: str | None
                  ) -> tuple[int, dict[str, str] | None]:
        if form.get("app_id") != self.app_id:
            return -14002, None
        if secret_key != self.app_secret:
            return -14004, None
        injected = self._take_failure("oauth")
        if injected:
            return injected, None
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return -14005, None  # the fake hands out no codes: the bot only refreshes
        if grant != "refresh_token":
            return -14018, None
        expiry = self._refresh.pop(form.get("refresh_token", ""), None)  # single use
        if expiry is None or expiry < self.clock():
            return -14014, None
        access = "at-" + secrets.token_urlsafe(24)
        self._access[access] = self.clock() + ACCESS_TTL
        self.refresh_token = self._new_refresh_token()
        return 0, {"access_token": access, "refresh_token": self.refresh_token,
                   "expires_in": str(ACCESS_TTL),
                   "refresh_token_expires_in": str(int(REFRESH_TTL))}

    def _token_error(self, token: str | None) -> int:
        """0 for a live access token, else Zalo's code (-216 unknown, or as expired)."""
        if token is None or token not in self._access:
            return -216
        if token in self._revoked_access:
            return self._revoked_access[token]
        return -216 if self._access[token] < self.clock() else 0

    # ------------------------------------------------------------------ consultation messages
    async def _cs(self, request: web.Request) -> web.Response:
        body, code, what = await self._read(request)
        billable = False
        if not code:
            code = self._token_error(request.headers.get("access_token"))
        if not code:
            code = self._take_failure("cs")
        if not code:
            code, what = self._check_cs(body)
        if not code:
            user_id = body["recipient"]["user_id"]
            age = self.now() - self._last_interaction.get(user_id, float("-inf"))
            billable = age > FREE_WINDOW
        return self._answer("cs", body, code, what, billable)

    def _check_cs(self, body: dict[str, Any]) -> tuple[int, str]:
        recipient = body.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not isinstance(user_id, str) or not user_id.isdigit():
            return -201, "user_id"  # ids travel as strings; a number is refused
        if user_id not in self._followers:
            return -213, ""
        last = self._last_interaction.get(user_id)
        if last is None or self.now() - last > CS_WINDOW:
            return -230, ""
        message = body.get("message")
        if not isinstance(message, dict):
            return -201, "message"
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return -201, "message"
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return -201, "text"
        if isinstance(text, str) and len(text) > TEXT_LIMIT:
            return -210, ""
        if attachment is not None:
            return self._check_attachment(attachment)
        return 0, ""

    @staticmethod
    def _check_attachment(attachment: Any) -> tuple[int, str]:
        if not isinstance(attachment, dict) or attachment.get("type") != "template":
            return -201, "attachment"
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            return -201, "payload"
        if payload.get("template_type") == "request_user_info":
            elements = payload.get("elements")
            if not (isinstance(elements, list) and elements and isinstance(elements[0], dict)
                    and elements[0].get("title") and elements[0].get("subtitle")):
                return -201, "elements"
            return 0, ""
        buttons = payload.get("buttons")
        if not isinstance(buttons, list) or not buttons:
            return -201, "buttons"
        if len(buttons) > MAX_BUTTONS:
            return -210, ""
        for button in buttons:
            if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
                return -201, "buttons.type"
            title = button.get("title")
            if not isinstance(title, str) or not title or len(title) > 100:
                return -201, "buttons.title"
            if button["type"].startswith("oa.query.") and not (
                    isinstance(button.get("payload"), str) and 0 < len(button["payload"]) <= 1000):
                return -201, "buttons.payload"
        return 0, ""

    # ------------------------------------------------------------------ template messages
    async def _template(self, request: web.Request) -> web.Response:
        body, code, what = await self._read(request)
        if not code and self._token_error(request.headers.get("access_token")):
            code = -124  # ZNS names a bad token with its own code
        if not code:
            code = self._take_failure("template")
        if not code:
            code, what = self._check_template(body)
        return self._answer("template", body, code, what)

    def _check_template(self, body: dict[str, Any]) -> tuple[int, str]:
        phone = body.get("phone")
        if not isinstance(phone, str) or not PHONE.fullmatch(phone):
            return -108, ""
        if body.get("template_id") not in self.templates:
            return -109, ""
        data = body.get("template_data")
        if not isinstance(data, dict) or not data or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            return -112, ""
        tracking = body.get("tracking_id")
        if tracking is not None and not (isinstance(tracking, str) and 0 < len(tracking) <= 48):
            return -201, "tracking_id"
        if phone in self.phones_without_zalo:
            return -118, ""
        return 0, ""

    # ------------------------------------------------------------------ shared
    @staticmethod
    async def _read(request: web.Request) -> tuple[dict[str, Any], int, str]:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return {}, -201, "body"
        if not isinstance(body, dict):
            return {}, -201, "body"
        return body, 0, ""

    def _take_failure(self, endpoint: str) -> int:
        queue = self._failures.get(endpoint)
        return queue.pop(0) if queue else 0

    def _answer(self, kind: str, body: dict[str, Any], code: int, what: str,
                billable: bool = False) -> web.Response:
        if code:
            self.sent.append(Sent(kind, body, code, self.now()))
            self._notify()
            return web.json_response(envelope(code, what))
        message_id = secrets.token_hex(16)
        sent_time = str(int(self.now() * 1000))
        self.sent.append(Sent(kind, body, 0, self.now(), message_id, billable))
        self._notify()
        if kind == "cs":
            data = {"message_id": message_id, "user_id": body["recipient"]["user_id"],
                    "sent_time": sent_time}
        else:
            data = {"msg_id": message_id, "sent_time": sent_time, "sending_mode": "1",
                    "quota": {"dailyQuota": "500", "remainingQuota": "499"}}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
