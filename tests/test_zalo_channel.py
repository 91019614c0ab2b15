"""The Zalo channel through real HTTP: a small Zalo stand-in on 127.0.0.1 (token, cs and
template endpoints with Zalo's HTTP-200 error envelope) and the real bot (Telegram through the
fake Bot API) with SANSANG_ZALO=on. The webhook is posted signed events as Zalo posts them.

(tests/fakes/zalo.py, the full fake Zalo, drives tests/test_zalo_e2e.py; this file only needs
the few behaviours it checks.)"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from telegram.ext import Application

from bot.broadcasts.delivery import Outcome, sending_broadcast
from bot.channels.telegram.app import build_application, running
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.sender import ZaloSender
from bot.channels.zalo.tokens import Tokens
from bot.notices import Notices
from bot.paths import data_dir
from bot.store import Database
from bot.store import chats as chat_store
from bot.store import zalo as zalo_store
from bot.subscriptions.areas import AreaCatalog
from bot.subscriptions.subscriptions import Subscriptions
from tests.auxil.chat import Person, eventually
from tests.conftest import LEAD_ID, STAFF_ID, make_config
from tests.fakes import FakeBotAPI

APP_ID = "3254824024567022257"
APP_SECRET = "mini-app-secret"
OA_SECRET = "mini-oa-secret"
USER = "8123456789012345677"  # above 2**53: a float would change it
WAIT = 10.0


@dataclass
class MiniZalo:
    """Zalo's token, consultation and template endpoints, as DESIGN.md fixes them."""

    refresh_token: str = field(default_factory=lambda: "rt-" + secrets.token_hex(8))
    access: set[str] = field(default_factory=set)
    sent: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    refreshes: int = 0
    fail_cs: list[int] = field(default_factory=list)
    refuse_refresh: bool = False
    on_cs: Callable[[str], None] | None = None  # called with the access token used
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth/v4/oa/access_token", self._token)
        app.router.add_post("/api/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/business/message/template", self._template)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def env(self) -> dict[str, str]:
        return {"SANSANG_ZALO": "on", "ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": APP_SECRET,
                "ZALO_OA_SECRET": OA_SECRET, "ZALO_REFRESH_TOKEN": self.refresh_token,
                "ZALO_API_URL": self.url + "/api", "ZALO_OAUTH_URL": self.url + "/oauth",
                "ZALO_BUSINESS_URL": self.url + "/business"}

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        ok = (request.headers.get("secret_key") == APP_SECRET and form.get("app_id") == APP_ID
              and form.get("grant_type") == "refresh_token"
              and form.get("refresh_token") == self.refresh_token and not self.refuse_refresh)
        if not ok:
            return web.json_response({"error": -14014, "message": "Invalid refresh token"})
        self.refreshes += 1
        access = "at-" + secrets.token_hex(8)
        self.access = {access}  # the old access token dies with the refresh
        self.refresh_token = "rt-" + secrets.token_hex(8)  # single use, rotates
        return web.json_response({"access_token": access, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})

    async def _cs(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        token = request.headers.get("access_token", "")
        if token not in self.access:
            code = -216
        else:
            if self.on_cs is not None:
                self.on_cs(token)
            code = self.fail_cs.pop(0) if self.fail_cs else 0
        self.sent.append(("cs", body, code))
        if code:
            return web.json_response({"error": code, "message": f"error {code}"})
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": secrets.token_hex(8)}})

    async def _template(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        code = 0 if request.headers.get("access_token") in self.access else -124
        self.sent.append(("template", body, code))
        if code:
            return web.json_response({"error": code, "message": "Access token invalid"})
        return web.json_response({"error": 0, "message": "Success", "data": {"msg_id": "1"}})

    def to(self, user: str = USER) -> list[dict[str, Any]]:
        """Accepted consultation messages to a user."""
        return [b["message"] for kind, b, code in self.sent
                if kind == "cs" and code == 0 and b["recipient"]["user_id"] == user]

    def texts(self, user: str = USER) -> list[str]:
        return [m.get("text", "") for m in self.to(user)]

    def buttons(self, user: str = USER) -> dict[str, str]:
        for message in reversed(self.to(user)):
            found = (message.get("attachment") or {}).get("payload", {}).get("buttons")
            if found:
                return {b["title"]: b["payload"] for b in found}
        return {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture
async def zalo() -> AsyncIterator[MiniZalo]:
    mini = MiniZalo()
    await mini.start()
    try:
        yield mini
    finally:
        await mini.stop()


@dataclass
class Hook:
    url: str
    http: httpx.AsyncClient
    app: Application  # type: ignore[type-arg]

    async def post(self, event: dict[str, Any], *, secret: str = OA_SECRET,
                   header: str | None = None, body: bytes | None = None) -> int:
        raw = body if body is not None else json.dumps(event, ensure_ascii=False).encode()
        mac = hashlib.sha256(str(event.get("app_id", "")).encode() + raw +
                             str(event.get("timestamp", "")).encode() + secret.encode())
        headers = {"Content-Type": "application/json"}
        if header != "":
            headers["X-ZEvent-Signature"] = header or "mac=" + mac.hexdigest()
        answer = await self.http.post(self.url, content=raw, headers=headers)
        return answer.status_code

    async def send(self, event: dict[str, Any]) -> None:
        """Post a signed event and wait until the bot has handled it."""
        assert await self.post(event) == 200
        await self.app.bot_data["zalo"].webhook.idle(WAIT)


def event(name: str, user: str = USER, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"app_id": APP_ID, "event_name": name,
                            "timestamp": str(int(time.time() * 1000)),
                            "user_id_by_app": "1"}
    if name in ("follow", "unfollow"):
        base["follower"] = {"id": user}
    else:
        base["sender"] = {"id": user}
        base["recipient"] = {"id": "4318826582963423489"}
    return {**base, **fields}


def text(words: str, user: str = USER, msg_id: str | None = None) -> dict[str, Any]:
    return event("user_send_text", user,
                 message={"msg_id": msg_id or secrets.token_hex(8), "text": words})


@pytest_asyncio.fixture
async def hook(api: FakeBotAPI, db_path: Path, zalo: MiniZalo) -> AsyncIterator[Hook]:
    port = _free_port()
    config = make_config(api, db_path, **zalo.env(),
                         SANSANG_ZALO_WEBHOOK=f"127.0.0.1:{port}",
                         SANSANG_ZALO_TEMPLATE="356789")
    app = build_application(config)
    async with running(app, poll_timeout=1), httpx.AsyncClient(timeout=WAIT) as http:
        yield Hook(f"http://127.0.0.1:{port}/zalo/webhook", http, app)


def _rows(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


# ------------------------------------------------------------------ webhook and onboarding
async def test_a_follower_picks_language_and_area_and_gets_a_plain_guide(
        hook: Hook, zalo: MiniZalo, db_path: Path) -> None:
    await hook.send(event("follow"))
    greeting = zalo.texts()[-1]
    assert greeting.index("Xin chào") < greeting.index("Hello")  # Vietnamese first
    assert set(zalo.buttons()) == {"Tiếng Việt", "English"}
    await hook.send(text(zalo.buttons()["Tiếng Việt"]))
    areas = zalo.buttons()
    assert len(areas) == 5 and "➡ Xem thêm" in areas  # 15 sample areas: four and "more"
    await hook.send(text(areas["➡ Xem thêm"]))
    second = zalo.buttons()
    assert len(second) == 5 and not set(second) - {"➡ Xem thêm"} & set(areas)
    name, chosen = next((t, p) for t, p in second.items() if p.startswith("#ss:a:"))
    await hook.send(text(chosen))
    assert any(f"đăng ký nhận cảnh báo cho {name}" in t for t in zalo.texts())
    asked = [m for m in zalo.to() if (m.get("attachment") or {}).get("payload", {})
             .get("template_type") == "request_user_info"]
    assert len(asked) == 1  # asked once, after onboarding
    [(chat_id, address, subscribed, phone_asked)] = _rows(
        db_path, "SELECT chat_id, address, subscribed, phone_asked FROM chats "
        "WHERE channel = 'zalo'")
    assert address == USER and subscribed == 1 and phone_asked == 1 and chat_id > 2**62

    before = len(zalo.to())
    await hook.send(text("chuẩn bị gì trước khi bão đến"))
    answer = "\n\n".join(m.get("text", "") for m in zalo.to()[before:])
    assert "bão" in answer.lower()
    assert "**" not in answer and "<b>" not in answer
    assert all(len(m.get("text", "")) <= 2000 for m in zalo.to())
    assert _rows(db_path, "SELECT DISTINCT channel FROM events WHERE kind IN "
                 "('question', 'guide_view', 'subscribe')") == [("zalo",)]
    assert all(len((m.get("attachment") or {}).get("payload", {}).get("buttons", [])) <= 5
               for m in zalo.to())
    # a tap on a forged payload is not a question and changes nothing
    await hook.send(text("#ss:a:no-such-area"))
    assert "không còn dùng được" in zalo.texts()[-1]
    assert _rows(db_path, "SELECT count(*) FROM chats WHERE channel = 'zalo'") == [(1,)]


async def test_bad_or_missing_signatures_get_401_and_change_nothing(
        hook: Hook, zalo: MiniZalo, db_path: Path) -> None:
    follow = event("follow")
    assert await hook.post(follow, secret="not-the-oa-secret") == 401
    assert await hook.post(follow, header="") == 401
    assert await hook.post(follow, header="mac=" + "0" * 64) == 401
    raw = json.dumps(follow).encode()
    changed = raw.replace(USER.encode(), b"8123456789012345679")
    signed_for_raw = "mac=" + hashlib.sha256(APP_ID.encode() + raw + follow["timestamp"].encode()
                                             + OA_SECRET.encode()).hexdigest()
    assert await hook.post(follow, header=signed_for_raw, body=changed) == 401
    assert await hook.post(follow, header=signed_for_raw, body=b"{not json") == 400
    await hook.app.bot_data["zalo"].webhook.idle(WAIT)
    assert zalo.sent == []
    assert _rows(db_path, "SELECT count(*) FROM chats WHERE channel = 'zalo'") == [(0,)]
    assert _rows(db_path, "SELECT count(*) FROM zalo_seen") == [(0,)]


async def test_a_repeated_msg_id_is_handled_once_and_a_bad_event_stops_nothing(
        hook: Hook, zalo: MiniZalo) -> None:
    await hook.send(event("follow"))
    question = text("bão", msg_id="same-message-1")
    await hook.send(question)
    answered = len(zalo.to())
    await hook.send(question)  # Zalo posting it again
    assert len(zalo.to()) == answered
    await hook.send(event("user_send_location", message={"msg_id": "loc-1", "attachments": []}))
    await hook.send(event("user_send_gif", message={"msg_id": "gif-1"}))  # unknown: ignored
    await hook.send({"app_id": APP_ID, "timestamp": "1", "event_name": "follow"})  # no user
    await hook.send(text("nắng nóng"))
    assert len(zalo.to()) > answered + 1  # the location hint, then the heat answer


# ------------------------------------------------------------------ reports, phone, privacy
async def test_a_location_report_reaches_staff_in_telegram(
        hook: Hook, zalo: MiniZalo, api: FakeBotAPI, staff: Person, lead: Person) -> None:
    await hook.send(event("follow"))
    await hook.send(text("#ss:d:knee"))  # a depth before any location
    assert "chia sẻ vị trí" in zalo.texts()[-1]
    mark = api.mark()
    await hook.send(event("user_send_location", message={
        "msg_id": "loc-2", "text": "An Biên", "attachments": [{"type": "location", "payload": {
            "coordinates": {"latitude": "20.8575", "longitude": "106.6860"}}}]}))
    depths = zalo.buttons()
    assert len(depths) == 4 and depths["Đầu gối – thắt lưng"] == "#ss:d:waist"
    await hook.send(text(depths["Đầu gối – thắt lưng"]))
    thanks = zalo.texts()[-1]
    assert "báo cáo ngập số" in thanks
    number = thanks.split("số ")[1].split(" ")[0]
    for chat in (STAFF_ID, LEAD_ID):
        copy = await api.wait_message(chat, since=mark, contains=f"Báo cáo ngập số {number}")
        assert "Khu An Biên" in copy.result["text"]
    # staff resolve it in Telegram: the resident hears it on Zalo, where they reported
    await staff.press("Đã xử lý")

    async def told() -> bool:
        return any(f"đã xử lý điểm ngập trong báo cáo số {number}" in t for t in zalo.texts())

    await eventually(told)
    assert "chia sẻ lại vị trí" in zalo.texts()[-1] and "/report" not in zalo.texts()[-1]


async def test_a_shared_phone_is_kept_as_84_and_forget_deletes_it(
        hook: Hook, zalo: MiniZalo, db_path: Path) -> None:
    await hook.send(event("follow"))
    await hook.send(text("#ss:l:vi"))
    await hook.send(event("user_submit_info", info={"name": "An", "phone": "0912345678"}))
    assert _rows(db_path, "SELECT phone FROM chats WHERE address = ?", USER) == [
        ("84912345678",)]
    await hook.send(text("Dữ liệu của tôi"))
    assert "…678" in zalo.texts()[-1] and "84912345678" not in zalo.texts()[-1]
    await hook.send(text("trợ giúp"))
    assert set(zalo.buttons()) == {"🆘 Số khẩn cấp", "📋 Dữ liệu của tôi", "🗑 Xóa dữ liệu"}
    await hook.send(text(zalo.buttons()["🆘 Số khẩn cấp"]))
    assert "112" in zalo.texts()[-1] and "<b>" not in zalo.texts()[-1]
    await hook.send(text("xoa du lieu"))
    assert set(zalo.buttons()) == {"Đồng ý xóa", "Không, giữ lại"}
    await hook.send(text(zalo.buttons()["Đồng ý xóa"]))
    assert _rows(db_path, "SELECT count(*) FROM chats WHERE phone IS NOT NULL") == [(0,)]
    assert _rows(db_path, "SELECT count(*) FROM chats WHERE address = ?", USER) == [(0,)]


async def test_unfollow_unsubscribes_once(hook: Hook, zalo: MiniZalo, db_path: Path) -> None:
    await hook.send(event("follow"))
    await hook.send(text("#ss:l:vi"))
    await hook.send(text(next(p for p in zalo.buttons().values() if p.startswith("#ss:a:"))))
    await hook.send(event("unfollow"))
    await hook.send(event("unfollow", timestamp=str(int(time.time() * 1000) + 1)))
    assert _rows(db_path, "SELECT subscribed FROM chats WHERE address = ?", USER) == [(0,)]
    assert _rows(db_path, "SELECT count(*) FROM events WHERE kind = 'unsubscribe' "
                 "AND channel = 'zalo'") == [(1,)]


# ------------------------------------------------------------------ tokens
async def test_an_expired_token_is_refreshed_once_and_the_message_resent(
        hook: Hook, zalo: MiniZalo, db_path: Path) -> None:
    await hook.send(event("follow"))
    refreshes, stored = zalo.refreshes, _rows(db_path, "SELECT refresh_token FROM zalo_tokens")
    zalo.access.clear()  # Zalo now answers -216 to the token the bot holds
    await hook.send(text("bão"))
    assert zalo.refreshes == refreshes + 1
    assert [code for kind, _b, code in zalo.sent][-2:] != [-216, -216]
    assert zalo.sent[-1][2] == 0 and zalo.texts()[-1]
    assert _rows(db_path, "SELECT refresh_token FROM zalo_tokens") == [(zalo.refresh_token,)]
    assert stored != [(zalo.refresh_token,)]


async def test_the_new_refresh_token_is_stored_before_the_new_access_token_is_used(
        zalo: MiniZalo, tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    seen: list[tuple[str, str]] = []

    def check(token: str) -> None:  # Zalo receiving a call with `token`: what is stored now?
        [(access, refresh)] = _rows(tmp_path / "t.sqlite3",
                                    "SELECT access_token, refresh_token FROM zalo_tokens")
        seen.append((access, refresh))
        assert access == token and refresh == zalo.refresh_token

    zalo.on_cs = check
    client = _client(zalo)
    try:
        tokens = Tokens(db, client, None, zalo.refresh_token)
        await tokens.load()
        await client.send_cs(USER, {"text": "một"})
        zalo.access.clear()
        await client.send_cs(USER, {"text": "hai"})
        assert zalo.refreshes == 2 and len(seen) == 2 and seen[0] != seen[1]
        # a restart reads the stored pair: no refresh, the same token
        again = Tokens(db, _client(zalo), None, "a-spent-first-token")
        await again.load()
        assert zalo.refreshes == 2 and await again.access() == seen[1][0]
        await again.client.close()
    finally:
        await client.close()
        await db.close()


async def test_a_failed_refresh_tells_staff_once_and_the_bot_goes_on(
        hook: Hook, zalo: MiniZalo, api: FakeBotAPI, staff: Person) -> None:
    await hook.send(event("follow"))
    zalo.access.clear()
    zalo.refuse_refresh = True
    mark = api.mark()
    await hook.send(text("bão"))
    await hook.send(text("lũ"))
    notice = await api.wait_message(STAFF_ID, since=mark, contains="Zalo")
    assert "README" in notice.params["text"]
    assert zalo.refresh_token not in notice.params["text"]

    async def told_once() -> bool:
        return sum("README" in (m.get("text") or "") for m in api.messages(STAFF_ID)) == 1

    await eventually(told_once)
    reply = await Person(api, STAFF_ID).say("/help")  # Telegram works as before
    assert reply["text"]


def _client(zalo: MiniZalo) -> ZaloClient:
    async def no_wait(_seconds: float) -> None:
        return None

    return ZaloClient(app_id=APP_ID, app_secret=APP_SECRET, api_url=zalo.url + "/api",
                      oauth_url=zalo.url + "/oauth", business_url=zalo.url + "/business",
                      sleep=no_wait)


async def test_rate_limit_backs_off_and_retries_a_bounded_number_of_times(
        zalo: MiniZalo, tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    client = _client(zalo)
    try:
        await Tokens(db, client, None, zalo.refresh_token).load()
        zalo.fail_cs = [-32, -32]
        await client.send_cs(USER, {"text": "qua"})
        assert [code for _k, _b, code in zalo.sent] == [-32, -32, 0]
        zalo.fail_cs = [-32] * 10
        with pytest.raises(Exception, match="-32"):
            await client.send_cs(USER, {"text": "không qua"})
        assert len(zalo.fail_cs) == 6  # 1 try and 3 retries, then it gives up
    finally:
        await client.close()
        await db.close()


# ------------------------------------------------------------------ the sender's choice
@pytest_asyncio.fixture
async def sending(zalo: MiniZalo, tmp_path: Path) -> AsyncIterator[Any]:
    db = await Database.open(tmp_path / "s.sqlite3")
    client = _client(zalo)
    await Tokens(db, client, None, zalo.refresh_token).load()
    subs = Subscriptions(db, AreaCatalog.load(data_dir("content") / "areas.toml"))
    try:
        yield db, subs, client
    finally:
        await client.close()
        await db.close()


async def _follower(db: Database, subs: Subscriptions, hours_ago: float,
                    phone: str | None = None, user: str = USER) -> int:
    chat_id = await subs.channel_chat("zalo", user)
    await subs.subscribe(chat_id, "lam-son")
    at = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    await chat_store.update(db, chat_id, last_interaction_at=at, phone=phone)
    return chat_id


@pytest.mark.parametrize(("hours", "billable", "phone", "expected"), [
    (1, False, None, "cs"),
    (72, False, None, "unreachable"),
    (72, True, None, "cs"),
    (72, False, "84912345678", "template"),
    (8 * 24, False, None, "unreachable"),
    (8 * 24, True, None, "unreachable"),
    (8 * 24, False, "84912345678", "template"),
    (8 * 24, True, "84912345678", "template"),
])
async def test_the_sender_picks_cs_template_or_unreachable_by_the_last_interaction(
        sending: Any, zalo: MiniZalo, hours: float, billable: bool, phone: str | None,
        expected: str) -> None:
    db, subs, client = sending
    chat_id = await _follower(db, subs, hours, phone)
    sender = ZaloSender(subs, client, billable=billable, template_id="356789")
    sending_broadcast.set(42)
    result = await sender.send(chat_id, "&lt;Bão số 3&gt; sơ tán <b>ngay</b>", silent=False)
    if expected == "unreachable":
        assert result.outcome is Outcome.UNREACHABLE and "7 days" in result.reason
        assert zalo.sent == []
        return
    assert result.outcome is Outcome.SENT
    [(kind, body, code)] = zalo.sent
    assert (kind, code) == (expected, 0)
    if kind == "cs":
        assert body["recipient"]["user_id"] == USER
        assert body["message"]["text"] == "<Bão số 3> sơ tán ngay"
    else:
        assert body["phone"] == phone and body["template_id"] == "356789"
        assert body["template_data"] == {"message": "<Bão số 3> sơ tán ngay"}
        assert body["tracking_id"] == f"b42-c{chat_id}"


async def test_zalo_saying_the_window_closed_falls_back_and_errors_map_to_outcomes(
        sending: Any, zalo: MiniZalo) -> None:
    db, subs, client = sending
    sender = ZaloSender(subs, client, billable=False, template_id="356789")
    with_phone = await _follower(db, subs, 1, "84912345678")
    zalo.fail_cs = [-230]
    assert (await sender.send(with_phone, "a", silent=False)).outcome is Outcome.SENT
    assert [k for k, _b, c in zalo.sent if c == 0] == ["template"]
    without = await _follower(db, subs, 1, None, user="8123456789012345679")
    zalo.fail_cs = [-232]
    assert (await sender.send(without, "a", silent=False)).outcome is Outcome.UNREACHABLE
    zalo.fail_cs = [-32]
    assert (await sender.send(without, "a", silent=False)).outcome is Outcome.RETRY_AFTER
    zalo.fail_cs = [-201]
    failed = await sender.send(without, "a", silent=False)
    assert failed.outcome is Outcome.PERMANENT and "-201" in failed.reason
    zalo.fail_cs = [-213]
    assert (await sender.send(without, "a", silent=False)).outcome is Outcome.BLOCKED
    row = await subs.get(without)
    assert row is not None and not row.subscribed


async def test_the_notice_text_exists_for_the_token_kind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "n.sqlite3")
    try:
        told: list[str] = []
        notices = Notices(db)

        async def sink(notice: Any) -> None:
            told.append(notice.text("vi"))

        notices.sink = sink
        client = ZaloClient(app_id=APP_ID, app_secret=APP_SECRET, api_url="http://127.0.0.1:9",
                            oauth_url="http://127.0.0.1:9", business_url="http://127.0.0.1:9")
        tokens = Tokens(db, client, notices, "rt-first")
        await tokens.load()  # the token service does not answer: told, not raised
        await tokens.load()
        assert len(told) == 1 and "README" in told[0]
        assert await zalo_store.tokens(db) is not None
        await client.close()
    finally:
        await db.close()


async def test_two_refreshes_at_once_make_one_call(zalo: MiniZalo, tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.sqlite3")
    client = _client(zalo)
    try:
        tokens = Tokens(db, client, None, zalo.refresh_token)
        await tokens.load()
        stale = await tokens.access()
        await asyncio.gather(*(tokens.refresh(stale) for _ in range(5)))
        assert zalo.refreshes == 2  # the first at load, then one for the five callers
    finally:
        await client.close()
        await db.close()


# ------------------------------------------------------------------ broadcasts on both channels
async def test_a_broadcast_reaches_telegram_and_zalo_once_each_and_counts_the_unreachable(
        hook: Hook, zalo: MiniZalo, api: FakeBotAPI, resident: Person) -> None:
    svc = hook.app.bot_data["services"]
    await resident.say("/start an-bien")
    users = {"active": USER, "silent": "8123456789012345679", "phone": "8123456789012345681"}
    for user in users.values():
        await hook.send(event("follow", user))
        await hook.send(text("#ss:l:vi", user))
        await hook.send(text("#ss:a:an-bien", user))
    await hook.send(event("user_submit_info", users["phone"], info={"phone": "84987654321"}))
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")
    for user in ("silent", "phone"):
        row = await svc.subscriptions.by_address("zalo", users[user])
        async with svc.db.transaction() as conn:  # the resident then said nothing for 8 days
            await chat_store.change(conn, row.chat_id, last_interaction_at=eight_days_ago)
    mark = api.mark()
    b = await svc.broadcasts.create("Bão số 3 & triều cường: <chằng chống nhà cửa>",
                                    targets=["an-bien"], created_by="cli", send_at=None)

    async def done() -> bool:
        return (await svc.broadcasts.get(b.id)).status == "done"

    await hook.app.bot_data["scheduler"].reconcile()
    await eventually(done)
    await api.wait_message(resident.chat, since=mark, contains="Bão số 3")
    sent_tg = [m for m in api.messages(resident.chat) if "Bão số 3" in (m.get("text") or "")]
    assert len(sent_tg) == 1
    assert zalo.texts(users["active"]).count(
        "Bão số 3 & triều cường: <chằng chống nhà cửa>") == 1
    assert not any("Bão số 3" in t for t in zalo.texts(users["silent"]))
    [template] = [body for kind, body, code in zalo.sent if kind == "template" and code == 0]
    assert template["phone"] == "84987654321" and "Bão số 3" in template["template_data"][
        "message"]
    counts = await svc.broadcasts.counts(b.id)
    assert (counts.sent, counts.unreachable) == (3, 1)
    silent = await svc.subscriptions.by_address("zalo", users["silent"])
    [(status, error)] = await svc.db.fetchall(
        "SELECT status, error FROM outbox WHERE broadcast_id = ? AND chat_id = ?",
        (b.id, silent.chat_id))
    assert status == "unreachable" and "7 days" in error


async def test_a_pair_the_database_refuses_is_never_used_unsaved_nor_lost(
        zalo: MiniZalo, tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    db = await Database.open(path)
    client = _client(zalo)
    try:
        tokens = Tokens(db, client, None, zalo.refresh_token)
        await tokens.load()
        zalo.access.clear()
        with sqlite3.connect(path) as conn:  # the disk "fills up" for this table
            conn.execute("CREATE TRIGGER refuse BEFORE UPDATE ON zalo_tokens "
                         "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        with pytest.raises(Exception, match="could not be saved"):
            await client.send_cs(USER, {"text": "một"})
        assert zalo.refreshes == 2 and zalo.texts() == []  # the new token was not used
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER refuse")
        await client.send_cs(USER, {"text": "hai"})
        assert zalo.refreshes == 2  # no second exchange: the kept pair was saved, then used
        assert _rows(path, "SELECT refresh_token FROM zalo_tokens") == [(zalo.refresh_token,)]
        assert zalo.texts() == ["hai"]
    finally:
        await client.close()
        await db.close()
