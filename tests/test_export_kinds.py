"""Issue 12 in the outreach report: the CSV's appended columns (schools, markets, offices
receiving warnings) and the workbook's "Theo loại nhóm" sheet agree with what the fake Bot API
delivered, and nothing in an export names a group."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path

from telegram.ext import Application

from bot.reports.export import CSV_COLUMNS
from tests.auxil.chat import eventually
from tests.fakes import FakeBotAPI
from tests.test_export import export

# chat_id: (telegram type, area, kind chosen; None: not yet), titles are what must never show
GROUPS: dict[int, tuple[str, str, str | None]] = {
    -95001: ("group", "an-bien", "school"),
    -1000000095002: ("supergroup", "an-bien", "school"),
    -95003: ("group", "an-bien", "market"),
    -95004: ("group", "lam-son", "market"),
    -95005: ("group", "lam-son", "office"),
    -95006: ("group", "lam-son", None),
    -95007: ("group", "an-bien", "residential"),
}
HOUSEHOLDS = {95101: "an-bien", 95102: "lam-son"}


def title(chat_id: int) -> str:
    return f"Nhóm Bí Mật {abs(chat_id)}"


async def test_the_csv_kind_columns_match_what_was_delivered(
    bot: Application, api: FakeBotAPI, db_path: Path, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    subs = svc.subscriptions
    for chat_id, (kind, area, group_kind) in GROUPS.items():
        api.add_chat(chat_id, kind, title=title(chat_id))
        await subs.ensure(chat_id, kind, "vi", title(chat_id))
        await subs.subscribe(chat_id, area)
        if group_kind is not None:
            await subs.set_group_kind(chat_id, group_kind)
    for chat_id, area in HOUSEHOLDS.items():
        api.add_chat(chat_id, "private")
        await subs.ensure(chat_id, "private", "vi")
        await subs.subscribe(chat_id, area)
    # A market that changed its mind: it is an office now, counted once, as an office.
    await subs.set_group_kind(-95004, "office")
    await subs.set_group_kind(-95004, "market")

    b = await svc.broadcasts.create("Cảnh báo mưa lớn", targets=None, created_by="cli")
    await bot.bot_data["scheduler"].reconcile()

    async def done() -> bool:
        return (await svc.broadcasts.get(b.id)).status == "done"

    await eventually(done)
    await bot.bot_data["delivery"].flush()
    delivered = {c for c in [*GROUPS, *HOUSEHOLDS]
                 if any(m["visible_text"] == "Cảnh báo mưa lớn" for m in api.messages(c))}
    assert delivered == set(GROUPS) | set(HOUSEHOLDS)

    def reached(area: str | None, kind: str) -> int:
        return sum(1 for c, (_t, a, k) in GROUPS.items()
                   if c in delivered and k == kind and area in (None, a))

    month = datetime.now(svc.config.tz).strftime("%Y-%m")
    out = tmp_path / "r.csv"
    result = export(db_path, out, "--month", month)
    assert result.returncode == 0, result.stderr
    text = out.read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header) == CSV_COLUMNS
    assert header[15:18] == ["schools_active", "markets_active", "offices_active"]
    assert header[:15] == [  # the columns before issue 12, in their places
        "area_id", "area_name", "subscribers_active", "households_active", "groups_active",
        "subscribers_new", "unsubscribed", "blocked", "broadcasts", "messages_sent",
        "messages_failed", "messages_blocked", "guide_views", "searches", "searches_answered"]
    rows = {r["area_id"]: r for r in csv.DictReader(io.StringIO(text))}
    for area, key in (("an-bien", "an-bien"), ("lam-son", "lam-son"), (None, "TOTAL")):
        r = rows[key]
        assert int(r["schools_active"]) == reached(area, "school"), key
        assert int(r["markets_active"]) == reached(area, "market"), key
        assert int(r["offices_active"]) == reached(area, "office"), key
        groups = sum(1 for c, (_t, a, _k) in GROUPS.items()
                     if c in delivered and area in (None, a))
        assert int(r["groups_active"]) == groups, key
    assert rows["TOTAL"]["messages_sent"] == str(len(delivered))
    for chat_id in GROUPS:
        assert title(chat_id) not in text and str(chat_id) not in text

    import openpyxl

    book_path = tmp_path / "r.xlsx"
    result = export(db_path, book_path, "--month", month, fmt="xlsx")
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(book_path)["Theo loại nhóm"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:8] == ("Mã khu", "Khu dân cư", "Hộ gia đình", "Trường học", "Chợ",
                             "Cơ quan, đơn vị", "Tổ dân phố, khu dân cư",
                             "Nhóm khác, chưa chọn loại")
    by_area = {r[0]: r[2:9] for r in values[2:] if r[0] in ("an-bien", "lam-son", "TOTAL")}
    assert by_area["an-bien"] == (1, 2, 1, 0, 1, 0, 5)
    assert by_area["lam-son"] == (1, 0, 1, 1, 0, 1, 4)
    assert by_area["TOTAL"] == (2, 2, 2, 1, 1, 1, 9)
    month_rows = [r for r in values if isinstance(r[0], datetime)]
    assert [r[1:7] for r in month_rows] == [(2, 2, 2, 1, 1, 1),  # at the month's end
                                            (2, 2, 2, 1, 1, 1)]  # messages delivered
    assert sheet._charts
    with zipfile.ZipFile(book_path) as z:
        everything = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for chat_id in GROUPS:
        assert title(chat_id) not in everything and str(chat_id) not in everything
