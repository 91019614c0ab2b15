"""The fake Bot API answers the real PTB client as Telegram documents it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter

from tests.conftest import TOKEN
from tests.fakes import FakeBotAPI

CHAT = 4242


@pytest_asyncio.fixture
async def tg(api: FakeBotAPI) -> AsyncIterator[Bot]:
    api.add_chat(CHAT, "private")
    async with Bot(TOKEN, base_url=f"{api.url}/bot") as bot:
        yield bot


async def test_get_me_and_a_message_round_trip(api: FakeBotAPI, tg: Bot) -> None:
    assert tg.username == "sansang_test_bot"
    sent = await tg.send_message(CHAT, "xin chào")
    assert sent.text == "xin chào" and sent.chat_id == CHAT
    assert api.last_message(CHAT)["text"] == "xin chào"


async def test_unknown_token_is_refused(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("7000000009:SOMEONE-else-token-00000000000000",
                       base_url=f"{api.url}/bot"):
            pass


async def test_429_carries_retry_after(api: FakeBotAPI, tg: Bot) -> None:
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as err:
        await tg.send_message(CHAT, "x")
    assert err.value.retry_after == timedelta(seconds=7)


async def test_blocked_and_migrated_chats(api: FakeBotAPI, tg: Bot) -> None:
    api.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await tg.send_message(CHAT, "x")
    api.migrate(-100, -1001234)
    with pytest.raises(ChatMigrated) as err:
        await tg.send_message(-100, "x")
    assert err.value.new_chat_id == -1001234
    with pytest.raises(BadRequest, match="not found"):
        await tg.send_message(999999, "x")


@pytest.mark.parametrize("bad", ["a < b", "<b>x", "<i>x</b>", "&foo; bar", "<script>x</script>"])
async def test_malformed_html_is_refused(tg: Bot, bad: str) -> None:
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await tg.send_message(CHAT, bad, parse_mode="HTML")


async def test_well_formed_html_passes(tg: Bot) -> None:
    sent = await tg.send_message(CHAT, "a &lt; b <b>ok</b> &amp; <a href='x'>l</a>",
                                 parse_mode="HTML")
    assert sent.message_id


async def test_length_is_counted_on_visible_text(tg: Bot) -> None:
    await tg.send_message(CHAT, "x" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await tg.send_message(CHAT, "x" * 4097)
    await tg.send_message(CHAT, "<b>" + "x" * 4090 + "</b>", parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_refused(tg: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="é" * 32)]])
    await tg.send_message(CHAT, "x", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await tg.send_message(CHAT, "x", reply_markup=too_long)


async def test_edit_with_the_same_content_is_not_modified(tg: Bot) -> None:
    sent = await tg.send_message(CHAT, "same")
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await tg.edit_message_text("same", CHAT, sent.message_id)
    await tg.edit_message_text("other", CHAT, sent.message_id)


async def test_long_polling_returns_an_injected_update_and_honours_offset(
    api: FakeBotAPI, tg: Bot
) -> None:
    poll = asyncio.create_task(tg.get_updates(timeout=20))
    await asyncio.sleep(0.05)
    api.send_message(CHAT, "/start")
    updates = await asyncio.wait_for(poll, timeout=5)  # well under the 20 s long poll
    assert [u.message.text for u in updates] == ["/start"]
    assert updates[0].message.entities[0].type == "bot_command"
    again = await tg.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert again == ()


async def test_answering_a_forged_callback_query_fails(api: FakeBotAPI, tg: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await tg.answer_callback_query("never-issued")
    query_id = api.press_button(CHAT, CHAT, 1, "x")
    assert await tg.answer_callback_query(query_id)
    with pytest.raises(BadRequest):
        await tg.answer_callback_query(query_id)  # only once


async def test_limits_answer_429_to_an_unpaced_loop() -> None:
    fake = FakeBotAPI(token=TOKEN, enforce_limits=True)
    await fake.start()
    try:
        fake.add_chat(CHAT, "private")
        async with httpx.AsyncClient(base_url=f"{fake.url}/bot{TOKEN}") as client:
            statuses = [
                (await client.post("/sendMessage", json={"chat_id": CHAT, "text": "x"}))
                .status_code for _ in range(40)
            ]
        assert statuses[:3] == [200, 200, 200]  # a short burst is allowed
        assert statuses.count(429) >= 30
        assert fake.stats["429"] == statuses.count(429)
    finally:
        await fake.stop()


async def test_dropped_and_500_answers(api: FakeBotAPI, tg: Bot) -> None:
    from telegram.error import NetworkError

    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await tg.send_message(CHAT, "x")
    api.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await tg.send_message(CHAT, "x")
    assert (await tg.send_message(CHAT, "x")).text == "x"
