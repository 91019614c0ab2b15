"""`sansang export --format docx`: a draft báo cáo of the period, for the office to finish.

The layout follows Nghị định 30/2020/NĐ-CP (công tác văn thư), Phụ lục I "Thể thức, kỹ thuật trình
bày văn bản hành chính", Phần I: A4 paper, portrait; margins 20–25 mm top and bottom, 30–35 mm
left, 15–20 mm right (here 20, 20, 30, 15); Times New Roman (Unicode), black; the issuing body
top left (the body above in capitals, the office in bold capitals); the national title
("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold capitals, 12–13 pt) top right with the motto ("Độc
lập - Tự do - Hạnh phúc", bold, 13–14 pt) centred under it; "Số: …/BC-…"; the place and date line
in italics; the kind of document ("BÁO CÁO", bold capitals) and its subject; the body in 13–14 pt
(here 14); page numbers centred in the top margin, none on the first page; "Nơi nhận:" bottom
left and the signature block bottom right.

Names of the issuing office, the signer's title and the recipients come from content/report.toml
(`load_settings` names a missing key). Numbers and dates go through babel (Vietnamese). The one
chart (messages delivered per month) is a PNG drawn with Pillow: a few bars need no plotting
library, and Pillow is small and installs offline as a wheel. Aggregates only: the report reads
`stats.Report`, which never holds a chat id, a name or a group title. Section II ends with the
residents' flood reports (counts, flooding points, resolved, the three busiest areas) and the
weather advisories staff approved, in sentences; "none" is one sentence, never an empty table.
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date

from bot.errors import ContentError
from bot.i18n import number
from bot.reports.export import write_whole
from bot.reports.stats import AreaFigures, Report

SETTINGS_FILE = "report.toml"
TEXT_KEYS = ("parent_body", "office", "office_in_text", "office_code", "ward", "place", "plan",
             "signer_title")
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT = "Times New Roman"
BODY_PT = 14


@dataclass(frozen=True)
class Settings:
    parent_body: str
    office: str
    office_in_text: str
    office_code: str
    ward: str
    place: str
    plan: str
    signer_title: str
    recipients: tuple[str, ...]
    sample: bool


def load_settings(path: Path) -> Settings:
    """content/report.toml, or a ContentError naming the file and the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: missing; the docx report needs it (see README)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: not valid TOML: {exc}") from None
    found: dict[str, Any] = {}
    for key in TEXT_KEYS:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{path}: key {key!r} must be a non-empty text")
        found[key] = value.strip()
    recipients = data.get("recipients")
    if (not isinstance(recipients, list) or not recipients
            or not all(isinstance(r, str) and r.strip() for r in recipients)):
        raise ContentError(f"{path}: key 'recipients' must be a list of non-empty texts")
    sample = data.get("sample", False)
    if not isinstance(sample, bool):
        raise ContentError(f"{path}: key 'sample' must be true or false")
    return Settings(**found, recipients=tuple(r.strip() for r in recipients), sample=sample)


def n(value: float) -> str:
    return number(value, "vi")


def day(value: date) -> str:
    return format_date(value, "dd/MM/yyyy", locale="vi")


def change(now: int, before: int) -> str:
    """The change in words and numbers: "tăng 3 (từ 2 lên 5)", "giảm 1 (…)", "không đổi"."""
    if now == before:
        return f"không đổi ({n(now)})"
    word = "tăng" if now > before else "giảm"
    return f"{word} {n(abs(now - before))} (từ {n(before)} lên {n(now)})" if now > before else (
        f"{word} {n(abs(now - before))} (từ {n(before)} xuống {n(now)})")


def comparison_lines(report: Report) -> list[tuple[str, int, int]]:
    """(label, this period, previous period) for section III."""
    t = report.total
    p = report.previous.total if report.previous else AreaFigures("TOTAL", "")
    return [
        ("Hộ gia đình, nhóm đang nhận cảnh báo (cuối kỳ)", t.subscribers_active,
         p.subscribers_active),
        ("Đăng ký mới", t.subscribers_new, p.subscribers_new),
        ("Bản tin đã phát", t.broadcasts, p.broadcasts),
        ("Tin nhắn đã gửi", t.messages_sent, p.messages_sent),
        ("Lượt xem hướng dẫn", t.guide_views, p.guide_views),
        ("Câu hỏi của người dân", t.searches, p.searches),
        ("Phản ánh ngập úng của người dân", t.flood_reports, p.flood_reports),
        ("Điểm ngập", t.flooding_points, p.flooding_points),
        ("Phản ánh ngập đã xử lý xong (cuối kỳ)", report.flood_resolved,
         report.previous.flood_resolved if report.previous else 0),
        ("Cảnh báo thời tiết nguy hiểm đã phát", report.advisories_sent,
         report.previous.advisories_sent if report.previous else 0),
    ]


