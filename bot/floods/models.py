"""The flood reports' dataclasses: one report, one flooding point, the answer to a submission.

Plain frozen dataclasses with no Telegram in them: every channel and the CLI share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEPTHS = ("ankle", "knee", "waist", "above")
"""Water depth, shallowest first: below the ankle | ankle to knee | knee to waist | above the
waist. Their order is the order of worse."""

STATUSES = ("new", "checked", "resolved")

NOTE_MAX = 300
"""Characters of a resident's note (after NFC normalisation and trimming)."""

REFUSALS = ("rate", "bad_depth", "bad_point", "bad_note")
"""Why `FloodReports.submit` refused: too many this hour; a depth not in DEPTHS; a latitude or
longitude out of range (or not a number); a note longer than NOTE_MAX."""


def depth_rank(depth: str) -> int:
    """0 for the shallowest depth, 3 for above the waist (-1 for anything else)."""
    return DEPTHS.index(depth) if depth in DEPTHS else -1


@dataclass(frozen=True)
class FloodReport:
    id: int
    created_at: datetime  # UTC
    lat: float
    lon: float
    area_id: str | None  # None when outside the ward
    outside: bool
    depth: str  # one of DEPTHS
    photo_file_id: str | None  # Telegram file id (the staff copy shows it); never exported
    note: str | None  # ≤ NOTE_MAX characters; never exported
    lang: str
    status: str  # new | checked | resolved
    reporter_chat: int | None  # set until resolved or /forget; NEVER exported
    checked_by: int | None
    resolved_by: int | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class FloodPoint:
    """Reports within 100 m of each other (single-link clusters): one place where it floods."""

    lat: float  # mean of its reports
    lon: float
    reports: int
    worst_depth: str
    first_seen: datetime  # UTC
    last_seen: datetime  # UTC
    area_id: str | None
    report_ids: tuple[int, ...]
    outside: bool = False  # every report of it was outside the ward


@dataclass(frozen=True)
class Submitted:
    report: FloodReport | None  # None: refused
    refused: str | None  # one of REFUSALS, or None
