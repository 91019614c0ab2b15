"""Residents' onboarding and settings, end to end: real PTB client, fake Bot API, real SQLite."""

from __future__ import annotations

import unicodedata

from telegram.ext import Application

from bot.paths import data_dir
from bot.store.chats import get as get_chat
from bot.subscriptions.areas import AreaCatalog
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI

AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")


def services(app: Application):  # type: ignore[no-untyped-def,type-arg]
    return app.bot_data["services"]


async def test_start_offers_language_then_area_then_confirms(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/start")
    assert "Bà con vui lòng chọn ngôn ngữ" in reply["text"]
    assert "Please choose your language" in reply["text"]
    assert set(resident.buttons()) == {"🇻🇳 Tiếng Việt", "🇬🇧 English"}

    await resident.press("English")
    shown = resident.last()
    assert "Which neighbourhood do you live in?" in shown["text"]
    first_page = resident.buttons()
    assert "An Biên" in first_page and "Vĩnh Niệm" not in first_page  # paged
    keyboard_id = resident.keyboard_message_id()

    await resident.press("Next page ▶")
    assert resident.keyboard_message_id() == keyboard_id  # edited in place, not piled up
    assert "Vĩnh Niệm" in resident.buttons()

    await resident.press("Vĩnh Niệm")
    confirmation = resident.last()
    assert "Subscribed to warnings for <b>Vĩnh Niệm</b>" in confirmation["text"]
    assert "/guides" in confirmation["text"] and "/emergency" in confirmation["text"]
    assert len(resident.api.messages(resident.chat)) == 1  # one message, edited throughout

    row = await get_chat(services(bot).db, resident.chat)
    assert (row.lang, row.area_id, row.subscribed) == ("en", "vinh-niem", True)


async def test_vietnamese_onboarding_speaks_vietnamese(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/start")
    await resident.press("Tiếng Việt")
    assert "Bà con vui lòng chọn khu dân cư đang sống" in resident.last()["text"]
    await resident.press("Khu An Biên")
    assert "Đã đăng ký nhận cảnh báo cho <b>Khu An Biên</b>" in resident.last()["text"]


async def test_deep_link_subscribes_at_once(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/start hang-kenh")
    assert "Đã đăng ký nhận cảnh báo cho <b>Khu Hàng Kênh</b>" in reply["text"]
    row = await get_chat(services(bot).db, resident.chat)
    assert (row.area_id, row.subscribed) == ("hang-kenh", True)


async def test_deep_link_in_english_for_an_english_phone(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    api.add_chat(5550077, "private")
    tourist = Person(api, 5550077, language_code="en-GB")
    reply = await tourist.say("/start an-bien")
    assert "Subscribed to warnings for <b>An Biên</b>" in reply["text"]


async def test_junk_deep_link_gets_normal_onboarding(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    for payload in ("nowhere", "AN-BIEN'; DROP TABLE chats;--", "x" * 64, "an bien"):
        reply = await resident.say(f"/start {payload}")
        assert "Please choose your language" in reply["text"], payload
    row = await get_chat(services(bot).db, resident.chat)
    assert row is not None and not row.subscribed


async def test_area_language_subscribe_unsubscribe(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/subscribe")
    assert "Bà con vui lòng chọn khu dân cư đang sống" in reply["text"]  # no area yet: choose one
    await resident.press("Khu Cát Dài")
    reply = await resident.say("/area")
    assert "Khu dân cư đang chọn: <b>Khu Cát Dài</b>" in reply["text"]
    await resident.press("Khu Hồ Nam")
    assert "<b>Khu Hồ Nam</b>" in resident.last()["text"]

    reply = await resident.say("/language")
    await resident.press("English")
    assert resident.last()["text"] == "Switched to English."

    reply = await resident.say("/unsubscribe")
    assert "Warnings stopped" in reply["text"]
    reply = await resident.say("/unsubscribe")
    assert "Warnings are not on for this chat" in reply["text"]
    reply = await resident.say("/subscribe")
    assert "Subscribed to warnings for <b>Hồ Nam</b>" in reply["text"]

    svc = services(bot)
    rows = await svc.db.fetchall("SELECT kind, area_id, detail FROM events ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("subscribe", "cat-dai", None),
        ("unsubscribe", "cat-dai", "moved"),
        ("subscribe", "ho-nam", None),
        ("language", "ho-nam", None),
        ("unsubscribe", "ho-nam", "command"),
        ("subscribe", "ho-nam", None),
    ]


async def test_subscription_survives_a_restart(
    api: FakeBotAPI, db_path, resident: Person  # type: ignore[no-untyped-def]
) -> None:
    from bot.channels.telegram.app import build_application, running
    from tests.conftest import make_config

    async with running(build_application(make_config(api, db_path)), poll_timeout=1):
        await resident.say("/start")
        await resident.press("English")
        await resident.press("Lam Sơn")
    async with running(build_application(make_config(api, db_path)), poll_timeout=1):
        reply = await resident.say("/area")
        assert "Neighbourhood: <b>Lam Sơn</b>" in reply["text"]


async def test_help_lists_resident_commands_only(
    bot: Application, resident: Person, staff: Person, lead: Person  # type: ignore[type-arg]
) -> None:
    text = (await resident.say("/help"))["text"]
    assert "/emergency" in text and "/forget" in text and "/staff" not in text
    assert "/staff" in (await lead.say("/help"))["text"]


async def test_emergency_numbers(bot: Application, resident: Person) -> None:  # type: ignore[type-arg]
    text = (await resident.say("/emergency"))["text"]
    for number, words in (("112", "cứu nạn"), ("113", "công an"), ("114", "cháy"),
                          ("115", "cấp cứu")):
        assert f"<b>{number}</b>" in text and words in text
    # The shipped contacts are a sample: no made-up ward numbers, and no empty ward block.
    assert "0225 000" not in text
    assert "Liên hệ của phường" not in text


async def test_nfd_command_text_is_handled(bot: Application, resident: Person) -> None:  # type: ignore[type-arg]
    await resident.say("/start")
    await resident.press("Tiếng Việt")
    reply = await resident.say(unicodedata.normalize("NFD", "nước vào nhà rồi"))
    assert reply["text"]  # answered kindly, no crash


async def test_menus_are_set_per_language_and_role(
    lead: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    default_vi = api.commands({"type": "default"}, "vi")
    default_en = api.commands({"type": "default"}, "en")
    assert [c["command"] for c in default_vi][:2] == ["start", "help"]
    assert "staff" not in {c["command"] for c in default_vi}
    assert {c["description"] for c in default_vi} != {c["description"] for c in default_en}
    from tests.conftest import LEAD_ID

    lead_menu = api.commands({"type": "chat", "chat_id": LEAD_ID}, "en")
    assert "staff" in {c["command"] for c in lead_menu}