def top_flood_areas(report: Report, k: int = 3) -> list[AreaFigures]:
    """The named areas with the most flood reports (ties: the order of areas.toml), at most k;
    reports outside every area are not an area."""
    named = [f for f in report.areas if f.area_id and f.flood_reports > 0]
    return sorted(named, key=lambda f: -f.flood_reports)[:k]  # stable: keeps the file's order


def flood_lines(report: Report) -> list[str]:
    """Section II.4 in sentences; one sentence when residents sent none."""
    t = report.total
    if t.flood_reports == 0:
        return ["Trong kỳ, không có phản ánh ngập úng nào của người dân gửi qua hệ thống."]
    open_ = max(0, t.flood_reports - report.flood_resolved)
    away = sum(f.flood_reports for f in report.areas if not f.area_id)
    outside = f", trong đó {n(away)} phản ánh ở ngoài địa bàn phường" if away else ""
    lines = [
        f"Trong kỳ, người dân đã gửi {n(t.flood_reports)} phản ánh ngập úng qua hệ thống, "
        f"tập hợp thành {n(t.flooding_points)} điểm ngập (các phản ánh cách nhau không quá "
        f"100 m được tính là một điểm){outside}. Tính đến hết ngày {day(report.period.end)}, "
        f"đã xử lý xong {n(report.flood_resolved)} phản ánh ({n(report.points_resolved)} điểm "
        f"ngập), còn {n(open_)} phản ánh chưa xử lý xong."]
    top = top_flood_areas(report)
    if top:
        most = "các khu dân cư" if len(top) > 1 else "khu dân cư"
        lines.append(f"Nhiều phản ánh nhất là {most}: " + "; ".join(
            f"{f.area_name} ({n(f.flood_reports)} phản ánh, {n(f.flooding_points)} điểm ngập)"
            for f in top) + ".")
    return lines


def advisory_line(report: Report) -> str:
    """Section II.5 in one sentence."""
    if not report.advisories_sent:
        return ("Trong kỳ, không có cảnh báo thời tiết nguy hiểm nào được phê duyệt và phát "
                "tới người dân.")
    kinds = ", ".join(f"{n(count)} cảnh báo {name}"
                      for name, count in report.advisories.most_common())
    return (f"Trong kỳ, cán bộ phường đã phê duyệt và phát {n(report.advisories_sent)} bản tin "
            f"cảnh báo thời tiết nguy hiểm tới người dân (bản tin khẩn, soạn sẵn khi dự báo "
            f"thời tiết vượt ngưỡng cảnh báo), gồm: {kinds}.")


