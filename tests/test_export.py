"""The outreach export, from a history built through the real bot; aggregates only."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from telegram.ext import Application

from bot.broadcasts.broadcasts import Broadcast
from bot.store.chats import get as get_chat
from tests.auxil.chat import Person, eventually
from tests.fakes import FakeBotAPI

SCHOOL, SCHOOL_TITLE = -100777888, "Trường Tiểu học Hòa Bình"
PRIVATE_ONLY = "Mời dùng lệnh này trong trò chuyện riêng với bot."


def export(
    db: Path, out: Path, *period: str, fmt: str = "csv"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *period, "--format", fmt, "--out", str(out)],
        capture_output=True, text=True, timeout=60, env=env | {"SANSANG_DB": str(db)},
        check=False,
    )


async def school_in_an_bien(api: FakeBotAPI, teacher: Person) -> None:
    """A school's group adds the bot and its administrator subscribes it to An Biên."""
    mark = api.mark()
    api.bot_added_to_group(SCHOOL, teacher.user_id, title=SCHOOL_TITLE)
    api.set_member_status(SCHOOL, teacher.user_id, "administrator")
    school = teacher.in_group(SCHOOL)
    await school.reply_since(mark)
    await school.press("Khu An Biên")


async def broadcast_to_an_bien(bot: Application) -> Broadcast:  # type: ignore[type-arg]
    """A broadcast from the CLI to An Biên, sent now; its results written."""
    svc = bot.bot_data["services"]
    b = await svc.broadcasts.create("Cảnh báo", targets=["an-bien"], created_by="cli")
    await bot.bot_data["scheduler"].reconcile()

    async def done() -> bool:
        return (await svc.broadcasts.get(b.id)).status == "done"

    await eventually(done)
    await bot.bot_data["delivery"].flush()
    return b


