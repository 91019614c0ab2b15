"""/broadcast and /scheduled in Telegram: staff only, on every command, button and typed answer."""

from __future__ import annotations

from telegram.ext import Application

from bot.channels.telegram.handlers import callbacks
from bot.store.chats import ensure, update
from tests.auxil.chat import Person, eventually
from tests.fakes import FakeBotAPI

TEXT = "Mực nước > 1m & đang lên"


async def test_staff_walks_through_the_wizard_and_residents_get_it(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    for chat in (71001, 71002):
        api.add_chat(chat, "private")
        await ensure(svc.db, chat, "private", "vi", None)
        await update(svc.db, chat, area_id="an-bien", subscribed=1)
    reply = await staff.say("/broadcast")
    assert "Gửi cho ai?" in reply["text"]
    await staff.press("Khu An Biên")
    assert "✅ Khu An Biên" in staff.buttons()
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    assert "Mời gửi nội dung bằng tiếng Việt" in staff.last()["text"]
    reply = await staff.say(TEXT)  # typed text is not taken for a question
    assert "bản tiếng Anh" in reply["text"]
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Gửi ngay")
    mark = api.mark()
    await staff.press("Bình thường")
    preview = [c for c in api.calls[mark:] if c.method == "sendMessage"
               and c.params["chat_id"] == staff.chat]
    assert any(api_message_text(api, staff.chat, c) == TEXT for c in preview)
    assert any("Số người nhận hiện tại: 2" in m["text"] for m in api.messages(staff.chat))
    confirmed = api.mark()
    await staff.press("✅ Gửi")

    async def delivered() -> bool:
        return all(api.last_message(c) and api.last_message(c)["visible_text"] == TEXT
                   for c in (71001, 71002))

    await eventually(delivered)
    summary = await api.wait_message(staff.chat, since=confirmed, contains="đã gửi xong")
    assert "Đã gửi: 2" in summary.params["text"]
    audit = await svc.db.fetchall(
        "SELECT actor, action FROM audit WHERE action LIKE 'broadcast%' AND actor != 'campaign'"
    )
    assert [tuple(a) for a in audit] == [(str(staff.user_id), "broadcast.create")]


def api_message_text(api: FakeBotAPI, chat: int, call: object) -> str:
    message_id = call.response["result"]["message_id"]  # type: ignore[attr-defined]
    return next(m["visible_text"] for m in api.messages(chat) if m["message_id"] == message_id)


async def test_a_resident_is_refused_on_command_and_forged_buttons(
    resident: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await resident.say("/start")  # a keyboard of their own to forge presses on
    reply = await resident.say("/broadcast")
    assert reply["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
    reply = await resident.say("/scheduled")
    assert reply["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
    b = await svc.broadcasts.create("x", targets=["an-bien"], created_by="cli",
                                    send_at=None)
    for data in (callbacks.bc("ok"), callbacks.bc("all"), callbacks.bc("x", str(b.id))):
        answer = await resident.press_data(data)
        assert answer.params["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
    assert (await svc.broadcasts.get(b.id)).status in ("scheduled", "sending", "done")
    assert await svc.broadcasts.list(("cancelled",)) == []


async def test_scheduled_lists_and_cancels_with_audit(
    staff: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    from datetime import UTC, datetime, timedelta

    svc = bot.bot_data["services"]
    later = datetime.now(UTC) + timedelta(days=1)
    b = await svc.broadcasts.create("Triều cường tuần sau", targets=["lam-son"],
                                    send_at=later, created_by="cli")
    reply = await staff.say("/scheduled")
    assert f"#{b.id}" in reply["text"] and "Triều cường tuần sau" in reply["text"]
    await staff.press(f"Hủy #{b.id}")
    assert staff.last()["text"] == f"Đã hủy bản tin #{b.id}."
    assert (await svc.broadcasts.get(b.id)).status == "cancelled"
    audit = await svc.db.fetchall(
        "SELECT actor FROM audit WHERE action = 'broadcast.cancel' AND target = ?", (str(b.id),)
    )
    assert [a[0] for a in audit] == [str(staff.user_id)]


async def test_staff_menus_show_broadcast_commands(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    from tests.conftest import STAFF_ID

    menu = {c["command"] for c in api.commands({"type": "chat", "chat_id": STAFF_ID}, "vi")}
    assert {"broadcast", "scheduled"} <= menu and "staff" not in menu
    default = {c["command"] for c in api.commands({"type": "default"}, "vi")}
    assert "broadcast" not in default


async def test_staff_pause_and_resume_a_campaign_from_scheduled(
    staff: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    reply = await staff.say("/scheduled")
    assert "Tin tuyên truyền theo mùa" in reply["text"] and "Mùa mưa bão" in reply["text"]
    await staff.press("Tạm dừng: Mùa mưa bão")
    assert "Tiếp tục: Mùa mưa bão" in staff.buttons()
    paused = {c.key: c.paused for c in await svc.campaigns.all()}
    assert paused["storm-season"] is True
    await staff.press("Tiếp tục: Mùa mưa bão")
    assert {c.key: c.paused for c in await svc.campaigns.all()}["storm-season"] is False


async def test_staff_can_broadcast_a_guide_in_both_languages(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    api.add_chat(72001, "private")
    await ensure(svc.db, 72001, "private", "en", None)
    await update(svc.db, 72001, area_id="ho-nam", subscribed=1)
    await staff.say("/broadcast")
    await staff.press("Khu Hồ Nam")
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    await staff.press("Gửi một hướng dẫn")
    await staff.press("Nắng nóng")
    guide = svc.library.for_hazard("heat", "vi")[0]
    await staff.press(guide.label[:20])
    await staff.press("Gửi ngay")
    await staff.press("Khẩn cấp")
    await staff.press("✅ Gửi")
    english = svc.library.guides[(guide.id, "en")]

    async def delivered() -> bool:
        last = api.last_message(72001)
        return bool(last) and last["visible_text"].startswith(english.title)

    await eventually(delivered)
    assert "**" not in api.last_message(72001)["visible_text"]


async def test_staff_schedule_a_weekly_broadcast_until_a_day(
    staff: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    from datetime import UTC, datetime, timedelta

    svc = bot.bot_data["services"]
    tz = svc.config.tz
    await staff.say("/broadcast")
    await staff.press("Tất cả người đăng ký")
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    await staff.say("Nhắc khơi thông cống rãnh trước mùa mưa")
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Hằng tuần…")
    await staff.press("Thứ 4")  # babel's abbreviated weekday names
    last = (datetime.now(tz) + timedelta(days=30)).strftime("%d/%m/%Y")
    reply = await staff.say("bảy giờ")  # junk first
    assert "ví dụ: 07:30 " in reply["text"]
    await staff.say(f"07:15 {last}")
    await staff.press("Bình thường")
    assert any("hằng tuần đến ngày" in m["text"] for m in staff.api.messages(staff.chat))
    await staff.press("✅ Gửi")
    assert staff.last()["text"] == "Đã lưu bản tin hằng tuần; xem trong /scheduled."
    weekly = [c for c in await svc.campaigns.all() if c.key.startswith("staff-")]
    assert len(weekly) == 1 and weekly[0].weekday == 2
    assert weekly[0].at.strftime("%H:%M") == "07:15"
    planned = await svc.broadcasts.list(("scheduled",))
    mine = [b for b in planned if b.campaign == weekly[0].key]
    assert 1 <= len(mine) <= 2  # the coming 8 days hold one or two Wednesdays
    local = mine[0].send_at.astimezone(tz)
    assert local.weekday() == 2 and (local.hour, local.minute) == (7, 15)
    assert mine[0].send_at > datetime.now(UTC)
    # Restarting sync of the campaign files keeps staff's weekly broadcast.
    await svc.sync_campaigns()
    assert [c.key for c in await svc.campaigns.all() if c.key.startswith("staff-")] == [
        weekly[0].key]
