"""The draft báo cáo (--format docx), read back with python-docx: the layout of Decree 30/2020,
the same figures as the CSV of the same period, the previous period compared, nobody named."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI
from tests.test_export import SCHOOL, SCHOOL_TITLE, broadcast_to_an_bien, export, school_in_an_bien

UNANSWERED = "xe buýt qwerty mấy giờ"


def read_docx(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """The paragraphs (header cells included) and every table as rows of cell texts."""
    from docx import Document

    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    for t in doc.tables[:1] + doc.tables[-1:]:  # the header and the signature block
        paragraphs += [p.text for row in t.rows for c in row.cells for p in c.paragraphs]
    return paragraphs, tables


def table_with(tables: list[list[list[str]]], heading: str) -> dict[str, list[str]]:
    """The table whose first row starts with `heading`, keyed by its label column."""
    for t in tables:
        if t[0][0] == heading:
            return {row[0]: row[1:] for row in t[1:]}
    raise AssertionError(f"no table headed {heading!r} in {[t[0] for t in tables]}")


def figures(row: list[str]) -> list[int]:
    return [int(v.replace(".", "")) for v in row]


async def test_docx_report_matches_the_csv_and_compares_with_the_previous_period(
    bot: Application, api: FakeBotAPI, db_path: Path, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    people = [Person(api, 781234660 + i, first_name=f"Trần Văn Tên{i}") for i in range(4)]
    for p in people:
        api.add_chat(p.user_id, "private", first_name=p.first_name)
    for p in people[:3]:
        await p.say("/start an-bien")
    await people[3].say("/start ho-nam")
    await people[0].say("/unsubscribe")
    await people[1].say("ngập lụt")  # answered
    await people[1].say(UNANSWERED)
    teacher = Person(api, 781234699, first_name="Cô Lê Thị Giáo")
    await school_in_an_bien(api, teacher)
    await broadcast_to_an_bien(bot)

    today = datetime.now(svc.config.tz).date()
    period = ("--from", today.isoformat(), "--to", today.isoformat())
    csv_path, docx_path = tmp_path / "r.csv", tmp_path / "r.docx"
    for path, fmt in ((csv_path, "csv"), (docx_path, "docx")):
        result = export(db_path, path, *period, fmt=fmt)
        assert result.returncode == 0, result.stderr
    rows = {r["area_id"]: r for r in csv.DictReader(
        io.StringIO(csv_path.read_bytes().decode("utf-8-sig")))}
    total = {k: int(v) for k, v in rows.pop("TOTAL").items() if k not in ("area_id", "area_name")}
    assert total["messages_sent"] == 3 and total["searches"] == 2  # a history worth reporting

    from docx import Document

    section = Document(str(docx_path)).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20
    # Page numbers in the top margin from page 2 on (the first page shows none).
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml and "PAGE" not in (
        section.first_page_header._element.xml)
    paragraphs, tables = read_docx(docx_path)
    text = "\n".join(paragraphs)
    for line in ("ỦY BAN NHÂN DÂN PHƯỜNG LÊ CHÂN", "PHÒNG KINH TẾ, HẠ TẦNG VÀ ĐÔ THỊ",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
                 "Nơi nhận:", "TRƯỞNG PHÒNG", "I. TÌNH HÌNH CHUNG", "II. KẾT QUẢ THỰC HIỆN",
                 "III. ĐÁNH GIÁ", "IV. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert line in paragraphs, line
    assert "Số:       /BC-" in text and f"Lê Chân, ngày      tháng      năm {today.year}" in text
    day = today.strftime("%d/%m/%Y")
    assert "202/KH-UBND" in text and f"từ ngày {day} đến ngày {day}" in text

    # I. Households and groups by area, then groups by kind: the CSV's figures.
    by_area = {row[1]: figures(row[2:]) for row in next(
        t for t in tables if t[0][:2] == ["TT", "Khu dân cư"])[1:]}
    for r in rows.values():
        assert by_area[r["area_name"]] == [int(r["households_active"]), int(r["groups_active"]),
                                           int(r["subscribers_active"])], r["area_name"]
    assert by_area["Tổng cộng"] == [total["households_active"], total["groups_active"],
                                    total["subscribers_active"]]
    kinds = table_with(tables, "Loại nhóm")
    assert figures(kinds["Trường học"]) == [total["schools_active"]]
    assert figures(kinds["Chợ"]) == [total["markets_active"]]
    assert figures(kinds["Cơ quan, đơn vị"]) == [total["offices_active"]]
    assert figures(kinds["Tổng số nhóm"]) == [total["groups_active"]]
    assert (f"có {total['subscribers_active']} hộ gia đình và nhóm đang nhận cảnh báo: "
            f"{total['households_active']} hộ gia đình, {total['groups_active']} nhóm") in text
    # II. Results.
    sent = table_with(tables, "Nội dung")
    assert {k: figures(v)[0] for k, v in sent.items()} == {
        "Bản tin đã phát": total["broadcasts"], "Tin nhắn đã gửi": total["messages_sent"],
        "Tin nhắn lỗi": total["messages_failed"], "Tin nhắn bị chặn": total["messages_blocked"],
        "Đăng ký mới": total["subscribers_new"], "Hủy đăng ký": total["unsubscribed"]}
    views = table_with(tables, "Loại thiên tai")
    assert figures(views["Tổng cộng"]) == [total["guide_views"]]
    assert figures(views["Mưa lớn, ngập úng"]) == [total["guide_views"]]
    questions = next(t for t in tables if len(t) > 1 and t[1][0] == "Câu hỏi đã nhận")
    assert {r[0]: figures(r[1:])[0] for r in questions[1:]} == {
        "Câu hỏi đã nhận": total["searches"], "Có hướng dẫn trả lời": total["searches_answered"],
        "Chưa có hướng dẫn trả lời": total["searches"] - total["searches_answered"]}
    # III. Compared with yesterday, when nothing happened.
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"So với kỳ trước (từ ngày {yesterday} đến ngày {yesterday}):" in text
    assert "- Tin nhắn đã gửi: tăng 3 (từ 0 lên 3)." in text
    compared = table_with(tables, "Chỉ tiêu")
    assert compared["Tin nhắn đã gửi"] == ["3", "0", "tăng 3 (từ 0 lên 3)"]
    # One chart, a PNG.
    with zipfile.ZipFile(docx_path) as z:
        pictures = [n for n in z.namelist() if n.startswith("word/media/")]
        everything = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                              if n.endswith(".xml"))
        assert len(pictures) == 1 and z.read(pictures[0]).startswith(b"\x89PNG")
    # Aggregates only: no id, no name, no group title, no question's text.
    for p in [*people, teacher]:
        assert str(p.user_id) not in everything and p.first_name not in everything
    assert str(SCHOOL) not in everything and SCHOOL_TITLE not in everything
    assert UNANSWERED not in everything

    # Tomorrow's report compares with today: everything that happened is "giảm".
    tomorrow = (today + timedelta(days=1)).isoformat()
    later = tmp_path / "later.docx"
    result = export(db_path, later, "--from", tomorrow, "--to", tomorrow, fmt="docx")
    assert result.returncode == 0, result.stderr
    compared = table_with(read_docx(later)[1], "Chỉ tiêu")
    assert compared["Tin nhắn đã gửi"] == ["0", "3", "giảm 3 (từ 3 xuống 0)"]
    assert compared["Hộ gia đình, nhóm đang nhận cảnh báo (cuối kỳ)"][2].startswith("không đổi")


def test_a_bad_report_toml_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    from bot.paths import data_dir

    content = tmp_path / "content"
    shutil.copytree(data_dir("content"), content)
    settings = content / "report.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        'signer_title = "TRƯỞNG PHÒNG"', 'signer_title = ""'), encoding="utf-8")
    out = tmp_path / "r.docx"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--month", "2026-11", "--format", "docx",
         "--out", str(out)], capture_output=True, text=True, timeout=60, check=False,
        env=env | {"SANSANG_DB": str(tmp_path / "db.sqlite"), "SANSANG_CONTENT": str(content)})
    assert result.returncode == 2, result.stderr
    assert "report.toml" in result.stderr and "'signer_title'" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("now", "before", "words"), [
    (5, 2, "tăng 3 (từ 2 lên 5)"), (1, 4, "giảm 3 (từ 4 xuống 1)"), (7, 7, "không đổi (7)"),
    (12500, 0, "tăng 12.500 (từ 0 lên 12.500)")])
def test_changes_are_said_in_words_and_vietnamese_numbers(now: int, before: int,
                                                          words: str) -> None:
    from bot.reports.docx import change

    assert change(now, before) == words
