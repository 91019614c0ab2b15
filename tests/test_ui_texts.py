"""What residents and staff read around the guides (issue 11, section 5), through the real bot:
the 112 line opens every danger answer and every reply that did not understand, in both
languages, and no inline button the bot sends is longer than a phone shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from telegram.ext import Application

from bot.channels.telegram.handlers import callbacks
from bot.channels.telegram.handlers.common import (
    DANGER_LINE,
    EMERGENCY_BUTTON,
    GUIDES_BUTTON,
    MAX_LABEL,
    MENU,
)
from bot.channels.telegram.handlers.guides import HAZARD_BUTTONS
from bot.guides.library import HAZARDS, MAX_SHORT_TITLE, Library
from bot.guides.search import has_diacritics
from bot.i18n import LANGUAGES, gettext
from bot.paths import data_dir
from bot.store.chats import update
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI

LINE = {"vi": "🆘 Nếu đang gặp nguy hiểm, hãy gọi ngay 112.",
        "en": "🆘 If you are in danger, call 112 now."}
DANGER = {"vi": "cứu tôi với nước ngập đến cổ", "en": "help, I am trapped by the flood"}
NOT_FOUND = {"vi": "xe buýt số 7 mấy giờ chạy qwerty", "en": "bus number 7 timetable qwerty"}
VOICE = {"file_id": "AwACAgIAAxkBAAIBvoice", "file_unique_id": "AgADvoice", "duration": 3,
         "mime_type": "audio/ogg"}


def test_the_112_line_is_one_message_id_translated_as_the_review_asks() -> None:
    for lang in LANGUAGES:
        _ = gettext(lang)
        assert _(DANGER_LINE) == LINE[lang]


async def person_in(api: FakeBotAPI, lang: str) -> Person:
    """A resident whose chat speaks `lang`, subscribed to an area."""
    user_id = 5551000 + LANGUAGES.index(lang)
    api.add_chat(user_id, "private")
    person = Person(api, user_id, language_code=lang)
    await person.say("/start an-bien")
    return person


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_danger_answer_and_every_reply_that_did_not_understand_starts_with_112(
    bot: Application, api: FakeBotAPI, lang: str  # type: ignore[type-arg]
) -> None:
    person = await person_in(api, lang)
    starts = LINE[lang] + "\n"
    # A danger question: the line, then the numbers, then the guide.
    reply = await person.say(DANGER[lang])
    assert reply["text"].startswith(starts), reply["text"]
    assert reply["text"].index("<b>112</b>") < reply["text"].index(
        "Nguồn:" if lang == "vi" else "Source:")
    assert "Phường chưa công bố" not in reply["text"]  # no empty ward block (sample contacts)
    # A question no guide answers, with and without danger words.
    for text in (NOT_FOUND[lang], "sos qwerty zzxy"):
        reply = await person.say(text)
        assert reply["text"].startswith(starts), (text, reply["text"])
        assert reply["text"].count(LINE[lang]) == 1  # one line, not three wordings
    # A command that does not exist.
    assert (await person.say("/cuuho"))["text"].startswith(starts)
    # A voice note, a photo, a sticker.
    for send in (lambda: api.send_message(person.user_id, None, voice=VOICE),
                 lambda: api.send_photo(person.user_id),
                 lambda: api.send_sticker(person.user_id)):
        mark = api.mark()
        send()
        reply = (await person.reply_since(mark)).params
        assert reply["text"].startswith(starts), reply["text"]
    # An error on our side.
    api.fail_next("sendMessage", status=500, chat_id=person.chat)
    mark = api.mark()
    api.send_message(person.user_id, "/emergency", language_code=lang)
    apology = await person.reply_since(mark)
    assert apology.params["text"].startswith(starts), apology.params["text"]
    # /emergency itself opens with the action too.
    assert (await person.say("/emergency"))["text"].startswith(starts)


async def test_voice_notes_are_told_to_type_and_photos_are_told_apart(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    mark = api.mark()
    api.send_message(resident.user_id, None, voice=VOICE)
    voice = (await resident.reply_since(mark)).params["text"]
    assert "chưa nghe được tin nhắn thoại" in voice and "không dấu cũng được" in voice
    mark = api.mark()
    api.send_photo(resident.user_id)
    assert "ảnh" in (await resident.reply_since(mark)).params["text"]
    assert "📋 Menu" in resident.buttons()


async def test_help_says_residents_can_just_type_and_every_answer_has_a_way_back(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/start an-bien")
    assert "Bà con cứ gõ câu hỏi, không dấu cũng được" in reply["text"]
    assert "📋 Menu" in resident.buttons()
    help_text = (await resident.say("/help"))["text"]
    assert "Bà con cứ gõ câu hỏi, không dấu cũng được" in help_text
    assert help_text.rstrip().endswith(LINE["vi"])
    # A guide's answer has the Menu button; pressing it shows /help's menu below.
    await resident.say("bão")
    count = len(api.messages(resident.chat))
    await resident.press("📋 Menu")
    assert len(api.messages(resident.chat)) == count + 1
    assert "Bà con cứ gõ câu hỏi" in resident.last()["text"]
    assert {"📚 Tất cả hướng dẫn", "🆘 Số khẩn cấp"} <= set(resident.buttons())
    # "Nothing deleted" and the language change have it too.
    await resident.say("/forget")
    await resident.press("Không, giữ lại")
    assert "📋 Menu" in resident.buttons()
    await resident.say("/language")
    await resident.press("Tiếng Việt")
    assert resident.last()["text"] == "Đã chuyển sang tiếng Việt."
    assert "📋 Menu" in resident.buttons()
    # A stale button says what to do.
    answer = await resident.press_data("g:v:no-such-guide")
    assert "/help" in answer.params["text"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_examples_we_give_residents_are_answered(
    bot: Application, api: FakeBotAPI, lang: str  # type: ignore[type-arg]
) -> None:
    """The two examples in /help (one without diacritics in Vietnamese) and the two short ones
    in the not-found reply each get a guide of their topic, not another 'not found'."""
    person = await person_in(api, lang)
    source = "Nguồn:" if lang == "vi" else "Source:"
    help_examples = re.findall(r"<i>([^<]+)</i>", (await person.say("/help"))["text"])
    not_found = (await person.say(NOT_FOUND[lang]))["text"]
    short_examples = re.findall(r"“([^”]+)”", not_found)
    assert len(help_examples) == 2 and len(short_examples) == 2, (help_examples, not_found)
    if lang == "vi":
        assert any(not has_diacritics(e) for e in help_examples)
    for example in help_examples + short_examples:
        assert source in (await person.say(example))["text"], example


# ---------------------------------------------------------------- buttons that fit a phone
def sent_labels(api: FakeBotAPI) -> Iterator[str]:
    """Every inline button label in every call the bot made (sent or edited keyboards)."""
    for call in api.calls:
        markup: Any = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    yield button["text"]


async def walk_resident(api: FakeBotAPI, person: Person, lang: str, library: Library) -> None:
    await person.say("/start")
    await person.press("English" if lang == "en" else "Tiếng Việt")
    await person.press_data(callbacks.page(1))
    await person.press_data(callbacks.page(0))
    await person.press_data(callbacks.area("an-bien"))
    await person.say("/guides")
    for hazard in HAZARDS:
        await person.press_data(callbacks.guides_hazard(hazard))
    for guide in library.in_lang(lang):
        await person.press_data(callbacks.guide(guide.id))
    await person.press_data(callbacks.EMERGENCY)
    await person.press_data(callbacks.MENU)
    for command in ("/help", "/area", "/language", "/mydata", "/unsubscribe", "/subscribe",
                    "/forget"):
        await person.say(command)
    await person.press_data(callbacks.forget(False))
    await person.say("bão" if lang == "vi" else "storm")
    await person.say("qwerty zzxy")


async def walk_staff(api: FakeBotAPI, staff: Person, lead: Person, bot: Application,  # type: ignore[type-arg]
                     lang: str) -> None:
    svc = bot.bot_data["services"]
    for person in (staff, lead):
        await person.say("/help")  # their chat, then its language
        await update(svc.db, person.chat, lang=lang)
    # A typed broadcast, scheduled weekly.
    await staff.say("/broadcast")
    for area in svc.areas.areas[:2]:
        await staff.press_data(callbacks.bc("t", area.id))
    await staff.press_data(callbacks.bc("all"))
    await staff.press_data(callbacks.bc("next"))
    for kind in ("household", "school", "market", "office"):
        await staff.press_data(callbacks.bc("k", kind))
    await staff.press_data(callbacks.bc("knext"))
    await staff.say("Khơi thông cống rãnh")
    await staff.press_data(callbacks.bc("noen"))
    await staff.press_data(callbacks.bc("weekly"))
    await staff.press_data(callbacks.bc("wd", "0"))
    await staff.say("07:30 31/12")
    await staff.press_data(callbacks.bc("normal"))
    await staff.press_data(callbacks.bc("ok"))
    # A guide from the library, every topic and its guides, sent now.
    await staff.say("/broadcast")
    await staff.press_data(callbacks.bc("all"))
    await staff.press_data(callbacks.bc("next"))
    await staff.press_data(callbacks.bc("knext"))
    await staff.press_data(callbacks.bc("guides"))
    for hazard in HAZARDS:
        await staff.press_data(callbacks.bc("gh", hazard))
    first = svc.library.for_hazard("storm", "vi")[0]
    await staff.press_data(callbacks.bc("g", first.id))
    await staff.press_data(callbacks.bc("now"))
    await staff.press_data(callbacks.bc("urgent"))
    await staff.press_data(callbacks.bc("stop"))
    await staff.say("/scheduled")
    await staff.say("/stats")
    await lead.say("/staff add 424242 staff")
    await lead.press_data(callbacks.STAFF_CANCEL)
    await lead.say("/export")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_no_inline_button_is_longer_than_a_phone_shows(
    bot: Application, api: FakeBotAPI, staff: Person, lead: Person, lang: str  # type: ignore[type-arg]
) -> None:
    library = bot.bot_data["services"].library
    api.add_chat(5552000, "private")
    resident = Person(api, 5552000, language_code=lang)
    await walk_resident(api, resident, lang, library)
    await walk_staff(api, staff, lead, bot, lang)
    labels = set(sent_labels(api))
    assert len(labels) > 40  # the walk saw the menus, the guides and the wizard
    too_long = sorted(label for label in labels if len(label) > MAX_LABEL)
    assert too_long == [], f"buttons over {MAX_LABEL} characters"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hazard_and_fixed_button_labels_fit(lang: str) -> None:
    _ = gettext(lang)
    assert set(HAZARD_BUTTONS) == set(HAZARDS), "every hazard needs a short button label"
    for msgid in (*HAZARD_BUTTONS.values(), EMERGENCY_BUTTON, GUIDES_BUTTON, MENU):
        assert len(_(msgid)) <= MAX_LABEL, _(msgid)
    for hazard, msgid in HAZARD_BUTTONS.items():
        assert _(msgid) != _(HAZARDS[hazard]), f"{hazard}: the button repeats the long heading"


def test_every_guide_label_fits_a_button_with_its_icon() -> None:
    """`Guide.label` (the short title) on a button, after "📖 ": at most 30 characters."""
    library = Library.load(data_dir("content"))
    too_long = sorted(f"{g.lang}/{g.id}: {g.label!r} ({len(g.label)})"
                      for g in library.guides.values() if len("📖 " + g.label) > MAX_LABEL)
    assert MAX_SHORT_TITLE + len("📖 ") <= MAX_LABEL
    assert too_long == [], "short_title missing or too long"
