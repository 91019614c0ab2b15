"""The fake Bot API answers the real PTB client (and a plain HTTP client) as Telegram does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.telegram_html import EntityError, parse_html
from tests.fakes import FakeBotAPI

TOKEN = "7000000001:TEST-token-for-the-fake-api-000000000"
CHAT = 4242
GROUP = -4001



@pytest_asyncio.fixture
async def tg(api: FakeBotAPI) -> AsyncIterator[Bot]:
    api.add_chat(CHAT, "private", first_name="Lan")
    async with Bot(TOKEN, base_url=f"{api.url}/bot",
                   base_file_url=f"{api.url}/file/bot") as bot:
        yield bot


@pytest_asyncio.fixture
async def http(api: FakeBotAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}", timeout=5) as client:
        yield client


# ---------------------------------------------------------------- the basics
async def test_get_me_describes_the_bot(tg: Bot) -> None:
    me = await tg.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        7000000001, True, "Sẵn sàng", "sansang_test_bot")
    assert me.can_join_groups


async def test_a_message_round_trip_is_stored_as_shown(api: FakeBotAPI, tg: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="y")]])
    sent = await tg.send_message(CHAT, "<b>Bão</b> số 3 🌀 &amp; mưa", parse_mode="HTML",
                                 reply_markup=keyboard, disable_notification=True)
    assert sent.chat_id == CHAT and sent.from_user is not None and sent.from_user.is_bot
    assert sent.text == "Bão số 3 🌀 & mưa"  # Telegram answers with the visible text
    assert sent.text_html == "<b>Bão</b> số 3 🌀 &amp; mưa"
    assert sent.reply_markup == keyboard
    shown = api.last_message(CHAT)
    assert shown is not None
    assert shown["text"] == "<b>Bão</b> số 3 🌀 &amp; mưa" and shown["parse_mode"] == "HTML"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "y"
    assert shown["disable_notification"] is True
    second = await tg.send_message(CHAT, "tiếp")
    assert second.message_id == sent.message_id + 1

    edited = await tg.edit_message_text("Đã xong", CHAT, sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "Đã xong"
    now = api.messages(CHAT)[0]
    assert now["text"] == "Đã xong" and now["reply_markup"] is None  # edits drop the keyboard


async def test_plain_http_form_json_and_query_string(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    api.add_chat(CHAT, "private")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = await http.post("/sendMessage", data={
        "chat_id": str(CHAT), "text": '{"not": "json"}', "reply_markup": json.dumps(markup)})
    body = form.json()
    assert form.status_code == 200 and body["ok"] is True
    assert body["result"]["text"] == '{"not": "json"}'  # text is never JSON-decoded
    assert api.calls[-1].params["chat_id"] == CHAT
    assert api.calls[-1].params["reply_markup"] == markup
    as_json = await http.post("/SENDMESSAGE", json={"chat_id": CHAT, "text": "hi"})
    assert as_json.json()["result"]["message_id"] == 2  # method names ignore case
    query = await http.get("/getChat", params={"chat_id": str(CHAT)})
    assert query.json()["result"]["type"] == "private"


async def test_tokens_and_unknown_methods(api: FakeBotAPI, http: httpx.AsyncClient) -> None:
    missing = await http.post("/sendTelepathy")
    assert (missing.status_code, missing.json()) == (
        404, {"ok": False, "error_code": 404, "description": "Not Found"})
    async with httpx.AsyncClient(base_url=api.url) as other:
        wrong = await other.get("/bot7000000002:another-token-of-twenty-chars/getMe")
        assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    with pytest.raises(InvalidToken):
        async with Bot("7000000009:SOMEONE-else-token-00000000000000",
                       base_url=f"{api.url}/bot"):
            pass
    anyone = FakeBotAPI()  # no token: any well-formed one is accepted
    async with anyone, Bot("123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           base_url=f"{anyone.url}/bot") as bot:
        assert bot.id == 123456


# ---------------------------------------------------------------- errors as Telegram sends them
async def test_429_carries_retry_after(
    api: FakeBotAPI, tg: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as err:
        await tg.send_message(CHAT, "x")
    assert err.value.retry_after == timedelta(seconds=7)
    assert api.calls[-1].response == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7}}
    assert (await tg.send_message(CHAT, "x")).text == "x"  # only the next call failed


async def test_blocked_chats_answer_403(api: FakeBotAPI, tg: Bot) -> None:
    api.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await tg.send_message(CHAT, "x")
    api.unblock(CHAT)
    await tg.send_message(CHAT, "x")
    api.add_chat(CHAT + 1, "private")
    api.fail_next("sendMessage", status=403, chat_id=CHAT + 1)
    await tg.send_message(CHAT, "another chat is not affected")
    with pytest.raises(Forbidden, match="blocked"):
        await tg.send_message(CHAT + 1, "x")


async def test_a_migrated_group_raises_chat_migrated(api: FakeBotAPI, tg: Bot) -> None:
    api.add_chat(GROUP, "group", title="Chợ Sắt")
    api.migrate(GROUP, -1001234567890)
    with pytest.raises(ChatMigrated) as err:
        await tg.send_message(GROUP, "x")
    assert err.value.new_chat_id == -1001234567890
    assert api.calls[-1].response["description"] == (
        "Bad Request: group chat was upgraded to a supergroup chat")
    sent = await tg.send_message(-1001234567890, "x")
    assert sent.chat.type == "supergroup" and sent.chat.title == "Chợ Sắt"
    updates = await tg.get_updates(timeout=0)
    assert [u.message.migrate_to_chat_id or u.message.migrate_from_chat_id
            for u in updates if u.message] == [-1001234567890, GROUP]


async def test_unknown_chats_are_not_found(tg: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)^chat not found$"):
        await tg.send_message(999999, "x")


async def test_default_descriptions_and_500s(api: FakeBotAPI, tg: Bot) -> None:
    api.fail_next("sendMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await tg.send_message(CHAT, "x")
    api.fail_next("getChat", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await tg.get_chat(CHAT)
    assert api.stats["500"] == 2 and api.stats["502"] == 1


# ---------------------------------------------------------------- text checks
@pytest.mark.parametrize("bad", [
    "a < b", "<b>x", "<i>x</b>", "&foo;", "x </b>", "<script>alert(1)</script>",
    "AT&T", "<span>x</span>", '<a href="x>y</a>', "<b",
])
async def test_malformed_html_is_refused(tg: Bot, bad: str) -> None:
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await tg.send_message(CHAT, bad, parse_mode="HTML")


async def test_well_formed_html_passes(tg: Bot) -> None:
    assert (await tg.send_message(CHAT, "a &lt; b <b>ok</b> &amp;", parse_mode="HTML")).text == (
        "a < b ok &")
    sent = await tg.send_message(
        CHAT, "a &lt; b <b>ok</b> &amp; <a href='https://x.vn/?a=1&b=2'>l</a> &#128512; "
              '<span class="tg-spoiler">s</span> <blockquote expandable>q</blockquote> c > d',
        parse_mode="HTML")
    assert sent.text == "a < b ok & l 😀 s q c > d"
    kinds = {e.type for e in sent.entities}
    assert kinds == {"bold", "text_link", "spoiler", "expandable_blockquote"}
    await tg.send_message(CHAT, "a < b &foo;")  # no parse mode: nothing to parse


def test_entity_offsets_count_utf16() -> None:
    parsed = parse_html("🌀 <b>Bão</b>\n<pre><code class=\"language-py\">x</code></pre>")
    assert parsed.text == "🌀 Bão\nx"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 3},
        {"type": "pre", "offset": 7, "length": 1, "language": "py"},
    ]
    with pytest.raises(EntityError, match='Unmatched end tag at byte offset 4, expected "</i>"'):
        parse_html("<i>x</b>")


async def test_length_is_counted_on_visible_text(tg: Bot) -> None:
    await tg.send_message(CHAT, "x" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await tg.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await tg.send_message(CHAT, "🌀" * 2049)  # 4,098 UTF-16 code units
    markup_heavy = "<b>" + "x" * 4000 + "</b>" + "<i>y</i>" * 12 + "&amp;" * 20
    assert len(markup_heavy) > 4096
    await tg.send_message(CHAT, markup_heavy, parse_mode="HTML")


async def test_empty_text_is_refused(tg: Bot) -> None:
    for empty in ("   ", "<b> </b>"):
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            await tg.send_message(CHAT, empty, parse_mode="HTML")


# ---------------------------------------------------------------- keyboards and edits
async def test_callback_data_over_64_bytes_is_refused(tg: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="é" * 32)]])
    await tg.send_message(CHAT, "x", reply_markup=ok)
    for data in ("x" * 65, "é" * 33):
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data=data)]])
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await tg.send_message(CHAT, "x", reply_markup=too_long)
    many = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(8)]] * 13)
    with pytest.raises(BadRequest, match="(?i)reply markup is too long"):
        await tg.send_message(CHAT, "x", reply_markup=many)


async def test_buttons_need_exactly_one_action(api: FakeBotAPI, http: httpx.AsyncClient) -> None:
    api.add_chat(CHAT, "private")
    for button in ({"text": "a"}, {"text": "a", "url": "https://x.vn", "callback_data": "a"},
                   {"callback_data": "a"}, {"text": "a", "url": "tel:112"}):
        answer = await http.post("/sendMessage", json={
            "chat_id": CHAT, "text": "x", "reply_markup": {"inline_keyboard": [[button]]}})
        assert answer.status_code == 400, button


async def test_edit_with_the_same_content_is_not_modified(api: FakeBotAPI, tg: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    sent = await tg.send_message(CHAT, "<b>same</b>", parse_mode="HTML", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message"):
        await tg.edit_message_text("<strong>same</strong>", CHAT, sent.message_id,
                                   parse_mode="HTML", reply_markup=keyboard)
    await tg.edit_message_text("<b>same</b>", CHAT, sent.message_id, parse_mode="HTML")
    assert api.last_message(CHAT)["reply_markup"] is None  # same text, keyboard removed
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await tg.edit_message_text("x", CHAT, 9999)
    assert await tg.edit_message_text("x", inline_message_id="AAA") is True


# ---------------------------------------------------------------- updates
async def test_long_polling_returns_an_injected_update_and_honours_offset(
    api: FakeBotAPI, tg: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(tg.get_updates(timeout=20))
    await asyncio.sleep(0.05)
    assert not poll.done()  # it waits for an update
    sent = api.send_message(CHAT, "/start@sansang_test_bot x")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - started < 2  # woken by the update, not by the 20 s timeout
    assert [u.message.text for u in updates] == ["/start@sansang_test_bot x"]
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 23)
    assert updates[0].message.message_id == sent["message_id"]
    again = await tg.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]  # not confirmed yet
    confirmed = await tg.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert confirmed == () and api.pending_updates == []


async def test_a_newer_poll_ends_an_older_one_with_409(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    first = asyncio.create_task(http.post("/getUpdates", json={"timeout": 10}))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(http.post("/getUpdates", json={"timeout": 10}))
    ended = await asyncio.wait_for(first, timeout=3)
    assert ended.status_code == 409
    assert ended.json()["description"].startswith(
        "Conflict: terminated by other getUpdates request")
    api.send_message(CHAT, "hi")
    assert len((await asyncio.wait_for(second, timeout=3)).json()["result"]) == 1


async def test_stopping_ends_a_long_poll_at_once(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    poll = asyncio.create_task(http.post("/getUpdates", json={"timeout": 30}))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await api.stop()
    answer = await asyncio.wait_for(poll, timeout=3)
    assert answer.json() == {"ok": True, "result": []}
    assert time.monotonic() - started < 2


async def test_injected_updates_parse_in_ptb(api: FakeBotAPI, tg: Bot) -> None:
    api.send_photo(CHAT)
    api.send_sticker(CHAT)
    api.send_location(CHAT, 20.86, 106.68)
    api.edit_user_message(CHAT, 1, "sửa")
    api.bot_added_to_group(GROUP, 7001, title="Trường THCS Lê Chân")
    api.bot_removed_from_group(GROUP, 7001)
    api.user_blocks_bot(CHAT)
    api.user_unblocks_bot(CHAT)
    updates: tuple[Update, ...] = await tg.get_updates(timeout=0)
    assert updates[0].message.photo and updates[1].message.sticker
    assert updates[2].message.location.latitude == 20.86
    assert updates[3].edited_message.text == "sửa"
    statuses = [(u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
                for u in updates[4:]]
    assert statuses == [("left", "member"), ("member", "left"), ("member", "kicked"),
                        ("kicked", "member")]
    assert updates[4].my_chat_member.chat.title == "Trường THCS Lê Chân"
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await tg.send_message(GROUP, "x")
    photo = await tg.get_file(updates[0].message.photo[-1].file_id)
    assert (await photo.download_as_bytearray()).startswith(b"\xff\xd8")


async def test_allowed_updates_filter_what_is_delivered(api: FakeBotAPI, tg: Bot) -> None:
    api.send_message(CHAT, "hello")
    api.press_button(CHAT, CHAT, 1, "x")
    only_queries = await tg.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in only_queries] == [True]


# ---------------------------------------------------------------- button presses
async def test_answering_a_forged_callback_query_fails(api: FakeBotAPI, tg: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)query is too old and response timeout expired"):
        await tg.answer_callback_query("4300000000000000001")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    sent = await tg.send_message(CHAT, "x", reply_markup=keyboard)
    query_id = api.press_button(CHAT, CHAT, sent.message_id, "forged-data")
    (update,) = await tg.get_updates(timeout=0)
    assert update.callback_query.data == "forged-data"
    assert update.callback_query.message.text == "x"
    assert update.callback_query.message.reply_markup.inline_keyboard[0][0].callback_data == "a"
    assert await tg.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await tg.answer_callback_query(query_id)  # only once


# ---------------------------------------------------------------- the rest of the API
async def test_documents_commands_and_members(api: FakeBotAPI, tg: Bot) -> None:
    sent = await tg.send_document(CHAT, b"name,area\nLan,An Bien\n", filename="data.csv",
                                  caption="<b>Dữ liệu</b>", parse_mode="HTML")
    assert sent.document.file_name == "data.csv" and sent.caption == "Dữ liệu"
    (doc,) = api.documents(CHAT)
    assert doc["data"] == b"name,area\nLan,An Bien\n" and doc["caption"] == "<b>Dữ liệu</b>"
    got = await tg.get_file(sent.document.file_id)
    assert bytes(await got.download_as_bytearray()) == doc["data"]

    scope = BotCommandScopeChat(CHAT)
    await tg.set_my_commands([BotCommand("start", "Bắt đầu")], scope=scope, language_code="vi")
    assert api.commands({"type": "chat", "chat_id": CHAT}, "vi") == [
        {"command": "start", "description": "Bắt đầu"}]
    assert api.commands(None, "vi") == []
    assert [c.command for c in await tg.get_my_commands(scope=scope, language_code="vi")] == [
        "start"]
    await tg.delete_my_commands(scope=scope, language_code="vi")
    assert await tg.get_my_commands(scope=scope, language_code="vi") == ()

    api.add_chat(GROUP, "group", title="Tổ dân phố 3")
    api.set_member_status(GROUP, 7001, "administrator")
    assert (await tg.get_chat_member(GROUP, 7001)).status == "administrator"
    assert (await tg.get_chat_member(GROUP, 7002)).status == "member"
    assert [m.user.id for m in await tg.get_chat_administrators(GROUP)] == [7001]
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tg.get_chat_member(-999, 7001)
    assert (await tg.get_chat(GROUP)).title == "Tổ dân phố 3"
    assert await tg.send_chat_action(CHAT, "typing")


# ---------------------------------------------------------------- delays, drops, limits, waits
async def test_slow_and_dropped_answers(api: FakeBotAPI, tg: Bot) -> None:
    mark = api.mark()
    api.slow_next("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await tg.send_message(CHAT, "late", read_timeout=0.1)
    late = await api.wait_for(lambda c: c.method == "sendMessage", timeout=3, since=mark)
    assert late.status == 200  # the client gave up, yet the message went out, as on Telegram
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await tg.send_message(CHAT, "lost")
    assert api.calls[-1].status == 0
    assert [m["text"] for m in api.messages(CHAT)] == ["late"]


async def test_wait_for_times_out_with_a_summary(api: FakeBotAPI, tg: Bot) -> None:
    await tg.send_message(CHAT, "already sent")
    mark = api.mark()
    with pytest.raises(TimeoutError, match="already sent"):
        await api.wait_for(lambda c: c.method == "deleteMessage", timeout=0.2)
    waiter = asyncio.create_task(api.wait_message(CHAT, since=mark, contains="sau"))
    await tg.send_message(CHAT, "<i>sau</i>", parse_mode="HTML")
    assert (await asyncio.wait_for(waiter, 3)).params["text"] == "<i>sau</i>"


async def test_limits_answer_429_to_an_unpaced_loop() -> None:
    fake = FakeBotAPI(token=TOKEN, enforce_limits=True)
    async with fake, httpx.AsyncClient(base_url=f"{fake.url}/bot{TOKEN}") as client:
        fake.add_chat(CHAT, "private")
        statuses = [
            (await client.post("/sendMessage", json={"chat_id": CHAT, "text": "x"})).status_code
            for _ in range(40)
        ]
        assert statuses[:3] == [200, 200, 200]  # a short burst is allowed
        assert statuses.count(429) >= 35
        assert fake.stats["429"] == statuses.count(429)
        refused = fake.calls[-1].response
        assert refused["parameters"]["retry_after"] >= 1
        assert refused["description"].startswith("Too Many Requests: retry after ")
        assert len(fake.messages(CHAT)) == statuses.count(200)


async def test_get_chat_member_count_counts_known_members_or_answers_what_a_test_set(
    api: FakeBotAPI, tg: Bot
) -> None:
    api.add_chat(-5001, "group", title="Chợ Hàng Kênh")
    api.set_member_status(-5001, 11, "member")
    api.set_member_status(-5001, 12, "administrator")
    api.set_member_status(-5001, 13, "left")
    assert await tg.get_chat_member_count(-5001) == 3  # two people and the bot
    api.set_member_count(-5001, 240)
    assert await tg.get_chat_member_count(-5001) == 240
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tg.get_chat_member_count(-5999)
