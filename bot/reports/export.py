"""`sansang export`: the lead office's outreach report for a period, as files for the city.

CSV (UTF-8 with BOM so Excel shows Vietnamese; one row per area and a TOTAL row) and an Excel
workbook for people. Aggregates only: nothing in an export can identify a resident.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from bot.reports.stats import RECIPIENT_KINDS, AreaFigures, Period, Report

CSV_COLUMNS = (
    "area_id", "area_name", "subscribers_active", "households_active", "groups_active",
    "subscribers_new", "unsubscribed", "blocked", "broadcasts", "messages_sent",
    "messages_failed", "messages_blocked", "guide_views", "searches", "searches_answered",
    # Issue 12 (appended: spreadsheets read the columns by position)
    "schools_active", "markets_active", "offices_active",
    # Issue 15 (appended likewise)
    "flood_reports", "flooding_points",
    # Issue 16 (appended likewise): Zalo chats receiving warnings at the end, messages that no
    # channel could deliver
    "zalo_active", "unreachable",
)


def _row(f: AreaFigures) -> list[object]:
    return [f.area_id, f.area_name, f.subscribers_active, f.households_active, f.groups_active,
            f.subscribers_new, f.unsubscribed, f.blocked, f.broadcasts, f.messages_sent,
            f.messages_failed, f.messages_blocked, f.guide_views, f.searches, f.answered,
            f.schools_active, f.markets_active, f.offices_active,
            f.flood_reports, f.flooding_points, f.zalo_active, f.unreachable]


def to_csv(report: Report) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.areas:
        writer.writerow(_row(f))
    writer.writerow(_row(report.total))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write(report: Report, fmt: str, out: Path) -> Path:
    """Write the file whole or not at all (through a temporary file beside it)."""
    if fmt == "csv":
        data = to_csv(report)
    elif fmt == "xlsx":
        data = to_xlsx(report)
    else:
        raise NotImplementedError(fmt)
    return write_whole(data, out)


def write_whole(data: bytes, out: Path) -> Path:
    """Write `data` to `out` whole or not at all (through a temporary file beside it)."""
    if out.is_dir():
        raise IsADirectoryError(f"{out} is a directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        part.write_bytes(data)
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return out


HAZARD_VI = {
    "storm": "Bão, áp thấp nhiệt đới", "flood": "Mưa lớn, ngập úng",
    "river": "Lũ sông, đê điều", "surge": "Nước dâng, triều cường",
    "thunderstorm": "Dông, sét, lốc", "heat": "Nắng nóng", "cold": "Rét đậm, rét hại",
    "drought": "Hạn hán, thiếu nước, xâm nhập mặn", "fire": "Cháy nhà, ngộ độc khí CO",
    "landslide": "Sạt lở, xói lở", "general": "An toàn chung, cảnh báo",
}
AREA_HEADERS = ("Mã khu", "Khu dân cư", "Đang nhận tin (cuối kỳ)", "Hộ gia đình", "Nhóm",
                "Đăng ký mới", "Hủy đăng ký", "Chặn bot", "Bản tin", "Tin đã gửi", "Tin lỗi",
                "Tin bị chặn", "Lượt xem hướng dẫn", "Câu hỏi", "Câu hỏi có trả lời",
                "Trường học", "Chợ", "Cơ quan, đơn vị", "Phản ánh ngập", "Điểm ngập",
                "Đang nhận tin qua Zalo", "Tin không gửi được")
KIND_VI = {"household": "Hộ gia đình", "school": "Trường học", "market": "Chợ",
           "office": "Cơ quan, đơn vị", "residential": "Tổ dân phố, khu dân cư",
           "other": "Nhóm khác, chưa chọn loại"}


PAPER_A4 = 9  # xlsxwriter's set_paper code for A4
FOOTER = "&C&A — Trang &P/&N"  # "Theo khu — Trang 1/2", centred
MAX_WIDTH = 60  # longer texts wrap instead of widening the page past one column of questions


def _width(value: object) -> int:
    """Characters a value shows in a cell (a date as dd/mm/yyyy)."""
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 6
    return len(str(value))


class _Widths:
    """Column widths from the longest heading or value written in each column (titles excluded:
    they are merged across the table), with a margin so Vietnamese diacritics never cut."""

    def __init__(self) -> None:
        self.chars: dict[int, int] = {}

    def see(self, col: int, *values: object) -> None:
        for i, v in enumerate(values):
            if v is not None:
                self.chars[col + i] = max(self.chars.get(col + i, 0), _width(v))

    def apply(self, ws: Any, wrap: Any = None) -> int:
        """Set every column's width; return the table's width in pixels (for its chart)."""
        pixels = 0
        for col, n in sorted(self.chars.items()):
            width = min(MAX_WIDTH, round(n * 1.15) + 2)
            ws.set_column(col, col, width, wrap if n > MAX_WIDTH else None)
            pixels += int(width * 7 + 5)
        return pixels


def _print(ws: Any, *, header_row: int | None, landscape: bool = False,
           one_page: bool = False) -> None:
    """A4, fit to one page wide (or one page), header row on every page, footer with the
    sheet's name and the page number."""
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.set_footer(FOOTER)
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_row is not None:
        ws.repeat_rows(header_row)


