"""Flooding points: the reports within 100 m of each other, taken together as one place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.floods import geo
from bot.floods.models import FloodPoint, FloodReport, depth_rank
from bot.floods.places import Placer

POINT_RADIUS_M = 100.0


def cluster(reports: Iterable[FloodReport], placer: Placer,
            within_m: float = POINT_RADIUS_M) -> list[FloodPoint]:
    """Single-link clusters of the reports, worst first: deepest water, then most reports, then
    most recently seen.

    A point's area is the one its centre (the mean of its reports) is placed in; when that is
    outside every area, the most common area of its reports (the earliest report's on a tie).
    """
    found = list(reports)
    points = []
    for members in geo.clusters([(r.lat, r.lon) for r in found], within_m):
        group = sorted((found[i] for i in members), key=lambda r: (r.created_at, r.id))
        lat = sum(r.lat for r in group) / len(group)
        lon = sum(r.lon for r in group) / len(group)
        area_id, _outside = placer.place(lat, lon)
        if area_id is None:
            named = Counter(r.area_id for r in group if r.area_id is not None)
            if named:
                top = max(named.values())
                area_id = next(r.area_id for r in group if named.get(r.area_id) == top)
        points.append(FloodPoint(
            lat=lat, lon=lon, reports=len(group),
            worst_depth=max((r.depth for r in group), key=depth_rank),
            first_seen=group[0].created_at, last_seen=group[-1].created_at,
            area_id=area_id, report_ids=tuple(sorted(r.id for r in group)),
            outside=all(r.outside for r in group),
        ))
    points.sort(key=lambda p: (-depth_rank(p.worst_depth), -p.reports, -p.last_seen.timestamp(),
                               p.report_ids[0]))
    return points
