"""The workbook's summary shows this period, the previous one of the same length, and the
change, from a history built through the real bot."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
from telegram.ext import Application

from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI
from tests.test_export import export


def summary(path: Path) -> tuple[str, dict[str, tuple[object, ...]]]:
    ws = openpyxl.load_workbook(path)["Tổng hợp"]
    rows = list(ws.iter_rows(min_row=3, max_col=4, values_only=True))
    assert rows[0] == ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi")
    return ws["A2"].value, {r[0]: r[1:] for r in rows[1:] if r[0] and r[1] is not None}


async def test_the_summary_compares_with_the_previous_period(
    bot: Application, api: FakeBotAPI, db_path: Path, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    people = [Person(api, 781234670 + i, first_name=f"Trần Thị Người{i}") for i in range(3)]
    for p in people:
        api.add_chat(p.user_id, "private", first_name=p.first_name)
        await p.say("/start an-bien")
    await people[0].say("ngập lụt")  # answered: one guide view
    await people[1].say("xe buýt qwerty mấy giờ")  # unanswered
    await people[2].say("/unsubscribe")
    today = datetime.now(svc.config.tz).date()
    tomorrow = today + timedelta(days=1)

    path = tmp_path / "today.xlsx"
    result = export(db_path, path, "--from", today.isoformat(), "--to", today.isoformat(),
                    fmt="xlsx")
    assert result.returncode == 0, result.stderr
    heading, lines = summary(path)
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"so sánh với kỳ trước: {yesterday} – {yesterday}" in heading
    assert lines["Đăng ký mới trong kỳ"] == (3, 0, 3)
    assert lines["Hủy đăng ký"] == (1, 0, 1)
    assert lines["Người, nhóm đang nhận cảnh báo (cuối kỳ)"] == (2, 0, 2)
    assert lines["Câu hỏi của người dân"] == (2, 0, 2)
    assert lines["Câu hỏi có hướng dẫn trả lời"] == (1, 0, 1)
    assert lines["Lượt xem hướng dẫn"] == (1, 0, 1)
    assert lines["Tỷ lệ câu hỏi được trả lời"] == (0.5, 0, 0.5)

    # Tomorrow: nothing new; today is the previous period, and the change is a fall.
    path = tmp_path / "tomorrow.xlsx"
    result = export(db_path, path, "--from", tomorrow.isoformat(), "--to",
                    tomorrow.isoformat(), fmt="xlsx")
    assert result.returncode == 0, result.stderr
    heading, lines = summary(path)
    assert f"so sánh với kỳ trước: {today.strftime('%d/%m/%Y')}" in heading
    assert lines["Đăng ký mới trong kỳ"] == (0, 3, -3)
    assert lines["Hủy đăng ký"] == (0, 1, -1)
    assert lines["Người, nhóm đang nhận cảnh báo (cuối kỳ)"] == (2, 2, 0)  # still receiving
    assert lines["Câu hỏi của người dân"] == (0, 2, -2)
    assert lines["Tỷ lệ câu hỏi được trả lời"] == (0, 0.5, -0.5)
    ws = openpyxl.load_workbook(path)["Tổng hợp"]
    change = next(r[3] for r in ws.iter_rows(min_row=4, max_col=4) if r[0].value == "Hủy đăng ký")
    assert change.number_format == "+#,##0;-#,##0;0"  # a fall shows "-1", a rise "+1"


def test_a_report_without_a_previous_period_shows_this_period_only(tmp_path: Path) -> None:
    from collections import Counter

    from bot.reports.export import write
    from bot.reports.stats import AreaFigures, Period, Report

    total = AreaFigures("TOTAL", "Tổng cộng", households_active=4, searches=2, answered=1)
    alone = Report(Period.parse(month="2026-11"), [], total, {}, Counter(), [])
    ws = openpyxl.load_workbook(write(alone, "xlsx", tmp_path / "r.xlsx"))["Tổng hợp"]
    assert [c.value for c in ws[3]] == ["Chỉ tiêu", "Kỳ này"]
    assert ws["A2"].value == "Kỳ báo cáo: 01/11/2026 – 30/11/2026 (Kế hoạch 202/KH-UBND)"
    assert (ws["B4"].value, ws["B17"].value, ws["C4"].value) == (4, 0.5, None)