def _titled(ws: Any, fmt: Any, text: str, last_col: int) -> None:
    """The sheet's title in row 1, merged across the table."""
    if last_col > 0:
        ws.merge_range(0, 0, 0, last_col, text, fmt)
    else:
        ws.write(0, 0, text, fmt)


SUMMARY_LINES = (
    ("Người, nhóm đang nhận cảnh báo (cuối kỳ)", "subscribers_active"),
    ("  trong đó hộ gia đình", "households_active"),
    ("  trong đó nhóm (trường, chợ, cơ quan)", "groups_active"),
    ("Đăng ký mới trong kỳ", "subscribers_new"), ("Hủy đăng ký", "unsubscribed"),
    ("Chặn bot", "blocked"), ("Bản tin đã phát", "broadcasts"),
    ("Tin nhắn đã gửi", "messages_sent"), ("Tin nhắn lỗi", "messages_failed"),
    ("Tin nhắn bị chặn", "messages_blocked"), ("Lượt xem hướng dẫn", "guide_views"),
    ("Câu hỏi của người dân", "searches"), ("Câu hỏi có hướng dẫn trả lời", "answered"),
)


def _dates(p: Period) -> str:
    return f"{p.start.strftime('%d/%m/%Y')} – {p.end.strftime('%d/%m/%Y')}"


def _summary(wb: Any, ws: Any, report: Report, period: str, title: Any, head: Any,
             pct: Any) -> None:
    """"Tổng hợp": the period's figures and, when the report carries them, the previous
    period's (of the same length) and the change; prints on one A4 page."""
    before = report.previous
    change = wb.add_format({"num_format": "+#,##0;-#,##0;0"})
    change_pct = wb.add_format({"num_format": "+0%;-0%;0%"})
    ws.set_column(0, 0, 46)
    ws.set_column(1, 3, 14)
    last = 3 if before else 1
    ws.merge_range(0, 0, 0, last, "Phường Lê Chân – Kết quả truyền thông phòng, chống thiên tai",
                   title)
    compared = f"; so sánh với kỳ trước: {_dates(before.period)}" if before else ""
    ws.merge_range(1, 0, 1, last, f"Kỳ báo cáo: {period} (Kế hoạch 202/KH-UBND){compared}",
                   wb.add_format({"text_wrap": True, "valign": "top"}))
    ws.set_row(1, 32)  # two lines: the period, and the one compared with
    ws.write_row(2, 0, ("Chỉ tiêu", "Kỳ này", *(("Kỳ trước", "Thay đổi") if before else ())),
                 head)

    def rate(f: AreaFigures) -> float:
        return f.answered / f.searches if f.searches else 0

    rows: list[tuple[str, Any, Any]] = [
        (label, lambda f, name=name: getattr(f, name), None) for label, name in SUMMARY_LINES]
    rows.append(("Tỷ lệ câu hỏi được trả lời", rate, pct))
    for i, (label, value, fmt) in enumerate(rows, start=3):
        ws.write(i, 0, label)
        ws.write_number(i, 1, value(report.total), fmt)
        if before:
            ws.write_number(i, 2, value(before.total), fmt)
            ws.write_number(i, 3, value(report.total) - value(before.total),
                            change_pct if fmt else change)
    row = 3 + len(rows) + 1
    if report.by_channel:
        row = _channels(ws, report, row, head) + 1
    ws.write(row, 0, "Số liệu tổng hợp, không chứa thông tin cá nhân của người dân.")


CHANNEL_VI = {"telegram": "Telegram", "zalo": "Zalo"}
CHANNEL_LINES = (("Đang nhận cảnh báo qua kênh (cuối kỳ)", "active"),
                 ("Tin nhắn đã gửi qua kênh", "sent"),
                 ("Tin nhắn không gửi được (Zalo: quá 7 ngày)", "unreachable"))


