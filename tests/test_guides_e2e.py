"""Guides and questions through the real bot: browsing, answers, danger first, not found, logs."""

from __future__ import annotations

import unicodedata

from telegram.ext import Application

from bot.channels.telegram.handlers.common import fit
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI


async def events(bot: Application) -> list[tuple]:  # type: ignore[type-arg]
    rows = await bot.bot_data["services"].db.fetchall(
        "SELECT kind, area_id, lang, chat_kind, guide_id, detail FROM events ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def test_browse_topic_then_guide_then_related_in_one_message(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/start hang-kenh")
    reply = await resident.say("/guides")
    assert reply["text"] == "Bà con vui lòng chọn chủ đề:"
    menu_id = resident.keyboard_message_id()
    await resident.press("🌀 Bão, áp thấp")
    labels = list(resident.buttons())
    storm = bot.bot_data["services"].library.for_hazard("storm", "vi")
    assert labels == [fit(g.label) for g in storm] + ["◀ Tất cả hướng dẫn"]  # no phase prefix
    await resident.press(labels[0])
    shown = resident.last()
    assert shown["message_id"] == menu_id  # edited in place
    assert shown["text"].startswith("<b>")
    assert "Nguồn:" in shown["text"]
    buttons = resident.buttons()
    assert {"🆘 Số khẩn cấp", "📚 Tất cả hướng dẫn", "📋 Menu"} <= set(buttons)
    related = [b for b in buttons if b.startswith("📖 ")]
    assert 1 <= len(related) <= 3
    await resident.press(related[0])
    assert resident.keyboard_message_id() == menu_id
    await resident.press("Tất cả hướng dẫn")
    assert resident.last()["text"] == "Bà con vui lòng chọn chủ đề:"

    logged = [e for e in await events(bot) if e[0] == "guide_view"]
    assert len(logged) == 2
    assert logged[0][1:4] == ("hang-kenh", "vi", "private")
    first = bot.bot_data["services"].library.get(logged[0][4], "vi")
    assert (first.hazard, first.phase) == ("storm", "before") and logged[0][5] == "storm:menu"


async def test_emergency_button_adds_the_numbers_below_the_guide(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("bão")
    guide_count = len(api.messages(resident.chat))
    mark = api.mark()
    await resident.press("Số khẩn cấp")
    call = await resident.reply_since(mark)
    assert "<b>112</b>" in call.params["text"]
    assert len(api.messages(resident.chat)) == guide_count + 1


async def test_a_question_gets_the_guide_in_the_chats_language(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    api.add_chat(5550002, "private")
    english = Person(api, 5550002, language_code="en")
    await english.say("/start an-bien")
    reply = await english.say("nước vào nhà rồi")  # Vietnamese words, English chat
    assert "Source:" in reply["text"]
    buttons = reply["reply_markup"]["inline_keyboard"]
    see_also = [b for row in buttons for b in row if b["text"].startswith("📖 ")]
    assert 1 <= len(see_also) <= 3
    logged = await events(bot)
    question = [e for e in logged if e[0] == "question"][-1]
    assert question[1:5] == ("an-bien", "en", "private", "flood-during")


async def test_nfd_and_unaccented_questions_are_answered(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    for text in (unicodedata.normalize("NFD", "ngập lụt"), "ngap lut", "flood"):
        reply = await resident.say(text)
        assert "Nguồn:" in reply["text"], text


async def test_danger_words_put_the_emergency_numbers_first(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("cứu tôi với nước ngập đến cổ")
    text = reply["text"]
    assert text.index("<b>112</b>") < text.index("Nguồn:")
    assert text.startswith("🆘 Nếu đang gặp nguy hiểm, hãy gọi ngay 112.\n")


async def test_no_match_is_answered_kindly_with_the_menu_and_logged(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("xe buýt số 7 mấy giờ chạy qwerty")
    assert "Chưa tìm được hướng dẫn" in reply["text"]
    assert "🌀 Bão, áp thấp" in {
        b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row
    }
    question = [e for e in await events(bot) if e[0] == "question"][-1]
    assert question[4] is None  # unanswered
    assert question[5] == "xe buýt số 7 mấy giờ chạy qwerty"  # the text, for new guides


async def test_a_huge_question_is_answered_without_error(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("ngập " * 1000)
    assert "Nguồn:" in reply["text"]
    question = [e for e in await events(bot) if e[0] == "question"][-1]
    guide = bot.bot_data["services"].library.get(question[4], "vi")
    assert guide.hazard == "flood"


async def test_forged_guide_buttons_are_refused_kindly(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/guides")
    for data in ("g:v:no-such-guide", "g:h:meteor", "g:v:../etc"):
        answer = await resident.press_data(data)
        assert answer.params.get("text") == "Nút này đã cũ. Bà con bấm /help để mở lại menu.", data
    assert resident.last()["text"] == "Bà con vui lòng chọn chủ đề:"