def chart_png(report: Report) -> bytes:
    """Bars of messages delivered per month; labels in digits only (the default font)."""
    from PIL import Image, ImageDraw, ImageFont

    months = list(report.by_month.items())
    width, height, left, bottom, top = 1200, 480, 90, 70, 30
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=22)
    peak = max([f.messages_sent for _, f in months] + [1])
    draw.line([(left, top), (left, height - bottom), (width - 20, height - bottom)],
              fill="black", width=2)
    slot = (width - left - 40) / max(1, len(months))
    for i, (month, f) in enumerate(months):
        x0 = left + 20 + i * slot
        bar = (height - bottom - top - 30) * f.messages_sent / peak
        y = height - bottom - bar
        draw.rectangle([x0, y, x0 + slot * 0.6, height - bottom], fill=(31, 78, 121))
        draw.text((x0, y - 26), n(f.messages_sent), fill="black", font=font)
        draw.text((x0, height - bottom + 10), f"{month[5:]}/{month[:4]}", fill="black",
                  font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def to_docx(report: Report, settings: Settings, today: date) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(6)
    center, right_ = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _page_numbers(section, center, Pt(13))

    def para(container: Any, text: str = "", *, bold: bool = False, italic: bool = False,
             size: float = BODY_PT, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY) -> Any:
        p = container.add_paragraph()
        p.alignment = align
        p.paragraph_format.space_after = Pt(3)
        run = p.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        return p

    # Header: issuing body left, national title and motto right.
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    head.autofit = False  # LibreOffice honours the widths only with autofit off, set per column
    left_cell, right_cell = head.rows[0].cells
    for column, cell, width in ((head.columns[0], left_cell, Mm(68)),
                                (head.columns[1], right_cell, Mm(97))):
        column.width = cell.width = width
    _fixed_width(head, Mm(165))
    left_cell.paragraphs[0].text = ""
    lp = left_cell.paragraphs[0]
    lp.alignment = center
    lp.add_run(settings.parent_body).font.size = Pt(12)
    para(left_cell, settings.office, bold=True, size=12, align=center)
    para(left_cell, "_______", size=12, align=center)
    para(left_cell, f"Số:       /BC-{settings.office_code}", size=13, align=center)
    rp = right_cell.paragraphs[0]
    rp.alignment = center
    title_run = rp.add_run(NATIONAL_TITLE)
    title_run.bold, title_run.font.size = True, Pt(12)
    para(right_cell, MOTTO, bold=True, size=13, align=center)
    para(right_cell, "_______________________", size=13, align=center)
    para(right_cell, f"{settings.place}, ngày      tháng      năm {today.year}", italic=True,
         size=13, align=center)

    start, end = day(report.period.start), day(report.period.end)
    para(doc, "")
    para(doc, "BÁO CÁO", bold=True, size=14, align=center)
    para(doc, f"Kết quả tuyên truyền, phổ biến kiến thức, kỹ năng phòng, chống thiên tai và thích "
              f"ứng với biến đổi khí hậu trên địa bàn {settings.ward} từ ngày {start} đến ngày "
              f"{end}, thực hiện {settings.plan}", bold=True, size=14, align=center)
    para(doc, "_______", align=center)
    if settings.sample:
        para(doc, "(Bản nháp dùng tên mẫu trong content/report.toml: kiểm tra trước khi gửi.)",
             italic=True, size=12, align=center)
    para(doc, f"Thực hiện {settings.plan}, {settings.office_in_text} báo cáo kết quả "
              f"trong kỳ như sau:")

    t = report.total

    def table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        tbl = doc.add_table(rows=1, cols=len(headers))
        tbl.style = "Table Grid"
        tbl.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(tbl.rows[0].cells, headers, strict=True):
            cell.text = ""
            r = cell.paragraphs[0].add_run(text)
            r.bold, r.font.size = True, Pt(12)
            cell.paragraphs[0].alignment = center
        for row in rows:
            cells = tbl.add_row().cells
            for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
                cell.text = ""
                text = n(value) if isinstance(value, int) else str(value)
                cell.paragraphs[0].add_run(text).font.size = Pt(12)
                cell.paragraphs[0].alignment = right_ if isinstance(value, int) else (
                    center if i == 0 else WD_ALIGN_PARAGRAPH.LEFT)
        para(doc, "", size=6)

    para(doc, "I. TÌNH HÌNH CHUNG", bold=True)
    para(doc, f"Đến ngày {end}, có {n(t.subscribers_active)} hộ gia đình và nhóm đang nhận "
              f"cảnh báo: {n(t.households_active)} hộ gia đình, {n(t.groups_active)} nhóm.")
    para(doc, "1. Nhóm đang nhận cảnh báo theo loại", italic=True)
    table(("Loại nhóm", "Số nhóm"), [
        ("Trường học", t.schools_active), ("Chợ", t.markets_active),
        ("Cơ quan, đơn vị", t.offices_active), ("Tổ dân phố, khu dân cư", t.residential_active),
        ("Nhóm khác, chưa chọn loại", t.other_groups_active), ("Tổng số nhóm", t.groups_active)])
    para(doc, "2. Đang nhận cảnh báo theo khu dân cư (cuối kỳ)", italic=True)
    table(("TT", "Khu dân cư", "Hộ gia đình", "Nhóm", "Tổng"),
          [(str(i), f.area_name, f.households_active, f.groups_active, f.subscribers_active)
           for i, f in enumerate(report.areas, start=1)]
          + [("", "Tổng cộng", t.households_active, t.groups_active, t.subscribers_active)])

    para(doc, "II. KẾT QUẢ THỰC HIỆN", bold=True)
    para(doc, "1. Phát bản tin cảnh báo", italic=True)
    table(("Nội dung", "Số lượng"), [
        ("Bản tin đã phát", t.broadcasts), ("Tin nhắn đã gửi", t.messages_sent),
        ("Tin nhắn lỗi", t.messages_failed), ("Tin nhắn bị chặn", t.messages_blocked),
        ("Đăng ký mới", t.subscribers_new), ("Hủy đăng ký", t.unsubscribed)])
    if report.by_channel:
        para(doc, "Theo kênh nhắn tin:", italic=True)
        table(("Kênh", "Đang nhận cảnh báo (cuối kỳ)", "Tin nhắn đã gửi", "Tin không gửi được"),
              [({"telegram": "Telegram", "zalo": "Zalo"}.get(c, c), r.active, r.sent,
                r.unreachable) for c, r in report.by_channel.items()])
    para(doc, "Số tin nhắn đã gửi theo tháng:", italic=True)
    doc.add_picture(io.BytesIO(chart_png(report)), width=Mm(160))
    doc.paragraphs[-1].alignment = center
    para(doc, "2. Lượt xem hướng dẫn theo loại thiên tai", italic=True)
    from bot.reports.export import HAZARD_VI

    views = sorted(report.views_by_hazard.items(), key=lambda kv: (-kv[1], kv[0]))
    table(("Loại thiên tai", "Lượt xem"),
          [(HAZARD_VI.get(h, h), v) for h, v in views] + [("Tổng cộng", t.guide_views)])
    para(doc, "3. Câu hỏi của người dân", italic=True)
    table(("Nội dung", "Số lượng"), [
        ("Câu hỏi đã nhận", t.searches), ("Có hướng dẫn trả lời", t.answered),
        ("Chưa có hướng dẫn trả lời", t.searches - t.answered)])
    para(doc, "4. Phản ánh ngập úng của người dân", italic=True)
    for line in flood_lines(report):
        para(doc, line)
    if t.flood_reports:
        table(("Phản ánh ngập úng", "Số lượng"), [
            ("Phản ánh đã nhận", t.flood_reports), ("Điểm ngập", t.flooding_points),
            ("Phản ánh đã xử lý xong", report.flood_resolved),
            ("Phản ánh chưa xử lý xong", max(0, t.flood_reports - report.flood_resolved)),
            ("Điểm ngập đã xử lý xong", report.points_resolved)])
    para(doc, "5. Cảnh báo thời tiết nguy hiểm", italic=True)
    para(doc, advisory_line(report))

    para(doc, "III. ĐÁNH GIÁ", bold=True)
    if report.previous is not None:
        pp = report.previous.period
        para(doc, f"So với kỳ trước (từ ngày {day(pp.start)} đến ngày {day(pp.end)}):")
        lines = comparison_lines(report)
        for label, now, before in lines:
            para(doc, f"- {label}: {change(now, before)}.")
        table(("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"),
              [(label, now, before, change(now, before)) for label, now, before in lines])
    para(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    para(doc, "[Phòng ghi đề xuất, kiến nghị của kỳ này.]", italic=True)

    foot = doc.add_table(rows=1, cols=2)
    to_cell, sign_cell = foot.rows[0].cells
    to_cell.width, sign_cell.width = Mm(85), Mm(80)
    run = to_cell.paragraphs[0].add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for line in settings.recipients:
        para(to_cell, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    sp = sign_cell.paragraphs[0]
    sp.alignment = center
    sign = sp.add_run(settings.signer_title)
    sign.bold, sign.font.size = True, Pt(13)
    para(sign_cell, "(Ký, ghi rõ họ tên)", italic=True, size=12, align=center)
    for _ in range(3):
        para(sign_cell, "", align=center)
    para(sign_cell, "……………………", size=13, align=center)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _fixed_width(table: Any, width: Any) -> None:
    """A fixed layout of the given total width: LibreOffice otherwise shares the page evenly and
    wraps the national title onto two lines."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = table._tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout"):
        for old in props.findall(qn(tag)):
            props.remove(old)
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:w"), str(int(width.twips)))
    tbl_w.set(qn("w:type"), "dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    props.append(tbl_w)
    props.append(layout)


def _page_numbers(section: Any, align: Any, size: Any) -> None:
    """Page numbers centred in the top margin, 13 pt, none on the first page (Phụ lục I, I.7)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = align
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = p.add_run()
        run.font.size = size
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        run._r.append(el)


def write(report: Report, settings: Settings, out: Path, today: date) -> Path:
    """Write the file whole or not at all (through a temporary file beside it)."""
    return write_whole(to_docx(report, settings, today), out)
