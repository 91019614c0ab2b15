"""`sansang export`: the lead office's outreach report for a period, as files for the city.

CSV today (UTF-8 with BOM so Excel shows Vietnamese; one row per area and a TOTAL row). Aggregates
only: nothing in an export can identify a resident.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.stats import AreaFigures, Report

CSV_COLUMNS = (
    "area_id", "area_name", "subscribers_active", "households_active", "groups_active",
    "subscribers_new", "unsubscribed", "blocked", "broadcasts", "messages_sent",
    "messages_failed", "messages_blocked", "guide_views", "searches", "searches_answered",
)


def _row(f: AreaFigures) -> list[object]:
    return [f.area_id, f.area_name, f.subscribers_active, f.households_active, f.groups_active,
            f.subscribers_new, f.unsubscribed, f.blocked, f.broadcasts, f.messages_sent,
            f.messages_failed, f.messages_blocked, f.guide_views, f.searches, f.answered]


def to_csv(report: Report) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.areas:
        writer.writerow(_row(f))
    writer.writerow(_row(report.total))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write(report: Report, fmt: str, out: Path) -> Path:
    if fmt != "csv":
        raise NotImplementedError(fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(to_csv(report))
    return out