def _channels(ws: Any, report: Report, row: int, head: Any) -> int:
    """Reach per channel under the summary: a small table; the next free row."""
    channels = list(report.by_channel)
    ws.write_row(row, 0, ("Theo kênh nhắn tin", *(CHANNEL_VI.get(c, c) for c in channels)),
                 head)
    for i, (label, name) in enumerate(CHANNEL_LINES, start=row + 1):
        ws.write(i, 0, label)
        ws.write_row(i, 1, [getattr(report.by_channel[c], name) for c in channels])
    return row + len(CHANNEL_LINES) + 1


def to_xlsx(report: Report) -> bytes:
    """A workbook for people: Vietnamese summary, sheets by area, month, hazard, broadcasts,
    unanswered questions; dates as dd/mm/yyyy; native charts of monthly reach and views.

    Every sheet prints on A4 (landscape where the table is wide), one page wide, its header row
    repeated on each page, "sheet — Trang p/n" in the footer; the summary prints on one page."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "text_wrap": False, "bottom": 1})
    title = wb.add_format({"bold": True, "font_size": 14})
    sheet_title = wb.add_format({"bold": True, "font_size": 12, "align": "center"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    pct = wb.add_format({"num_format": "0%"})
    day_format = wb.add_format({"num_format": "dd/mm/yyyy"})
    time_format = wb.add_format({"num_format": "hh:mm"})
    month_format = wb.add_format({"num_format": "mm/yyyy", "align": "left"})
    start, end = report.period.start.strftime("%d/%m/%Y"), report.period.end.strftime("%d/%m/%Y")
    period = f"{start} – {end}"
    t = report.total

    ws = wb.add_worksheet("Tổng hợp")
    _summary(wb, ws, report, period, title, head, pct)
    _print(ws, header_row=None, one_page=True)

    ws = wb.add_worksheet("Theo khu")
    widths = _Widths()
    _titled(ws, sheet_title, f"Kết quả theo khu dân cư, {period}", len(AREA_HEADERS) - 1)
    ws.write_row(1, 0, AREA_HEADERS, head)
    widths.see(0, *AREA_HEADERS)
    for i, f in enumerate([*report.areas, t], start=2):
        ws.write_row(i, 0, _row(f))
        widths.see(0, *_row(f))
    widths.apply(ws)
    _print(ws, header_row=1, landscape=True)

    ws = wb.add_worksheet("Theo tháng")
    widths = _Widths()
    month_headers = ("Tháng", "Tin đã gửi", "Đăng ký mới", "Lượt xem hướng dẫn", "Câu hỏi",
                     "Bản tin")
    _titled(ws, sheet_title, f"Kết quả theo tháng, {period}", len(month_headers) - 1)
    ws.write_row(1, 0, month_headers, head)
    widths.see(0, *month_headers)
    months = list(report.by_month.items())
    for i, (month, f) in enumerate(months, start=2):
        ws.write_datetime(i, 0, date(int(month[:4]), int(month[5:]), 1), month_format)
        values = (f.messages_sent, f.subscribers_new, f.guide_views, f.searches, f.broadcasts)
        ws.write_row(i, 1, values)
        widths.see(1, *values)
    chart = wb.add_chart({"type": "column"})
    for col, name in ((1, "Tin đã gửi"), (3, "Lượt xem hướng dẫn")):
        chart.add_series({"name": name, "categories": ["Theo tháng", 2, 0, len(months) + 1, 0],
                          "values": ["Theo tháng", 2, col, len(months) + 1, col]})
    chart.set_title({"name": "Kết quả truyền thông theo tháng"})
    chart.set_size({"width": max(480, widths.apply(ws))})
    ws.insert_chart(len(months) + 3, 0, chart)  # below the table: it prints on the same width
    _print(ws, header_row=1)

    _kinds_sheet(wb, report, bold, month_format)

    ws = wb.add_worksheet("Theo loại thiên tai")
    widths = _Widths()
    _titled(ws, sheet_title, f"Lượt xem hướng dẫn theo loại thiên tai, {period}", 1)
    ws.write_row(1, 0, ("Loại thiên tai", "Lượt xem hướng dẫn"), head)
    widths.see(0, "Loại thiên tai", "Lượt xem hướng dẫn", *HAZARD_VI.values())
    hazards = sorted(report.views_by_hazard.items(), key=lambda kv: -kv[1])
    for i, (hazard, n) in enumerate(hazards, start=2):
        ws.write(i, 0, HAZARD_VI.get(hazard, hazard))
        ws.write_number(i, 1, n)
        widths.see(0, HAZARD_VI.get(hazard, hazard), n)
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"name": "Lượt xem", "categories": ["Theo loại thiên tai", 2, 0,
                                                         max(2, len(hazards) + 1), 0],
                      "values": ["Theo loại thiên tai", 2, 1, max(2, len(hazards) + 1), 1]})
    chart.set_title({"name": "Lượt xem hướng dẫn theo loại thiên tai"})
    chart.set_size({"width": widths.apply(ws)})
    ws.insert_chart(len(hazards) + 3, 0, chart)
    _print(ws, header_row=1)

    ws = wb.add_worksheet("Bản tin")
    widths = _Widths()
    b_headers = ("Ngày", "Giờ", "Mã bản tin", "Số người nhận", "Khu")
    _titled(ws, sheet_title, f"Bản tin đã phát, {period}", len(b_headers) - 1)
    ws.write_row(1, 0, b_headers, head)
    widths.see(0, *b_headers)
    for i, b in enumerate(report.broadcasts, start=2):
        ws.write_datetime(i, 0, b.at.date(), day_format)
        ws.write_datetime(i, 1, b.at.time(), time_format)
        ws.write(i, 2, b.broadcast_id)
        ws.write_number(i, 3, b.recipients)
        target = "tất cả" if b.target == "all" else b.target
        ws.write(i, 4, target)
        widths.see(0, b.at.date(), "00:00", b.broadcast_id, b.recipients, target)
    widths.apply(ws, wrap)
    _print(ws, header_row=1)

    ws = wb.add_worksheet("Câu hỏi chưa có hướng dẫn")
    widths = _Widths()
    q_headers = ("Câu hỏi (để viết hướng dẫn mới)", "Số lần")
    _titled(ws, sheet_title, f"Câu hỏi chưa có hướng dẫn, {period}", 1)
    ws.write_row(1, 0, q_headers, head)
    widths.see(0, *q_headers)
    for i, (text, n) in enumerate(report.unanswered, start=2):
        ws.write_string(i, 0, text)
        ws.write_number(i, 1, n)
        widths.see(0, text, n)
    widths.apply(ws, wrap)
    _print(ws, header_row=1)
    wb.close()
    return buf.getvalue()


def _kinds_sheet(wb: object, report: Report, bold: object, month_format: object) -> None:
    """"Theo loại nhóm": reach by kind of recipient, per area (receiving warnings at the
    period's end) and per month (at each month's end, and messages delivered), with a chart."""
    ws = wb.add_worksheet("Theo loại nhóm")  # type: ignore[attr-defined]
    labels = [KIND_VI[k] for k in RECIPIENT_KINDS]
    headers = ("Mã khu", "Khu dân cư", *labels, "Tổng")
    widths = _Widths()
    _titled(ws, bold, "Đang nhận cảnh báo cuối kỳ, theo khu và loại", len(headers) - 1)
    ws.write_row(1, 0, headers, bold)
    widths.see(0, *headers)
    row = 2
    for f in [*report.areas, report.total]:
        values = (f.households_active, f.schools_active, f.markets_active, f.offices_active,
                  f.residential_active, f.other_groups_active)
        ws.write_row(row, 0, (f.area_id, f.area_name, *values, f.subscribers_active))
        widths.see(0, f.area_id, f.area_name, *values, f.subscribers_active)
        row += 1
    row += 1
    ws.write(row, 0, "Theo tháng: đang nhận cảnh báo cuối tháng", bold)
    header = row + 1
    ws.write_row(header, 0, ("Tháng", *labels), bold)
    months = list(report.by_kind.items())
    for i, (month, reach) in enumerate(months, start=header + 1):
        ws.write_datetime(i, 0, date(int(month[:4]), int(month[5:]), 1), month_format)
        ws.write_row(i, 1, [reach[k].active for k in RECIPIENT_KINDS])
    last = header + max(1, len(months))
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})  # type: ignore[attr-defined]
    for col, label in enumerate(labels, start=1):
        chart.add_series({"name": label,
                          "categories": ["Theo loại nhóm", header + 1, 0, last, 0],
                          "values": ["Theo loại nhóm", header + 1, col, last, col]})
    chart.set_title({"name": "Đang nhận cảnh báo theo loại (cuối tháng)"})
    row = last + 2
    ws.write(row, 0, "Theo tháng: tin đã gửi", bold)
    ws.write_row(row + 1, 0, ("Tháng", *labels), bold)
    for i, (month, reach) in enumerate(months, start=row + 2):
        ws.write_datetime(i, 0, date(int(month[:4]), int(month[5:]), 1), month_format)
        ws.write_row(i, 1, [reach[k].sent for k in RECIPIENT_KINDS])
    chart.set_size({"width": widths.apply(ws)})
    ws.insert_chart(row + 3 + len(months), 0, chart)  # below the tables, on the same width
    _print(ws, header_row=1, landscape=True)
