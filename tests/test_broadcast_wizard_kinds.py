"""/broadcast's step after the areas (issue 12): everyone in them, or only chosen kinds of
recipients, with the recipients counted by kind; through the real bot and the fake Bot API."""

from __future__ import annotations

import json

from telegram.ext import Application

from bot.store.chats import ensure, update
from tests.auxil.chat import Person, eventually
from tests.fakes import FakeBotAPI

TEXT = "Chợ: chằng chống mái che, kê cao hàng hóa trước 17:00"
HOMES = (73001, 73002)
SCHOOL, MARKET, OFFICE, MARKET_ELSEWHERE, UNSET = -1007301, -1007302, -1007303, -1007304, -1007305


async def recipients(bot: Application, api: FakeBotAPI) -> None:  # type: ignore[type-arg]
    """Two households, a school, a market, an office and a group of no kind in Khu An Biên; a
    market in Khu Hồ Nam."""
    svc = bot.bot_data["services"]
    for chat in HOMES:
        api.add_chat(chat, "private")
        await ensure(svc.db, chat, "private", "vi", None)
        await update(svc.db, chat, area_id="an-bien", subscribed=1)
    groups = {SCHOOL: ("an-bien", "school"), MARKET: ("an-bien", "market"),
              OFFICE: ("an-bien", "office"), MARKET_ELSEWHERE: ("ho-nam", "market"),
              UNSET: ("an-bien", None)}
    for chat, (area, kind) in groups.items():
        api.add_chat(chat, "group", title=f"Nhóm {chat}")
        await ensure(svc.db, chat, "group", "vi", None)
        await update(svc.db, chat, area_id=area, subscribed=1, kind_asked=1)
        if kind:
            await svc.subscriptions.set_group_kind(chat, kind)


async def test_staff_send_to_the_markets_of_one_area_only(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await recipients(bot, api)
    await staff.say("/broadcast")
    await staff.press("Khu An Biên")
    await staff.press("Tiếp ▶")
    step = staff.last()["text"]
    assert "Gửi cho ai trong các khu đã chọn?" in step
    assert ("Theo đối tượng: hộ gia đình 2 · trường học 1 · chợ 1 · cơ quan, đơn vị 1 · "
            "tổ dân phố 0 · nhóm khác 1") in step
    assert "✅ Mọi người trong khu" in staff.buttons()

    # Nothing chosen is refused; a kind chosen takes "everyone" off.
    await staff.press("Chợ")
    assert "✅ 🛒 Chợ" in staff.buttons() and "Mọi người trong khu" in staff.buttons()
    await staff.press("Chợ")
    refused = await staff.press("Tiếp ▶")
    assert refused.params["text"] == "Mời chọn mọi người, hoặc ít nhất một nhóm đối tượng."
    await staff.press("Chợ")
    await staff.press("Tiếp ▶")
    assert "Mời gửi nội dung bằng tiếng Việt" in staff.last()["text"]
    await staff.say(TEXT)
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Gửi ngay")
    await staff.press("Bình thường")
    preview = [m["text"] for m in api.messages(staff.chat)]
    assert any("Số người nhận hiện tại: 1." in t and "Theo đối tượng: chợ 1" in t
               for t in preview)
    await staff.press("✅ Gửi")

    async def delivered() -> bool:
        last = api.last_message(MARKET)
        return bool(last and last["visible_text"] == TEXT)

    await eventually(delivered)
    b = (await svc.db.fetchall("SELECT id, kinds FROM broadcasts"))[-1]
    assert json.loads(b["kinds"]) == ["market"]

    async def done() -> bool:
        return (await svc.broadcasts.get(b["id"])).status == "done"

    await eventually(done)
    got_it = {chat for chat in (*HOMES, SCHOOL, MARKET, OFFICE, MARKET_ELSEWHERE, UNSET)
              if any(m.get("visible_text") == TEXT for m in api.messages(chat))}
    assert got_it == {MARKET}


async def test_everyone_in_the_areas_is_the_default_and_stores_no_kinds(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await recipients(bot, api)
    await staff.say("/broadcast")
    await staff.press("Khu An Biên")
    await staff.press("Tiếp ▶")
    await staff.press("Trường học")
    await staff.press("Mọi người trong khu")  # back to everyone
    assert "✅ Mọi người trong khu" in staff.buttons()
    await staff.press("Tiếp ▶")
    await staff.say(TEXT)
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Hẹn giờ…")
    await staff.say("01/12/2099 07:30")
    await staff.press("Bình thường")
    assert any("Số người nhận hiện tại: 6." in m["text"] for m in api.messages(staff.chat))
    await staff.press("✅ Gửi")
    b = (await svc.db.fetchall("SELECT kinds FROM broadcasts"))[-1]
    assert b["kinds"] is None


async def test_a_weekly_broadcast_keeps_its_kinds(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await recipients(bot, api)
    await staff.say("/broadcast")
    await staff.press("Tất cả người đăng ký")
    await staff.press("Tiếp ▶")
    await staff.press("Trường học")
    await staff.press("Hộ gia đình")
    await staff.press("Tiếp ▶")
    await staff.say("Nhắc diễn tập sơ tán ở trường")
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Hằng tuần…")
    await staff.press("Thứ 2")
    await staff.say("07:30 31/12/2099")
    await staff.press("Bình thường")
    assert any("Số người nhận hiện tại: 3." in m["text"]
               and "Theo đối tượng: hộ gia đình 2 · trường học 1\n" in m["text"] + "\n"
               for m in api.messages(staff.chat))
    await staff.press("✅ Gửi")
    weekly = [c for c in await svc.campaigns.all() if c.key.startswith("staff-")]
    assert [c.kinds for c in weekly] == [("household", "school")]