async def test_export_counts_a_known_history_and_names_nobody(
    bot: Application, api: FakeBotAPI, db_path: Path, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    people = [Person(api, 781234560 + i, first_name=f"Nguyễn Văn Tên{i}") for i in range(5)]
    for p in people:
        api.add_chat(p.user_id, "private", first_name=p.first_name)
    for p in people[:4]:
        await p.say("/start an-bien")
    await people[4].say("/start ho-nam")
    await people[0].say("/unsubscribe")
    await people[1].say("/forget")
    await people[1].press("Đồng ý xóa")
    await people[2].say("ngập lụt")  # answered
    await people[2].say("xe buýt qwerty mấy giờ")  # unanswered
    await people[3].say("/guides")
    await people[3].press("Nắng nóng")
    api.block(people[3].user_id)
    # A school's group chat in An Biên; its delivery fails with a 400.
    teacher = Person(api, 781234599, first_name="Cô Trần Thị Giáo")
    await school_in_an_bien(api, teacher)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found",
                  chat_id=SCHOOL)
    b = await broadcast_to_an_bien(bot)
    assert await get_chat(svc.db, people[1].user_id) is None  # forgotten

    month = datetime.now(svc.config.tz).strftime("%Y-%m")
    out = tmp_path / "report.csv"
    result = export(db_path, out, "--month", month)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Vietnamese right
    rows = {r["area_id"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    an_bien, ho_nam, total = rows["an-bien"], rows["ho-nam"], rows["TOTAL"]
    assert an_bien["area_name"] == "Khu An Biên"
    # In An Biên 4 households and the school subscribed; one household unsubscribed, one
    # forgot, one blocked the bot: 1 household and 1 group active.
    assert {k: int(v) for k, v in an_bien.items() if k not in ("area_id", "area_name")} == {
        "subscribers_active": 2, "households_active": 1, "groups_active": 1,
        "subscribers_new": 5, "unsubscribed": 2,  # /unsubscribe and /forget
        "blocked": 1, "broadcasts": 1,
        "messages_sent": 1, "messages_failed": 1, "messages_blocked": 1,
        "guide_views": 1,  # the answered question's guide; the /guides menu opens none
        "searches": 2, "searches_answered": 1,
        # the school's group has not chosen its kind here: it counts as a group, not a school
        "schools_active": 0, "markets_active": 0, "offices_active": 0,
        "flood_reports": 0, "flooding_points": 0, "zalo_active": 0, "unreachable": 0,
    }
    assert {k: int(v) for k, v in ho_nam.items() if k not in ("area_id", "area_name")} == {
        "subscribers_active": 1, "households_active": 1, "groups_active": 0,
        "subscribers_new": 1, "unsubscribed": 0, "blocked": 0, "broadcasts": 0,
        "messages_sent": 0, "messages_failed": 0, "messages_blocked": 0,
        "guide_views": 0, "searches": 0, "searches_answered": 0,
        "schools_active": 0, "markets_active": 0, "offices_active": 0,
        "flood_reports": 0, "flooding_points": 0, "zalo_active": 0, "unreachable": 0,
    }
    assert {k: int(v) for k, v in total.items() if k not in ("area_id", "area_name")} == {
        "subscribers_active": 3, "households_active": 2, "groups_active": 1,
        "subscribers_new": 6, "unsubscribed": 2, "blocked": 1, "broadcasts": 1,
        "messages_sent": 1, "messages_failed": 1, "messages_blocked": 1,
        "guide_views": 1, "searches": 2, "searches_answered": 1,
        "schools_active": 0, "markets_active": 0, "offices_active": 0,
        "flood_reports": 0, "flooding_points": 0, "zalo_active": 0, "unreachable": 0,
    }
    assert total["area_name"] == "Tổng cộng"
    text = raw.decode("utf-8-sig")
    for p in [*people, teacher]:
        assert str(p.user_id) not in text and p.first_name not in text
    assert str(SCHOOL) not in text and SCHOOL_TITLE not in text

    # The workbook says the same, read back with openpyxl; it names nobody either.
    import openpyxl

    book_path = tmp_path / "report.xlsx"
    result = export(db_path, book_path, "--month", month, fmt="xlsx")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["Tổng hợp", "Theo khu", "Theo tháng", "Theo loại nhóm",
                               "Theo loại thiên tai", "Bản tin", "Câu hỏi chưa có hướng dẫn"]
    summary = book["Tổng hợp"]
    assert "Phường Lê Chân" in summary["A1"].value and "Kỳ báo cáo" in summary["A2"].value
    figures = {summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(4, 30)}
    assert {k: v for k, v in figures.items() if k} == {
        "Người, nhóm đang nhận cảnh báo (cuối kỳ)": 3, "  trong đó hộ gia đình": 2,
        "  trong đó nhóm (trường, chợ, cơ quan)": 1, "Đăng ký mới trong kỳ": 6,
        "Hủy đăng ký": 2, "Chặn bot": 1, "Bản tin đã phát": 1, "Tin nhắn đã gửi": 1,
        "Tin nhắn lỗi": 1, "Tin nhắn bị chặn": 1, "Lượt xem hướng dẫn": 1,
        "Câu hỏi của người dân": 2, "Câu hỏi có hướng dẫn trả lời": 1,
        "Tỷ lệ câu hỏi được trả lời": 0.5,
        # reach per channel (issue 16): the Telegram column; Zalo's is checked beside
        "Theo kênh nhắn tin": "Telegram", "Đang nhận cảnh báo qua kênh (cuối kỳ)": 3,
        "Tin nhắn đã gửi qua kênh": 1, "Tin nhắn không gửi được (Zalo: quá 7 ngày)": 0,
        "Số liệu tổng hợp, không chứa thông tin cá nhân của người dân.": None,
    }
    by_area = {r[0]: r for r in book["Theo khu"].iter_rows(min_row=3, values_only=True)}
    for area_id, row in rows.items():  # the same figures as the CSV, column by column
        assert [str(v) for v in by_area[area_id]] == list(row.values()), area_id
    assert [r[1:] for r in book["Theo tháng"].iter_rows(min_row=3, values_only=True)] == [
        (1, 6, 1, 2, 1)]  # sent, new, views, questions, broadcasts
    assert list(book["Theo loại thiên tai"].iter_rows(min_row=3, values_only=True)) == [
        ("Mưa lớn, ngập úng", 1)]
    broadcasts = list(book["Bản tin"].iter_rows(min_row=3, values_only=True))
    assert [(r[0].date(), r[2], r[3], r[4]) for r in broadcasts] == [
        (datetime.now(svc.config.tz).date(), str(b.id), 3, "an-bien")]
    assert [r for r in book["Câu hỏi chưa có hướng dẫn"].iter_rows(min_row=3, values_only=True)
            ] == [("xe buýt qwerty mấy giờ", 1)]
    assert book["Theo tháng"]._charts and book["Theo loại thiên tai"]._charts
    import zipfile

    with zipfile.ZipFile(book_path) as z:
        everything = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for p in [*people, teacher]:
        assert str(p.user_id) not in everything and p.first_name not in everything
    assert str(SCHOOL) not in everything and SCHOOL_TITLE not in everything


def test_bad_periods_and_formats_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    for period in (["--month", "2026-13"], ["--quarter", "2026-Q5"], ["--year", "26"],
                   ["--from", "2026-10-05", "--to", "2026-10-01"], ["--from", "2026-10-01"]):
        result = export(db, tmp_path / "o.csv", *period)
        assert result.returncode == 2, period
        assert "sansang:" in result.stderr or "usage:" in result.stderr
    # An --out that cannot be written: a clear line, no traceback, nothing half-written.
    folder = tmp_path / "reports"
    folder.mkdir()
    result = export(db, folder, "--year", "2026")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot write --out {folder}" in result.stderr
    assert "e.g. --out bao-cao.csv" in result.stderr
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob("*.part"))


def test_quarter_and_year_cover_their_months() -> None:
    from bot.reports.stats import Period

    assert Period.parse(quarter="2026-Q3").months() == ["2026-07", "2026-08", "2026-09"]
    assert len(Period.parse(year="2026").months()) == 12
    p = Period.parse(month="2026-02")
    assert (p.start.isoformat(), p.end.isoformat()) == ("2026-02-01", "2026-02-28")


async def test_lead_export_returns_the_workbook_and_others_are_refused(
    lead: Person, staff: Person, resident: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI, tmp_path: Path,
) -> None:
    import openpyxl

    from bot.channels.telegram.handlers import callbacks

    await resident.say("/start an-bien")
    await staff.say("/start")  # a keyboard of their own to forge presses on
    reply = await lead.say("/export")
    assert reply["text"].startswith("Xuất báo cáo kỳ nào?\n")
    mark = api.mark()
    await lead.press("Tháng này")
    sent = await api.wait_for(lambda c: c.method == "sendDocument" and c.status == 200,
                              since=mark)
    assert "Kết quả tuyên truyền" in sent.params["caption"]
    document = api.documents(lead.chat)[-1]
    path = tmp_path / "got.xlsx"
    path.write_bytes(document["data"])
    book = openpyxl.load_workbook(path)
    assert book["Tổng hợp"]["B4"].value == 1  # the one resident receiving warnings

    await resident.say("/start")
    for person in (staff, resident):
        reply = await person.say("/export")
        assert reply["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ đầu mối."
        answer = await person.press_data(callbacks.export("ty"))
        assert answer.params["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ đầu mối."
    assert len(api.documents(staff.chat)) == 0 and len(api.documents(resident.chat)) == 0
    for person in (staff, resident):  # a forged Word press is refused the same way
        answer = await person.press_data(callbacks.export("tm", word=True))
        assert answer.params["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ đầu mối."
    assert len(api.documents(staff.chat)) == 0 and len(api.documents(resident.chat)) == 0


async def test_lead_export_word_sends_the_draft_bao_cao_and_a_bad_data_file_is_named(
    lead: Person, resident: Person, bot: Application,  # type: ignore[type-arg]
    api: FakeBotAPI, tmp_path: Path,
) -> None:
    import docx as python_docx

    from bot.channels.telegram.handlers import callbacks

    await resident.say("/start an-bien")
    await lead.say("/export")
    assert "📄 Báo cáo (Word)" in lead.buttons()
    mark = api.mark()
    await lead.press("📄 Báo cáo (Word)")  # the first row: this month
    sent = await api.wait_for(lambda c: c.method == "sendDocument" and c.status == 200,
                              since=mark)
    assert "Kết quả tuyên truyền" in sent.params["caption"]
    document = api.documents(lead.chat)[-1]
    assert document["filename"].endswith(".docx")
    path = tmp_path / "got.docx"
    path.write_bytes(document["data"])
    document = python_docx.Document(str(path))
    text = "\n".join([p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert "BÁO CÁO" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Kết quả tuyên truyền, phổ biến kiến thức, kỹ năng phòng, chống thiên tai" in text

    # A broken data file: the lead is told, nothing is sent, the others' exports go on.
    config = bot.bot_data["services"].config
    broken = tmp_path / "content"
    broken.mkdir()
    (broken / "report.toml").write_text('ward = ""\n', encoding="utf-8")
    object.__setattr__(config, "content_dir", broken)
    before = len(api.documents(lead.chat))
    await lead.say("/export")
    answer = await lead.press_data(callbacks.export("tm", word=True))
    assert "content/report.toml" in answer.params["text"]
    assert len(api.documents(lead.chat)) == before


async def test_staff_stats_in_numbers_and_residents_refused(
    staff: Person, resident: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    await resident.say("/start an-bien")
    text = (await staff.say("/stats"))["text"]
    assert "Kết quả tuyên truyền tháng này" in text
    assert "Đang nhận cảnh báo: 1 (1 hộ gia đình, 0 nhóm)" in text
    reply = await resident.say("/stats")
    assert reply["text"] == "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."


async def test_stats_numbers_are_formatted_in_the_chat_language(
    staff: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    db = bot.bot_data["services"].db
    now = datetime.now(bot.bot_data["services"].config.tz).isoformat(timespec="seconds")
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO events (at, kind, area_id, lang, chat_kind, guide_id, detail) "
            "VALUES (?, 'guide_view', 'an-bien', 'vi', 'private', 'flood-during', 'flood:menu')",
            [(now,)] * 1234,
        )
    assert "Lượt xem hướng dẫn: 1.234" in (await staff.say("/stats"))["text"]
    await staff.say("/language")
    await staff.press("English")
    text = (await staff.say("/stats"))["text"]
    assert "Outreach this month" in text and "Guide views: 1,234" in text


async def test_staff_work_is_not_done_in_a_group(
    lead: Person, api: FakeBotAPI, bot: Application  # type: ignore[type-arg]
) -> None:
    """A workbook or this month's figures would be shown to every member of the group."""
    from bot.channels.telegram.handlers import callbacks

    mark = api.mark()
    api.bot_added_to_group(SCHOOL, lead.user_id, title=SCHOOL_TITLE)
    api.set_member_status(SCHOOL, lead.user_id, "administrator")
    group = lead.in_group(SCHOOL)
    await group.reply_since(mark)
    for command in ("/export", "/stats", "/broadcast", "/scheduled", "/staff"):
        reply = await group.say(command)
        assert reply["text"] == PRIVATE_ONLY, command
    answer = await group.press_data(callbacks.export("ty"))
    assert answer.params["text"] == PRIVATE_ONLY
    assert api.documents(SCHOOL) == []


async def test_active_subscribers_count_each_chat_once_whatever_the_order(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """Blocking after unsubscribing, or a group that removes the bot after a 403 already
    marked it blocked, must not take a chat away twice."""
    from bot.reports import stats

    svc = bot.bot_data["services"]
    left = Person(api, 781234570, first_name="Đã hủy")
    stays = Person(api, 781234571, first_name="Vẫn nhận")
    for p in (left, stays):
        api.add_chat(p.user_id, "private", first_name=p.first_name)
        await p.say("/start an-bien")
    await left.say("/unsubscribe")
    api.user_blocks_bot(left.user_id)  # after unsubscribing: nothing more to take away
    teacher = Person(api, 781234598, first_name="Thầy Giáo")
    await school_in_an_bien(api, teacher)
    api.fail_next("sendMessage", status=403, chat_id=SCHOOL,
                  description="Forbidden: bot was kicked from the group chat")
    await broadcast_to_an_bien(bot)
    api.bot_removed_from_group(SCHOOL, teacher.user_id)  # the kick arrives after the 403

    async def unsubscribed() -> bool:
        row = await get_chat(svc.db, SCHOOL)
        return row is not None and not row.subscribed

    await eventually(unsubscribed)
    today = datetime.now(svc.config.tz).date()
    report = await stats.report(svc.db, svc.areas, stats.Period(today, today))
    an_bien = next(f for f in report.areas if f.area_id == "an-bien")
    assert (an_bien.households_active, an_bien.groups_active) == (1, 0)
    assert an_bien.blocked == 2  # the resident and the school, once each
    assert report.total.subscribers_active == 1
