"""Bad input gets a kind answer or is ignored; nothing crashes, nothing is lost."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import Application

from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI


async def test_unknown_command(bot: Application, resident: Person) -> None:  # type: ignore[type-arg]
    reply = await resident.say("/frobnicate now")
    assert reply["text"] == ("🆘 Nếu đang gặp nguy hiểm, hãy gọi ngay 112.\n\n"
                             "Xin lỗi, chưa có lệnh này. Bà con vui lòng bấm /help để xem menu.")


async def test_a_5000_character_message_is_answered_within_limits(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("ngập " * 1000)
    assert 0 < len(reply["text"]) <= 4096  # a guide, never the 5,000 characters echoed


@pytest.mark.parametrize("kind", ["photo", "sticker"])
async def test_photos_and_stickers_get_a_kind_answer(
    bot: Application, api: FakeBotAPI, resident: Person, kind: str  # type: ignore[type-arg]
) -> None:
    mark = api.mark()
    getattr(api, f"send_{kind}")(resident.user_id)
    reply = await resident.reply_since(mark)
    assert reply.params["text"].startswith("🆘 Nếu đang gặp nguy hiểm, hãy gọi ngay 112.\n\n"
                                           "Xin lỗi, chỉ đọc được tin nhắn chữ")


async def test_edited_messages_are_ignored(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/start")
    sent_before = len(api.messages(resident.chat))
    api.edit_user_message(resident.user_id, 1, "/forget")
    await resident.sync()
    texts = [m["text"] for m in api.messages(resident.chat)[sent_before:]]
    assert all("Xóa toàn bộ" not in t for t in texts)
    assert len(texts) == 1  # only the answer to /help


@pytest.mark.parametrize(
    "data", ["zzz", "a:", "a:../../etc", "p:-1", "l:fr", "s:a:1:x", "f:maybe", "x" * 64, "é:1"]
)
async def test_random_button_data_is_refused_kindly(
    bot: Application, resident: Person, data: str  # type: ignore[type-arg]
) -> None:
    await resident.say("/start")
    before = resident.last()["text"]
    answer = await resident.press_data(data)
    assert answer.status == 200
    assert answer.params.get("text") in (None, "Nút này đã cũ. Bà con bấm /help để mở lại menu.")
    assert resident.last()["text"] == before  # nothing changed


async def test_a_button_for_a_missing_message_is_answered(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    answer = await resident.press_data("l:en", message_id=987654)
    assert answer.status == 200


async def test_api_errors_while_answering_are_logged_and_apologised(
    bot: Application, api: FakeBotAPI, resident: Person, caplog: pytest.LogCaptureFixture  # type: ignore[type-arg]
) -> None:
    api.fail_next("sendMessage", status=500, chat_id=resident.chat)
    caplog.set_level(logging.ERROR)
    mark = api.mark()
    api.send_message(resident.user_id, "/emergency")
    apology = await resident.reply_since(mark)
    assert "Xin lỗi, hệ thống đang trục trặc" in apology.params["text"]
    assert any("handler failed" in r.getMessage() for r in caplog.records)
    # The bot still answers afterwards.
    assert "<b>112</b>" in (await resident.say("/emergency"))["text"]


async def test_polling_survives_a_failing_bot_api(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    api.fail_next("getUpdates", status=502, times=2)
    reply = await resident.say("/emergency")
    assert "<b>112</b>" in reply["text"]


async def test_group_title_with_html_is_harmless(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    mark = api.mark()
    api.bot_added_to_group(-100999, 7001, title="<b>Chợ & <i>Sắt")
    greeting = await Person(api, 7001).in_group(-100999).reply_since(mark)
    assert greeting.status == 200
