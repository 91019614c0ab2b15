"""`sansang export --format geojson`: a period's flood reports and flooding points for GIS tools.

One RFC 7946 FeatureCollection (WGS 84, coordinates [lon, lat]) of Point features, told apart by
their `kind` property. It carries the point, depth, time, area and status only: never a Telegram
id, a photo or a note.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.floods.models import FloodPoint, FloodReport
from bot.floods.points import cluster
from bot.floods.reports import FloodReports
from bot.reports.export import write_whole

# 6 decimal places are about 0.1 m: RFC 7946 §11.2 says more only adds size, not precision.
PRECISION = 6


def _point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, PRECISION), round(lat, PRECISION)]}


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def report_feature(r: FloodReport, tz: tzinfo) -> dict[str, Any]:
    # Built field by field from what may leave the database: a new field of FloodReport stays
    # out of the export until someone decides it may go.
    return {
        "type": "Feature",
        "geometry": _point(r.lat, r.lon),
        "properties": {
            "kind": "report", "depth": r.depth, "time": _local(r.created_at, tz),
            "area_id": r.area_id, "outside": r.outside, "status": r.status,
        },
    }


def point_feature(p: FloodPoint, tz: tzinfo) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": _point(p.lat, p.lon),
        "properties": {
            "kind": "point", "reports": p.reports, "worst_depth": p.worst_depth,
            "first_seen": _local(p.first_seen, tz), "last_seen": _local(p.last_seen, tz),
            "area_id": p.area_id, "outside": p.outside,
        },
    }


def to_geojson(reports: Sequence[FloodReport], points: Sequence[FloodPoint],
               tz: tzinfo) -> dict[str, Any]:
    """The FeatureCollection: every report, then every flooding point."""
    return {
        "type": "FeatureCollection",
        "features": [report_feature(r, tz) for r in reports]
        + [point_feature(p, tz) for p in points],
    }


def to_bytes(reports: Sequence[FloodReport], points: Sequence[FloodPoint], tz: tzinfo) -> bytes:
    return json.dumps(to_geojson(reports, points, tz), ensure_ascii=False,
                      indent=1).encode("utf-8")


def write(reports: Sequence[FloodReport], points: Sequence[FloodPoint], out: Path,
          tz: tzinfo) -> Path:
    """Write the GeoJSON to `out`, whole or not at all."""
    return write_whole(to_bytes(reports, points, tz), out)


async def for_period(service: FloodReports, start_utc: str, end_utc: str, tz: tzinfo) -> bytes:
    """The reports created from `start_utc` to before `end_utc` and the points they make (one
    read, so the points are exactly those of the reports listed)."""
    reports = await service.in_period(start_utc, end_utc)
    return to_bytes(reports, cluster(reports, service.placer), tz)
