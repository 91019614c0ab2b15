"""The /broadcast wizard as a conversation (timeout, /cancel, forged buttons), /scheduled's pages,
and dates written by babel in staff messages, all through the fake Bot API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import Application, Job

from bot.channels.telegram.handlers import broadcast, callbacks
from bot.store.chats import update
from tests.auxil.chat import Person, eventually
from tests.conftest import STAFF_ID
from tests.fakes import FakeBotAPI

DROPPED = "Bản nháp bản tin đã bị hủy"
REFUSED = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
VI_WEEKDAYS = ("Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "CN")


async def _wizard_waiting_for_text(staff: Person) -> None:
    await staff.say("/broadcast")
    await staff.press("Khu An Biên")
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    assert "Mời gửi nội dung bằng tiếng Việt" in staff.last()["text"]


async def _timeout_job(bot: Application) -> Job:  # type: ignore[type-arg]
    """The conversation's timeout job (scheduled just after the step's reply went out)."""
    assert bot.job_queue is not None

    def found() -> list[Job]:  # type: ignore[type-arg]
        return [j for j in bot.job_queue.jobs()  # type: ignore[union-attr]
                if getattr(j.callback, "__name__", "") == "_trigger_timeout"]

    async def scheduled() -> bool:
        return len(found()) == 1

    await eventually(scheduled)
    return found()[0]


async def _is_a_question(staff: Person) -> None:
    reply = await staff.say("bão")
    assert "tiếng Anh" not in reply["text"]
    assert any("Số khẩn cấp" in b for b in staff.buttons())  # a question's answer


async def test_an_abandoned_wizard_is_dropped_after_15_minutes_and_text_is_a_question_again(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    await _wizard_waiting_for_text(staff)
    job = await _timeout_job(bot)
    assert job.next_t is not None
    wait = (job.next_t - datetime.now(UTC)).total_seconds()
    assert broadcast.WIZARD_TIMEOUT == 900 and 880 < wait <= 900
    mark = api.mark()
    await job.run(bot)  # the job's own function, now: no waiting 15 minutes
    told = await api.wait_message(staff.chat, since=mark, contains=DROPPED)
    assert "15 phút" in told.params["text"] and "/broadcast" in told.params["text"]
    await _is_a_question(staff)
    answer = await staff.press_data(callbacks.bc("guides"))  # a button of the dropped draft
    assert answer.params["text"] == "Nút này đã cũ. Mời bắt đầu lại bằng /broadcast."


async def test_a_timeout_whose_notice_fails_still_ends_the_wizard(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """Before: the timeout's notice failing (here a 400) left the conversation waiting with no
    draft; the staff member's next question became a broadcast text, and its preview and
    confirm read the empty draft as "everyone"."""
    svc = bot.bot_data["services"]
    await _wizard_waiting_for_text(staff)
    job = await _timeout_job(bot)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found",
                  chat_id=staff.chat)
    await job.run(bot)
    await _is_a_question(staff)
    for data in (callbacks.bc("noen"), callbacks.bc("now"), callbacks.bc("normal"),
                 callbacks.bc("ok")):
        await staff.press_data(data)
    assert [b for b in await svc.broadcasts.list() if b.created_by == str(STAFF_ID)] == []


async def test_cancel_leaves_the_wizard(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    reply = await staff.say("/cancel")
    assert reply["text"] == "Không có gì để hủy."
    await _wizard_waiting_for_text(staff)
    reply = await staff.say("/cancel")
    assert reply["text"] == "Đã hủy: không có gì thay đổi."
    await _is_a_question(staff)
    # The Cancel button leaves it too, and /broadcast again starts a new draft.
    await staff.say("/broadcast")
    await staff.say("/broadcast")
    await staff.press("Hủy")
    assert staff.last()["text"] == "Đã hủy: không có gì thay đổi."
    assert "cancel" in {c["command"] for c in api.commands(
        {"type": "chat", "chat_id": STAFF_ID}, "vi")}
    assert "/cancel" in (await staff.say("/help"))["text"]


async def test_a_step_that_fails_ends_the_wizard_with_an_apology(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    await _wizard_waiting_for_text(staff)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found",
                  chat_id=staff.chat)
    mark = api.mark()
    api.send_message(staff.user_id, "Mực nước lên nhanh")
    await api.wait_message(staff.chat, since=mark, contains="112")  # the error handler's
    await _is_a_question(staff)


async def test_wizard_buttons_are_refused_to_residents_and_to_staff_who_lost_the_role(
    staff: Person, resident: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await resident.say("/start")  # a keyboard of their own to forge presses on
    for data in (callbacks.bc("t", "an-bien"), callbacks.bc("next"), callbacks.bc("knext"),
                 callbacks.bc("k", "market"), callbacks.bc("guides"),
                 callbacks.bc("now"), callbacks.bc("urgent"), callbacks.bc("stop"),
                 callbacks.bc("pg", "1")):
        answer = await resident.press_data(data)
        assert answer.params["text"] == REFUSED, data
    # A staff member's button of another step is stale, and changes nothing.
    await _wizard_waiting_for_text(staff)
    answer = await staff.press_data(callbacks.bc("ok"))
    assert answer.params["text"] == "Nút này đã cũ. Mời bắt đầu lại bằng /broadcast."
    assert [b for b in await svc.broadcasts.list() if b.created_by == str(STAFF_ID)] == []
    # The role is read again at every press: taken away mid-wizard, the draft goes with it.
    await svc.roles.remove(STAFF_ID, actor="test")
    answer = await staff.press_data(callbacks.bc("guides"))
    assert answer.params["text"] == REFUSED
    await _is_a_question(staff)


async def test_scheduled_pages_never_pass_telegrams_limit(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    every_area = [a.id for a in svc.areas.areas]
    later = datetime.now(UTC) + timedelta(days=2)
    made = []
    for i in range(60):
        text = f"Bản tin số {i} & <cảnh báo> " + "nước lên nhanh, " * 200
        b = await svc.broadcasts.create(text, targets=every_area, created_by="cli",
                                        send_at=later + timedelta(minutes=i))
        made.append(b.id)
    mark = api.mark()
    reply = await staff.say("/scheduled")
    seen = set(re.findall(r"#(\d+) ·", reply["text"]))
    for _page in range(20):
        if "▶" not in staff.buttons():
            break
        await staff.press("▶")
        seen |= set(re.findall(r"#(\d+) ·", staff.last()["text"]))
    coming = await svc.broadcasts.list(("scheduled", "sending"))
    assert seen == {str(b.id) for b in coming} and {str(i) for i in made} <= seen
    assert "Mùa mưa bão" in staff.last()["text"]  # the campaigns come last
    sends = [c for c in api.calls[mark:] if c.method in ("sendMessage", "editMessageText")]
    assert sends and all(c.status == 200 for c in sends), [c.response for c in sends]
    assert all(len(c.params["text"].encode("utf-16-le")) // 2 <= 4096 for c in sends)
    # Back to the first page, and cancel from a page as before.
    await staff.press("◀")
    await staff.press(f"Hủy #{made[-1]}")
    assert (await svc.broadcasts.get(made[-1])).status == "cancelled"


async def test_scheduled_starts_with_the_soonest_even_past_two_hundred(
    staff: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    soon = datetime.now(UTC) + timedelta(hours=1)
    made = [(await svc.broadcasts.create(f"Tin {i}", targets=["lam-son"], created_by="cli",
                                         send_at=soon + timedelta(minutes=i))).id
            for i in range(210)]
    reply = await staff.say("/scheduled")
    assert f"#{made[0]} ·" in reply["text"]
    assert "1/" in " ".join(staff.buttons())


def _vi(moment: datetime) -> str:
    """07:30 on that local day, as babel writes it in Vietnamese (time, then the day)."""
    local = moment.astimezone(_zone())
    return f"07:30 {VI_WEEKDAYS[local.weekday()]}, {local.day} thg {local.month}, {local.year}"


def _en(moment: datetime) -> str:
    local = moment.astimezone(_zone())
    return f"{local:%a}, {local:%b} {local.day}, {local.year}, 7:30\u202fAM"


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


async def test_staff_read_dates_as_their_language_writes_them(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    year = datetime.now(UTC).year + 1
    at = datetime(year, 12, 1, 0, 30, tzinfo=UTC)  # 07:30 in Hải Phòng
    b = await svc.broadcasts.create("Triều cường", targets=["lam-son"], send_at=at,
                                    created_by="cli")
    reply = await staff.say("/scheduled")
    assert _vi(at) in reply["text"] and not ISO_DAY.search(reply["text"])
    # The wizard's preview and its confirmation, at a time typed as the wizard asks.
    await staff.say("/broadcast")
    await staff.press("Khu An Biên")
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    await staff.say("Diễn tập sơ tán")
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Hẹn giờ…")
    await staff.say(f"{year}-12-01 07:30")
    mark = api.mark()
    await staff.press("Bình thường")
    preview = [c.params["text"] for c in api.calls[mark:] if c.method == "editMessageText"]
    assert any(_vi(at) in t and "(giờ Việt Nam)" in t for t in preview), preview
    assert not any(ISO_DAY.search(t) for t in preview)
    await staff.press("✅ Gửi")
    assert _vi(at) in staff.last()["text"] and not ISO_DAY.search(staff.last()["text"])
    # In English.
    await update(svc.db, staff.chat, lang="en")
    reply = await staff.say("/scheduled")
    assert f"#{b.id} · {_en(at)}" in reply["text"], reply["text"]
    # The weekly wizard's last day is a day, not an ISO date.
    await update(svc.db, staff.chat, lang="vi")
    await staff.say("/broadcast")
    await staff.press("Tất cả người đăng ký")
    await staff.press("Tiếp ▶")
    await staff.press("Tiếp ▶")  # the kinds step: everyone in the areas
    await staff.say("Khơi thông cống rãnh")
    await staff.press("Bỏ qua tiếng Anh")
    await staff.press("Hằng tuần…")
    await staff.press("Thứ 2")
    await staff.say(f"07:30 1/12/{year}")
    mark = api.mark()
    await staff.press("Bình thường")
    preview = [c.params["text"] for c in api.calls[mark:] if c.method == "editMessageText"]
    assert any(f"1 thg 12, {year}" in t for t in preview), preview
    assert not any(ISO_DAY.search(t) for t in preview)


async def test_the_wizard_runs_only_in_a_private_chat(
    staff: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    api.add_chat(-100777, "supergroup", title="Tổ 5")
    group = staff.in_group(-100777, "supergroup")
    reply = await group.say("/broadcast")
    assert reply["text"] == "Mời dùng lệnh này trong trò chuyện riêng với bot."
    await staff.sync()
    assert bot.job_queue is not None
    assert not [j for j in bot.job_queue.jobs()
                if getattr(j.callback, "__name__", "") == "_trigger_timeout"]
