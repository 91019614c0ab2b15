"""/mydata and /forget: what is stored, and deleting it while anonymous counts stay."""

from __future__ import annotations

from telegram.ext import Application

from bot.store.chats import get as get_chat
from tests.auxil.chat import Person


async def test_mydata_lists_everything_stored(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/mydata")
    assert reply["text"] == "Chưa lưu thông tin nào về cuộc trò chuyện này."  # a stranger
    await resident.say("/start ho-nam")
    text = (await resident.say("/mydata"))["text"]
    assert "Mã số: 5550001" in text
    assert "Khu dân cư: Khu Hồ Nam" in text
    assert "Cảnh báo: đang nhận" in text
    assert "Ngôn ngữ: Tiếng Việt" in text
    assert "/forget" in text
    # Dates as Vietnamese write them, in the ward's time zone.
    import re

    assert re.search(r"Bắt đầu dùng: \d\d:\d\d (Thứ \d|CN), \d{1,2} thg \d{1,2}, 20\d\d", text)


async def test_forget_asks_then_deletes_and_keeps_counts(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await resident.say("/start ho-nam")
    reply = await resident.say("/forget")
    assert "Xóa toàn bộ thông tin" in reply["text"]
    await resident.press("Không, giữ lại")
    assert resident.last()["text"] == "Chưa xóa gì."
    assert await get_chat(svc.db, resident.chat) is not None

    await resident.say("/forget")
    await resident.press("Đồng ý xóa")
    assert "Đã xóa dữ liệu" in resident.last()["text"]
    assert await get_chat(svc.db, resident.chat) is None
    # Nothing in the log points to the person; the subscription count is balanced.
    rows = await svc.db.fetchall("SELECT * FROM events")
    assert all(str(resident.chat) not in " ".join(map(str, tuple(r))) for r in rows)
    kinds = [r["kind"] for r in rows]
    assert kinds.count("subscribe") == kinds.count("unsubscribe") == 1
    assert "forget" in kinds


async def test_forget_button_pressed_twice_is_harmless(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/start ho-nam")
    await resident.say("/forget")
    data = resident.buttons()["Đồng ý xóa"]
    message_id = resident.keyboard_message_id()
    await resident.press_data(data, message_id)
    answer = await resident.press_data(data, message_id)
    assert answer.status == 200
    assert "Đã xóa dữ liệu" in resident.last()["text"]
