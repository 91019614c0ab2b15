"""The fake Zalo server behaves as DESIGN.md ("Zalo") and research-zalo-oa.md say Zalo does: the
tests of the bot's Zalo channel are only as good as this fake. Checked over real HTTP, with a
webhook receiver of our own that verifies signatures by the documented formula."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from aiohttp import web

from tests.fakes import FakeZalo


@pytest_asyncio.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


class Receiver:
    """A webhook on 127.0.0.1 that keeps each request's raw body and headers."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/zalo/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/zalo/webhook"

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((await request.read(), dict(request.headers)))
        return web.Response(text="ok")


@pytest_asyncio.fixture
async def receiver(zalo: FakeZalo) -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    zalo.webhook = found.url
    try:
        yield found
    finally:
        assert found.runner is not None
        await found.runner.cleanup()


async def refresh(http: httpx.AsyncClient, zalo: FakeZalo, token: str,
                  secret: str | None = None) -> dict[str, Any]:
    answer = await http.post(
        f"{zalo.oauth_url}/v4/oa/access_token",
        data={"refresh_token": token, "app_id": zalo.app_id, "grant_type": "refresh_token"},
        headers={"secret_key": zalo.app_secret if secret is None else secret})
    assert answer.status_code == 200
    return answer.json()


async def cs(http: httpx.AsyncClient, zalo: FakeZalo, token: str | None, user_id: Any,
             message: dict[str, Any] | None = None, text: str = "Chào bà con") -> dict[str, Any]:
    headers = {"access_token": token} if token is not None else {}
    answer = await http.post(
        f"{zalo.api_url}/v3.0/oa/message/cs", headers=headers,
        content=json.dumps({"recipient": {"user_id": user_id},
                            "message": message if message is not None else {"text": text}}))
    assert answer.status_code == 200  # Zalo answers errors with HTTP 200 too
    return answer.json()


async def access(http: httpx.AsyncClient, zalo: FakeZalo) -> str:
    return str((await refresh(http, zalo, zalo.refresh_token))["access_token"])


def mac(zalo: FakeZalo, body: bytes, secret: str | None = None) -> str:
    event = json.loads(body)
    data = (event["app_id"].encode() + body + event["timestamp"].encode()
            + (secret or zalo.oa_secret).encode())
    return "mac=" + hashlib.sha256(data).hexdigest()


async def test_refresh_tokens_rotate_and_are_single_use(
        zalo: FakeZalo, http: httpx.AsyncClient) -> None:
    first = zalo.refresh_token
    got = await refresh(http, zalo, first)
    assert got["expires_in"] == "90000"  # a string, as Zalo sends it
    assert got["refresh_token"] != first and got["refresh_token"] == zalo.refresh_token
    again = await refresh(http, zalo, first)
    assert again["error"] == -14014 and "access_token" not in again
    assert "access_token" in await refresh(http, zalo, got["refresh_token"])
    assert [c.form["refresh_token"] for c in zalo.refreshes()] == [first, got["refresh_token"]]


async def test_token_calls_check_the_secret_key_and_app_id(
        zalo: FakeZalo, http: httpx.AsyncClient) -> None:
    token = zalo.refresh_token
    assert (await refresh(http, zalo, token, secret="wrong"))["error"] == -14004
    answer = await http.post(f"{zalo.oauth_url}/v4/oa/access_token",
                             data={"refresh_token": token, "app_id": "1",
                                   "grant_type": "refresh_token"},
                             headers={"secret_key": zalo.app_secret})
    assert answer.json()["error"] == -14002
    assert zalo.refreshes() == []
    assert "access_token" in await refresh(http, zalo, token)  # still unspent


async def test_a_revoked_refresh_token_fails_until_authorised_again(
        zalo: FakeZalo, http: httpx.AsyncClient) -> None:
    zalo.revoke_refresh_token()
    assert (await refresh(http, zalo, zalo.refresh_token))["error"] == -14014
    new = zalo.authorise_again()
    assert "access_token" in await refresh(http, zalo, new)


