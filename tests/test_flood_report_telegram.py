"""/report end to end through the real bot and the fake Bot API: a resident's report reaches every
staff and lead chat with its area, depth and map link; staff check and resolve it (the resident
is told); forged presses, bad input, an abandoned flow, the hourly limit and a database that
refuses each get a clear answer and save nothing they should not."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application, Job

from bot.channels.telegram.handlers import callbacks, flood_reports, flood_staff
from bot.channels.telegram.handlers.flood_staff import osm_link
from bot.fakeapi import Call
from tests.auxil.chat import Person, eventually
from tests.conftest import LEAD_ID, STAFF_ID
from tests.fakes import FakeBotAPI

AN_BIEN = (20.8575, 106.6860)  # the sample centre of Khu An Biên
HANOI = (21.0285, 105.8542)  # far outside the ward
ASK_DEPTH = "Nước ở đó ngập sâu đến đâu?"
ASK_EXTRAS = "Nếu an toàn, mời gửi một ảnh"
THANKS = "Cảm ơn bà con! Báo cáo ngập số"
REFUSED = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."


def _svc(bot: Application) -> Any:  # type: ignore[type-arg]
    return bot.bot_data["services"]


async def _all_reports(bot: Application) -> list[Any]:  # type: ignore[type-arg]
    return list(await _svc(bot).flood_reports.in_period("2000-01-01T00:00:00+00:00",
                                                        "2100-01-01T00:00:00+00:00"))


async def _start(person: Person, api: FakeBotAPI) -> None:
    reply = await person.say("/report")
    assert "Báo điểm ngập" in reply["text"] and "112" in reply["text"]
    keyboard = api.reply_keyboard(person.chat)
    assert keyboard is not None
    assert {"text": "📍 Gửi vị trí", "request_location": True} in keyboard["keyboard"][0]


async def _locate(person: Person, api: FakeBotAPI, where: tuple[float, float] = AN_BIEN,
                  ask: str = ASK_DEPTH) -> None:
    mark = api.mark()
    api.share_location(person.user_id, *where)
    await api.wait_message(person.chat, since=mark, contains=ask)


async def _depth(person: Person, api: FakeBotAPI, label: str = "Đầu gối – thắt lưng",
                 ask: str = ASK_EXTRAS) -> None:
    mark = api.mark()
    await person.press(label)
    await api.wait_message(person.chat, since=mark, contains=ask)


async def _up_to_extras(person: Person, api: FakeBotAPI) -> None:
    await _start(person, api)
    await _locate(person, api)
    await _depth(person, api)


async def _copy(api: FakeBotAPI, chat: int, since: int, number: int) -> Call:
    """The staff copy of report `number` sent to `chat` (a text or a photo)."""
    return await api.wait_message(chat, since=since, contains=f"Báo cáo ngập số {number}")


async def _sent(resident: Person, api: FakeBotAPI) -> int:
    """A report sent with no photo and no note; the mark from before its last press."""
    await _up_to_extras(resident, api)
    mark = api.mark()
    await resident.press("Bỏ qua")
    await api.wait_message(resident.chat, since=mark, contains=THANKS)
    return mark


async def _sent_to_staff(resident: Person, api: FakeBotAPI,
                         bot: Application) -> tuple[Any, Call, int]:  # type: ignore[type-arg]
    """The one report sent, its copy in the staff chat, and the mark from before it was sent."""
    mark = await _sent(resident, api)
    [report] = await _all_reports(bot)
    return report, await _copy(api, STAFF_ID, mark, report.id), mark


def _links(call: Call) -> list[str]:
    result = call.result
    entities = result.get("entities") or result.get("caption_entities") or []
    return [e["url"] for e in entities if e["type"] == "text_link"]


async def test_a_report_with_location_and_depth_reaches_staff_and_lead_with_map_and_area(
    resident: Person, staff: Person, lead: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _up_to_extras(resident, api)
    mark = api.mark()
    await resident.press("Bỏ qua")
    thanks = await api.wait_message(resident.chat, since=mark, contains=THANKS)
    text = thanks.params["text"]
    assert "Cán bộ phường sẽ kiểm tra" in text and "112" in text
    assert api.reply_keyboard(resident.chat) is None  # the location keyboard is gone
    [report] = await _all_reports(bot)
    assert f"số {report.id}" in text
    assert (report.area_id, report.depth, report.status) == ("an-bien", "waist", "new")
    assert report.reporter_chat == resident.chat and report.photo_file_id is None
    for chat in (STAFF_ID, LEAD_ID):
        copy = await _copy(api, chat, mark, report.id)
        shown = copy.result["text"]
        assert "Khu vực: Khu An Biên" in shown and "Mức nước: Đầu gối – thắt lưng" in shown
        assert _links(copy) == [osm_link(*AN_BIEN)]
        assert osm_link(*AN_BIEN) == ("https://www.openstreetmap.org/?mlat=20.857500"
                                      "&mlon=106.686000#map=18/20.857500/106.686000")
        labels = [b["text"] for row in copy.params["reply_markup"]["inline_keyboard"]
                  for b in row]
        assert labels == ["👀 Đã kiểm tra", "✅ Đã xử lý"]

    async def both_recorded() -> bool:  # each copy is recorded just after it is sent
        copies = await _svc(bot).flood_reports.messages(report.id)
        return sorted(chat for chat, _ in copies) == sorted([STAFF_ID, LEAD_ID])

    await eventually(both_recorded)


async def test_a_photo_and_a_note_reach_staff_as_a_photo_with_the_escaped_note(
    resident: Person, staff: Person, lead: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _up_to_extras(resident, api)
    mark = api.mark()
    sent = api.send_photo(resident.user_id)
    largest = sent["photo"][-1]["file_id"]
    await api.wait_message(resident.chat, since=mark, contains="Đã nhận ảnh")
    mark = api.mark()
    await resident.say("Nước lên nhanh <b>ngõ 12</b> & xe chết máy")
    await api.wait_message(resident.chat, since=mark, contains=THANKS)
    [report] = await _all_reports(bot)
    assert report.photo_file_id == largest
    assert report.note == "Nước lên nhanh <b>ngõ 12</b> & xe chết máy"
    for chat in (STAFF_ID, LEAD_ID):
        copy = await _copy(api, chat, mark, report.id)
        assert copy.method == "sendPhoto" and copy.params["photo"] == largest
        assert "Ghi chú: Nước lên nhanh &lt;b&gt;ngõ 12&lt;/b&gt; &amp; xe chết máy" in \
            copy.params["caption"]
        assert "Ghi chú: Nước lên nhanh <b>ngõ 12</b> & xe chết máy" in copy.result["caption"]
        assert _links(copy) == [osm_link(*AN_BIEN)]


async def test_a_note_first_then_a_photo_with_a_venue_for_the_place(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _start(resident, api)
    mark = api.mark()
    api.send_venue(resident.user_id, *AN_BIEN, title="Chợ An Biên")
    await api.wait_message(resident.chat, since=mark, contains=ASK_DEPTH)
    assert "Đã nhận vị trí: Khu An Biên" in api.messages(resident.chat)[-2]["text"]
    await _depth(resident, api, "Dưới mắt cá chân")
    mark = api.mark()
    await resident.say("Cống bị tắc")
    await api.wait_message(resident.chat, since=mark, contains="Đã nhận ghi chú")
    assert "✅ Gửi" in resident.buttons()  # after one extra, the skip button sends
    api.send_photo(resident.user_id)
    await api.wait_message(resident.chat, since=mark, contains=THANKS)
    [report] = await _all_reports(bot)
    assert (report.depth, report.note, report.area_id) == ("ankle", "Cống bị tắc", "an-bien")
    assert report.photo_file_id is not None


async def test_a_point_far_away_is_taken_and_marked_outside(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _start(resident, api)
    await _locate(resident, api, HANOI)
    assert "nằm ngoài phường Lê Chân" in api.messages(resident.chat)[-2]["text"]
    await _depth(resident, api, "Trên thắt lưng")
    mark = api.mark()
    await resident.press("Bỏ qua")
    thanks = await api.wait_message(resident.chat, since=mark, contains=THANKS)
    assert "thuộc phường khác" in thanks.params["text"]
    [report] = await _all_reports(bot)
    assert report.outside and report.area_id is None
    copy = await _copy(api, STAFF_ID, mark, report.id)
    assert "Khu vực: ngoài phường Lê Chân" in copy.result["text"]
    assert _links(copy) == [osm_link(*HANOI)]


async def test_resolving_updates_every_copy_and_tells_the_reporter_in_their_language(
    api: FakeBotAPI, staff: Person, lead: Person, bot: Application,  # type: ignore[type-arg]
) -> None:
    api.add_chat(5550002, "private", first_name="Anna")
    visitor = Person(api, 5550002, language_code="en", first_name="Anna")
    reply = await visitor.say("/report")
    assert "Report flooding" in reply["text"]
    await _locate(visitor, api, ask="How deep is the water there?")
    await _depth(visitor, api, "Knee – waist", ask="If you can do it safely, send a photo")
    mark = api.mark()
    await visitor.press("Skip")
    await api.wait_message(visitor.chat, since=mark, contains="Your flood report no.")
    [report] = await _all_reports(bot)
    lead_sent = await _copy(api, LEAD_ID, mark, report.id)
    staff_sent = await _copy(api, STAFF_ID, mark, report.id)
    staff, lead = Person(api, STAFF_ID, first_name="Minh"), Person(api, LEAD_ID, first_name="Hoa")
    await staff.sync()  # Telegram knows them by these names from here on
    await lead.sync()

    mark = api.mark()
    answer = await staff.press_data(callbacks.report_check(report.id),
                                    message_id=staff_sent.result["message_id"])
    assert answer.params["text"] == f"Đã đánh dấu báo cáo số {report.id}: đã kiểm tra."
    await api.wait_for(lambda c: c.method == "editMessageText" and c.status == 200
                       and c.params["chat_id"] == LEAD_ID, since=mark)
    lead_copy = next(m for m in api.messages(LEAD_ID) if m.get("reply_markup"))
    assert "Đã kiểm tra – Minh" in lead_copy["visible_text"]
    assert [b["text"] for b in lead_copy["reply_markup"]["inline_keyboard"][0]] == \
        ["✅ Đã xử lý"]

    mark = api.mark()
    answer = await lead.press_data(callbacks.report_resolve(report.id),
                                   message_id=lead_sent.result["message_id"])
    assert answer.params["text"] == f"Đã đánh dấu báo cáo số {report.id}: đã xử lý."
    told = await api.wait_message(visitor.chat, since=mark,
                                  contains=f"The ward has handled your flood report no. "
                                           f"{report.id}")
    assert "/report" in told.params["text"]
    for chat in (STAFF_ID, LEAD_ID):
        await api.wait_message(chat, since=mark, contains="Đã xử lý – Hoa")
        [copy] = [m for m in api.messages(chat) if "Báo cáo ngập số" in m["visible_text"]]
        assert copy["reply_markup"] is None
    now = await _svc(bot).flood_reports.get(report.id)
    assert now.status == "resolved" and now.reporter_chat is None
    # A second press of an old button changes nothing and tells nobody again.
    mark = api.mark()
    answer = await staff.press_data(callbacks.report_resolve(report.id),
                                    message_id=staff_sent.result["message_id"])
    assert answer.params["text"] == f"Báo cáo số {report.id} đã được xử lý rồi."
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == visitor.chat]


async def test_a_residents_forged_resolve_press_changes_nothing(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    report, _staff_copy, mark = await _sent_to_staff(resident, api, bot)
    mark = api.mark()
    for data in (callbacks.report_resolve(report.id), callbacks.report_check(report.id)):
        answer = await resident.press_data(data)
        assert answer.params["text"] == REFUSED and answer.params["show_alert"] is True
    now = await _svc(bot).flood_reports.get(report.id)
    assert now.status == "new" and now.reporter_chat == resident.chat
    assert now.checked_by is None and now.resolved_by is None
    edits = [c for c in api.calls[mark:] if c.method.startswith("edit")]
    assert edits == []
    [copy] = [m for m in api.messages(STAFF_ID) if "Báo cáo ngập số" in m["visible_text"]]
    assert "Mới: chưa kiểm tra" in copy["visible_text"]


async def test_text_where_a_location_was_expected_gets_a_kind_hint_and_the_keyboard(
    resident: Person, bot: Application, api: FakeBotAPI,  # type: ignore[type-arg]
) -> None:
    await _start(resident, api)
    reply = await resident.say("số 5 ngõ 12 Lam Sơn")
    assert reply["text"].startswith("🆘")  # a reply that did not understand: 112 first
    assert "địa chỉ gõ bằng chữ không đặt được lên bản đồ" in reply["text"]
    assert reply["reply_markup"]["keyboard"][0][0]["request_location"] is True
    mark = api.mark()
    api.send_sticker(resident.user_id)
    hint = await api.wait_message(resident.chat, since=mark)
    assert "Trước hết cần vị trí" in hint.params["text"]
    await _locate(resident, api)  # still waiting for the place
    reply = await resident.say("sâu lắm")
    assert reply["text"].startswith("🆘") and reply["text"].endswith(
        "Mời chọn mức nước sâu bằng một trong các nút:")
    assert "Dưới mắt cá chân" in resident.buttons()
    assert await _all_reports(bot) == []


async def test_cancel_on_the_keyboard_saves_nothing_and_takes_the_keyboard_away(
    resident: Person, bot: Application, api: FakeBotAPI,  # type: ignore[type-arg]
) -> None:
    await _start(resident, api)
    reply = await resident.say("✖ Hủy")
    assert reply["text"].startswith("Đã hủy: chưa có báo cáo nào được gửi")
    assert api.reply_keyboard(resident.chat) is None
    reply = await resident.say("bão")  # free text is a question again
    assert "địa chỉ" not in reply["text"]
    assert await _all_reports(bot) == []


async def test_a_huge_photo_a_file_and_a_long_note_are_refused_kindly(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _up_to_extras(resident, api)
    mark = api.mark()
    api.send_photo(resident.user_id, file_size=12 * 1024 * 1024)
    refused = await api.wait_message(resident.chat, since=mark)
    assert "ảnh này quá lớn (hơn 10 MB)" in refused.params["text"]
    mark = api.mark()
    api.send_message(resident.user_id, None, document={
        "file_id": "BQACAgIAAxkBAAIfake", "file_unique_id": "AgADfake", "file_name": "ngap.jpg",
        "mime_type": "image/jpeg", "file_size": 2_000_000})
    hint = await api.wait_message(resident.chat, since=mark)
    assert "dưới dạng ảnh, không phải dạng tệp" in hint.params["text"]
    reply = await resident.say("x" * 301)
    assert "ghi chú quá dài: 301 ký tự, tối đa 300" in reply["text"]
    reply = await resident.say("y" * 300)
    assert "Đã nhận ghi chú" in reply["text"]
    assert await _all_reports(bot) == []
    mark = api.mark()
    await resident.press("Gửi")
    await api.wait_message(resident.chat, since=mark, contains=THANKS)
    [report] = await _all_reports(bot)
    assert report.note == "y" * 300 and report.photo_file_id is None


async def _timeout_job(bot: Application) -> Job:  # type: ignore[type-arg]
    """The flow's timeout job (scheduled just after the step's reply went out)."""
    assert bot.job_queue is not None

    def found() -> list[Job]:  # type: ignore[type-arg]
        return [j for j in bot.job_queue.jobs()  # type: ignore[union-attr]
                if getattr(j.callback, "__name__", "") == "_trigger_timeout"
                and getattr(j.callback.__self__, "name", "") == "flood_report"]

    async def scheduled() -> bool:
        return len(found()) == 1

    await eventually(scheduled)
    return found()[0]


async def test_an_abandoned_flow_saves_nothing_and_says_so(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _up_to_extras(resident, api)
    skip = resident.buttons()["Bỏ qua"]
    prompt = resident.keyboard_message_id()
    job = await _timeout_job(bot)
    assert flood_reports.FLOW_TIMEOUT == 900
    mark = api.mark()
    await job.run(bot)  # the job's own function, now: no waiting 15 minutes
    told = await api.wait_message(resident.chat, since=mark, contains="chưa được gửi")
    assert "15 phút" in told.params["text"] and "/report" in told.params["text"]
    answer = await resident.press_data(skip, message_id=prompt)  # back with a stale button
    assert answer.params["text"].startswith("Báo cáo này chưa được gửi: đã chờ quá 15 phút")
    assert await _all_reports(bot) == []
    assert not [c for c in api.calls if c.params.get("chat_id") == STAFF_ID
                and c.method in ("sendMessage", "sendPhoto")
                and "Báo cáo ngập" in str(c.params.get("text", c.params.get("caption")))]
    reply = await resident.say("bão")  # free text is a question again, not a note
    assert THANKS not in reply["text"]
    await _up_to_extras(resident, api)  # and a new report starts afresh


async def test_report_in_a_group_points_to_a_private_chat_whose_link_starts_the_flow(
    resident: Person, bot: Application, api: FakeBotAPI,  # type: ignore[type-arg]
) -> None:
    api.add_chat(-100555, "supergroup", title="Tổ dân phố 5")
    group = resident.in_group(-100555, "supergroup")
    reply = await group.say("/report")
    assert "mời nhắn riêng cho bot" in reply["text"]
    [[button]] = reply["reply_markup"]["inline_keyboard"]
    assert button["url"] == "https://t.me/sansang_test_bot?start=report"
    assert api.reply_keyboard(-100555) is None
    reply = await resident.say("/start report")  # what the link sends in the private chat
    assert "Báo điểm ngập" in reply["text"]
    assert api.reply_keyboard(resident.chat) is not None


async def test_the_hourly_limit_is_said_plainly_and_nothing_is_saved(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    reports = _svc(bot).flood_reports

    async def sent_elsewhere(i: int) -> None:  # e.g. from a second phone on the same account
        done = await reports.submit(resident.chat, "vi", AN_BIEN[0] + i / 1000, AN_BIEN[1],
                                    "knee")
        assert done.report is not None

    for i in range(reports.MAX_PER_HOUR - 1):
        await sent_elsewhere(i)
    await _up_to_extras(resident, api)
    await sent_elsewhere(reports.MAX_PER_HOUR)  # the last one allowed, while this one waits
    mark = api.mark()
    await resident.press("Bỏ qua")
    said = await api.wait_message(resident.chat, since=mark, contains="chưa được lưu")
    assert "tối đa 3 báo cáo trong một giờ" in said.params["text"]
    assert THANKS not in said.params["text"]
    assert len(await _all_reports(bot)) == reports.MAX_PER_HOUR
    # A new /report is told at once, before any step.
    reply = await resident.say("/report")
    assert "tối đa 3 báo cáo mỗi giờ" in reply["text"] and reply["text"].startswith("🆘")
    assert api.reply_keyboard(resident.chat) is None
    await staff.sync()
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == STAFF_ID
                and "Báo cáo ngập" in str(c.params.get("text", ""))]


def _refuse_inserts(db_path: Path, refuse: bool) -> None:
    """Make the real database refuse (or accept again) new flood reports: a trigger, as a
    full disk or a broken file would make every insert fail."""
    with sqlite3.connect(db_path) as conn:
        if refuse:
            conn.execute("CREATE TRIGGER refuse_reports BEFORE INSERT ON flood_reports "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        else:
            conn.execute("DROP TRIGGER refuse_reports")
    conn.close()


async def test_a_failed_save_says_so_instead_of_thanking_and_the_same_button_retries(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI, db_path: Path,
) -> None:
    await _up_to_extras(resident, api)
    mark = api.mark()
    api.send_photo(resident.user_id)
    await api.wait_message(resident.chat, since=mark, contains="Đã nhận ảnh")
    _refuse_inserts(db_path, True)
    mark = api.mark()
    await resident.say("Nước ngập qua yên xe")
    said = await api.wait_message(resident.chat, since=mark)
    assert "báo cáo chưa lưu được nên phường chưa nhận được" in said.params["text"]
    assert said.params["text"].startswith("🆘")
    assert not [c for c in api.calls[mark:] if THANKS in str(c.params.get("text", ""))]
    assert await _all_reports(bot) == []
    _refuse_inserts(db_path, False)
    mark = api.mark()
    await resident.press("Gửi lại")
    await api.wait_message(resident.chat, since=mark, contains=THANKS)
    [report] = await _all_reports(bot)
    assert report.note == "Nước ngập qua yên xe" and report.photo_file_id is not None
    await _copy(api, STAFF_ID, mark, report.id)


async def test_one_staff_chat_failing_does_not_stop_the_others(
    resident: Person, staff: Person, lead: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    api.block(LEAD_ID)
    report, _staff_copy, mark = await _sent_to_staff(resident, api, bot)
    await api.wait_for(lambda c: c.params.get("chat_id") == LEAD_ID and c.status == 403,
                       since=mark)

    async def staff_copy_recorded() -> bool:
        copies = await _svc(bot).flood_reports.messages(report.id)
        return [chat for chat, _ in copies] == [STAFF_ID]

    await eventually(staff_copy_recorded)


async def test_points_for_staff_and_refused_for_residents(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    reports = _svc(bot).flood_reports
    # Two reports about 50 m apart are one point; another far from them is a second.
    await reports.submit(1001, "vi", 20.8575, 106.6860, "knee")
    await reports.submit(1002, "vi", 20.85795, 106.6860, "above")
    await reports.submit(1003, "vi", 20.8430, 106.6740, "ankle")
    reply = await staff.say("/points")
    text = reply["text"]
    assert "2 điểm ngập từ 3 báo cáo" in text
    first, second = (line for line in text.splitlines() if line[:2] in ("1.", "2."))
    assert "Khu An Biên" in first and "2 báo cáo, sâu nhất: Trên thắt lưng" in first
    assert "Khu Dư Hàng" in second and "Dưới mắt cá chân" in second
    assert reply["text"].count("openstreetmap.org/?mlat=") == 2
    month = datetime.now(_svc(bot).config.tz).strftime("%Y-%m")
    if flood_staff._map_writer() is not None:  # this build has the map page: sent as a file
        document = await api.wait_for(lambda c: c.method == "sendDocument" and c.ok
                                      and c.params["chat_id"] == STAFF_ID)
        [sent] = api.documents(STAFF_ID)
        assert sent["filename"] == f"sansang-diem-ngap-{month}.html"
        page = sent["data"].decode("utf-8")
        assert page.lstrip().lower().startswith("<!doctype html") and "Khu An Biên" in page
        assert "Bản đồ các điểm ngập tháng này" in document.params["caption"]
    else:  # not yet: the list alone, and no broken file
        await staff.sync()
        assert api.documents(STAFF_ID) == []
    refused = await resident.say("/points")
    assert refused["text"] == REFUSED
    group = resident.in_group(-100556, "supergroup")
    api.add_chat(-100556, "supergroup", title="Tổ 7")
    assert (await group.say("/points"))["text"] == REFUSED


def test_the_menus_offer_report_to_everyone_and_points_to_staff() -> None:
    from bot.channels.telegram.handlers.menus import menu
    from bot.roles import Role

    residents = [c.command for c in menu(Role.RESIDENT, "vi")]
    staff = [c.command for c in menu(Role.STAFF, "vi")]
    assert "report" in residents and "points" not in residents
    assert "report" in staff and "points" in staff


async def test_a_location_outside_the_flow_old_buttons_and_cancel_get_clear_answers(
    resident: Person, bot: Application, api: FakeBotAPI,  # type: ignore[type-arg]
) -> None:
    mark = api.mark()
    api.send_location(resident.user_id, *AN_BIEN)
    hint = await api.wait_message(resident.chat, since=mark)
    assert hint.params["text"].startswith("🆘") and "gửi /report trước" in hint.params["text"]
    await _up_to_extras(resident, api)
    answer = await resident.press_data(callbacks.report_depth("knee"))  # an earlier step's
    assert answer.params["text"] == ("Nút này thuộc bước trước. Mời dùng các nút ở tin nhắn "
                                     "mới nhất.")
    reply = await resident.say("/cancel")
    assert reply["text"].startswith("Đã hủy: chưa có báo cáo nào được gửi")
    answer = await resident.press_data(callbacks.REPORT_SKIP)  # the cancelled flow's button
    assert answer.params["text"] == ("Báo cáo này đã kết thúc. Để báo điểm ngập mới, mời gửi "
                                     "/report.")
    await _up_to_extras(resident, api)
    mark = api.mark()
    await resident.press("Hủy")
    await api.wait_message(resident.chat, since=mark, contains="Đã hủy")
    assert await _all_reports(bot) == []


async def test_staff_whose_role_was_taken_away_cannot_press_a_copy_they_still_have(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    report, copy, mark = await _sent_to_staff(resident, api, bot)
    await _svc(bot).roles.remove(STAFF_ID, actor="test")
    answer = await staff.press_data(callbacks.report_resolve(report.id),
                                    message_id=copy.result["message_id"])
    assert answer.params["text"] == REFUSED
    assert (await _svc(bot).flood_reports.get(report.id)).status == "new"
    answer = await staff.press_data("r:r:999999999999", message_id=copy.result["message_id"])
    assert answer.params["text"] == REFUSED  # refused before anything is looked up
    await _svc(bot).roles.add(STAFF_ID, "staff", actor="test", source="test")
    answer = await staff.press_data("r:c:999999999999", message_id=copy.result["message_id"])
    assert answer.params["text"] == "Không có báo cáo ngập số 999999999999."


def test_every_button_of_the_flow_fits_a_phone_in_both_languages() -> None:
    from bot.channels.telegram.handlers.common import MAX_LABEL
    from bot.channels.telegram.handlers.flood_staff import DEPTH_LABELS
    from bot.i18n import LANGUAGES, gettext

    labels = [*DEPTH_LABELS.values(), flood_reports.SEND_LOCATION, flood_reports.CANCEL,
              flood_reports.SKIP, flood_reports.SEND, "🔁 Try again", "👀 Checked",
              "✅ Resolved", "🌊 Report flooding privately"]
    for lang in LANGUAGES:
        _ = gettext(lang)
        shown = [_(label) for label in labels]
        assert all(0 < len(text) <= MAX_LABEL for text in shown), shown
        if lang == "vi":
            assert shown[:4] == ["Dưới mắt cá chân", "Mắt cá – đầu gối", "Đầu gối – thắt lưng",
                                 "Trên thắt lưng"]
            assert "Bỏ qua" in shown and "👀 Đã kiểm tra" in shown and "✅ Đã xử lý" in shown


async def test_after_forget_resolving_tells_nobody_and_the_copies_still_update(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    report, copy, mark = await _sent_to_staff(resident, api, bot)
    await resident.say("/forget")
    await resident.press("Đồng ý xóa")
    assert (await _svc(bot).flood_reports.get(report.id)).reporter_chat is None
    mark = api.mark()
    answer = await staff.press_data(callbacks.report_resolve(report.id),
                                    message_id=copy.result["message_id"])
    assert answer.params["text"] == f"Đã đánh dấu báo cáo số {report.id}: đã xử lý."
    await api.wait_message(STAFF_ID, since=mark, contains="Đã xử lý – Lan")
    await staff.sync()
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == resident.chat]


async def test_a_double_tap_on_skip_saves_one_report_and_sends_one_copy(
    resident: Person, staff: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI,
) -> None:
    await _up_to_extras(resident, api)
    prompt, skip = resident.keyboard_message_id(), resident.buttons()["Bỏ qua"]
    mark = api.mark()
    first = api.press_button(resident.user_id, resident.chat, prompt, skip)
    second = api.press_button(resident.user_id, resident.chat, prompt, skip)
    answers = {}
    for query in (first, second):
        call = await api.wait_for(lambda c, q=query: c.method == "answerCallbackQuery"
                                  and c.params.get("callback_query_id") == q, since=mark)
        answers[query] = call.params.get("text")
    assert answers[first] is None  # the spinner stops; the message itself says thank you
    assert answers[second] == ("Báo cáo này đã kết thúc. Để báo điểm ngập mới, mời gửi "
                               "/report.")
    [report] = await _all_reports(bot)
    await _copy(api, STAFF_ID, mark, report.id)
    await staff.sync()
    copies = [c for c in api.calls[mark:] if c.params.get("chat_id") == STAFF_ID
              and c.method == "sendMessage" and "Báo cáo ngập số" in c.params["text"]]
    assert len(copies) == 1