async def test_cs_needs_a_live_access_token_in_its_header(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    user = zalo.new_user_id()
    await zalo.follow(user)
    assert (await cs(http, zalo, None, user))["error"] == -216
    assert (await cs(http, zalo, "made-up", user))["error"] == -216
    token = await access(http, zalo)
    ok = await cs(http, zalo, token, user)
    assert ok["error"] == 0 and ok["data"]["user_id"] == user
    assert isinstance(ok["data"]["message_id"], str)
    zalo.expire_access_token()
    assert (await cs(http, zalo, token, user))["error"] == -216
    fresh = await access(http, zalo)
    assert (await cs(http, zalo, fresh, user))["error"] == 0
    assert zalo.texts_to(user) == ["Chào bà con", "Chào bà con"]
    assert [s.error for s in zalo.refused(user)] == [-216, -216, -216]


async def test_cs_follows_zalo_rules_for_followers_windows_and_length(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    token = await access(http, zalo)
    stranger, fan = zalo.new_user_id(), zalo.new_user_id()
    assert (await cs(http, zalo, token, stranger))["error"] == -213
    await zalo.follow(fan)
    assert zalo.is_follower(fan)
    assert (await cs(http, zalo, token, int(fan)))["error"] == -201  # ids are strings
    assert (await cs(http, zalo, token, fan, text="x" * 2001))["error"] == -210
    assert (await cs(http, zalo, token, fan, text="x" * 2000))["error"] == 0
    zalo.set_last_interaction(fan, 3)
    assert (await cs(http, zalo, token, fan))["error"] == 0
    assert [s.billable for s in zalo.messages_to(fan)] == [False, True]
    zalo.set_last_interaction(fan, 8)
    assert (await cs(http, zalo, token, fan))["error"] == -230
    await zalo.user_text(fan, "còn đó không?")  # a message opens the window again
    assert (await cs(http, zalo, token, fan))["error"] == 0
    await zalo.unfollow(fan)
    assert (await cs(http, zalo, token, fan))["error"] == -213
    assert len(zalo.messages_to(fan)) == 3


async def test_fail_next_answers_the_error_asked_for_then_recovers(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    token = await access(http, zalo)
    user = zalo.new_user_id()
    await zalo.follow(user)
    zalo.fail_next(-32, 2)
    answers = [await cs(http, zalo, token, user) for _ in range(3)]
    assert [a["error"] for a in answers] == [-32, -32, 0]
    assert answers[0]["message"] == "Your application/OA reached limit call api"
    assert "data" not in answers[0]


async def test_buttons_are_checked_recorded_and_pressed_as_text(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    token = await access(http, zalo)
    user = zalo.new_user_id()
    await zalo.follow(user)

    def buttons(n: int) -> dict[str, Any]:
        return {"text": "Chọn khu vực", "attachment": {"type": "template", "payload": {
            "buttons": [{"title": f"Khu {i}", "type": "oa.query.hide", "payload": f"#ss:a:{i}"}
                        for i in range(n)]}}}

    assert (await cs(http, zalo, token, user, buttons(6)))["error"] == -210
    bad = buttons(1)
    bad["attachment"]["payload"]["buttons"][0]["payload"] = 7
    assert (await cs(http, zalo, token, user, bad))["error"] == -201
    assert (await cs(http, zalo, token, user, buttons(5)))["error"] == 0
    assert zalo.buttons(user) == {f"Khu {i}": f"#ss:a:{i}" for i in range(5)}
    posted = await zalo.press(user, "Khu 3")
    assert posted.status == 200
    body, _ = receiver.got[-1]
    event = json.loads(body)
    assert event["event_name"] == "user_send_text" and event["message"]["text"] == "#ss:a:3"
    ask = {"attachment": {"type": "template", "payload": {
        "template_type": "request_user_info",
        "elements": [{"title": "Số điện thoại", "subtitle": "Để nhận cảnh báo bão"}]}}}
    assert (await cs(http, zalo, token, user, ask))["error"] == 0
    assert zalo.messages_to(user)[-1].asks_for_info


async def test_template_messages_are_recorded_by_phone(
        zalo: FakeZalo, http: httpx.AsyncClient) -> None:
    token = await access(http, zalo)
    zalo.approve_template("412345")
    zalo.phones_without_zalo.add("84900000000")

    async def send(body: dict[str, Any], token: str = token) -> int:
        answer = await http.post(f"{zalo.business_url}/message/template", json=body,
                                 headers={"access_token": token})
        assert answer.status_code == 200
        return int(answer.json()["error"])

    good = {"phone": "84912345678", "template_id": "412345",
            "template_data": {"area": "Khu An Biên", "warning": "Bão số 3"},
            "tracking_id": "b12-c4611686018427387905"}
    assert await send(good, token="stale") == -124
    assert await send({**good, "phone": "0912345678"}) == -108
    assert await send({**good, "template_id": "999"}) == -109
    assert await send({**good, "template_data": {}}) == -112
    assert await send({**good, "phone": "84900000000"}) == -118
    assert await send(good) == 0
    [sent] = zalo.templates_to("84912345678")
    assert sent.body["template_data"] == good["template_data"]
    assert sent.body["tracking_id"] == good["tracking_id"]


async def test_events_are_signed_as_zalo_signs_them_with_string_ids(
        zalo: FakeZalo, receiver: Receiver) -> None:
    user = zalo.new_user_id()
    assert float(user) != int(user)  # longer than a float holds exactly
    await zalo.follow(user)
    await zalo.user_text(user, "Nước lên thì làm gì?")
    await zalo.user_location(user, 20.8561, 106.6822, place="Chợ Cột Đèn")
    await zalo.user_submit_phone(user, "84912345678")
    names = []
    for body, headers in receiver.got:
        event = json.loads(body)
        names.append(event["event_name"])
        assert headers["X-ZEvent-Signature"] == mac(zalo, body)
        assert isinstance(event["timestamp"], str) and event["timestamp"].isdigit()
        assert event["app_id"] == zalo.app_id
    assert names == ["follow", "user_send_text", "user_send_location", "user_submit_info"]
    follow, text, location, info = (json.loads(b) for b, _ in receiver.got)
    assert follow["follower"]["id"] == user
    assert text["sender"]["id"] == user and text["message"]["text"] == "Nước lên thì làm gì?"
    assert isinstance(text["message"]["msg_id"], str)
    coordinates = location["message"]["attachments"][0]["payload"]["coordinates"]
    assert coordinates == {"latitude": "20.8561", "longitude": "106.6822"}
    assert info["sender"]["id"] == user and info["info"]["phone"] == "84912345678"


async def test_a_forged_event_fails_the_signature_and_changes_nothing_at_zalo(
        zalo: FakeZalo, receiver: Receiver) -> None:
    user = zalo.new_user_id()
    await zalo.follow(user, forged=True)
    body, headers = receiver.got[-1]
    assert headers["X-ZEvent-Signature"] != mac(zalo, body)
    assert headers["X-ZEvent-Signature"] == mac(zalo, body, "not-the-oa-secret")
    assert not zalo.is_follower(user) and zalo.last_interaction(user) is None


async def test_a_repost_sends_the_very_same_bytes(zalo: FakeZalo, receiver: Receiver) -> None:
    user = zalo.new_user_id()
    first = await zalo.user_text(user, "Xin chào")
    again = await zalo.repost(first)
    assert again.msg_id == first.msg_id
    assert receiver.got[0] == receiver.got[1]


async def test_wait_for_is_bounded_and_lists_what_was_sent(zalo: FakeZalo) -> None:
    try:
        await zalo.wait_message("1", timeout=0.05)
    except TimeoutError as error:
        assert "recent" in str(error)
    else:
        raise AssertionError("wait_message did not time out")


async def test_days_ago_dates_the_residents_events_and_windows_back(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    token = await access(http, zalo)
    user = zalo.new_user_id()
    with zalo.days_ago(8):
        await zalo.follow(user)
        assert (await cs(http, zalo, token, user))["error"] == 0  # a reply, back then
    stamp = int(json.loads(receiver.got[0][0])["timestamp"]) / 1000
    assert 7.9 * 86400 < zalo.now() - stamp < 8.1 * 86400
    assert (await cs(http, zalo, token, user))["error"] == -230
    assert "access_token" in await refresh(http, zalo, zalo.refresh_token)  # tokens: real time


async def test_a_lost_follower_is_refused_with_213(
        zalo: FakeZalo, http: httpx.AsyncClient, receiver: Receiver) -> None:
    token = await access(http, zalo)
    user = zalo.new_user_id()
    await zalo.follow(user)
    zalo.lose_follower(user)
    assert len(receiver.got) == 1  # the bot heard nothing of it
    assert (await cs(http, zalo, token, user))["error"] == -213
