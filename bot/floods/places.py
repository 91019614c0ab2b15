"""Where a flood report is: in the area whose boundary or nearest centre holds it, or outside
the ward (accepted, with no area)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.floods import geo
from bot.subscriptions.areas import AreaCatalog

MARGIN_KM = 1.0
"""How far past the ward's radius a point still counts as in the ward (a phone's location, the
ward's edge drawn as a circle)."""


@dataclass(frozen=True)
class WardCircle:
    lat: float
    lon: float
    radius_km: float


class Placer:
    """Places points among the areas of one catalogue."""

    def __init__(self, areas: AreaCatalog) -> None:
        self.areas = areas
        self.bounded = [(a.id, a.polygon) for a in areas.areas if a.polygon]
        self.centres = [(a.id, a.lat, a.lon) for a in areas.areas
                        if a.lat is not None and a.lon is not None]
        self.ward = ward_circle(areas)
        self.outline = areas.ward.polygon if areas.ward is not None else None

    def place(self, lat: float, lon: float) -> tuple[str | None, bool]:
        """(area_id, outside): the area whose polygon holds the point; else, when the point is
        in the ward (within its radius plus MARGIN_KM of its point, or inside its own polygon
        when [ward] has one), the area with the nearest centre; else (None, True)."""
        for area_id, polygon in self.bounded:
            if geo.inside(lat, lon, polygon):
                return area_id, False
        in_outline = self.outline is not None and geo.inside(lat, lon, self.outline)
        if not in_outline and self.ward is not None and geo.distance_km(
                lat, lon, self.ward.lat, self.ward.lon) > self.ward.radius_km + MARGIN_KM:
            return None, True
        if not self.centres:
            return None, False  # in the ward, but no area has a centre to be near
        nearest = min(self.centres, key=lambda c: geo.distance_km(lat, lon, c[1], c[2]))
        return nearest[0], False


def ward_circle(areas: AreaCatalog) -> WardCircle | None:
    """The ward as a circle: its point and radius from areas.toml's [ward] table; without one,
    the circle around the areas' centres. None when nothing has coordinates."""
    if areas.ward is not None:
        return WardCircle(areas.ward.lat, areas.ward.lon, areas.ward.radius_km)
    centres = [(a.lat, a.lon) for a in areas.areas if a.lat is not None and a.lon is not None]
    if not centres:
        return None
    lat = sum(c[0] for c in centres) / len(centres)
    lon = sum(c[1] for c in centres) / len(centres)
    radius = max(geo.distance_km(lat, lon, c_lat, c_lon) for c_lat, c_lon in centres)
    return WardCircle(lat, lon, radius)


def coordinate_problems(areas: AreaCatalog) -> list[tuple[str, str]]:
    """(area_id, what is wrong) for `sansang content check`: coordinates that could not be read,
    a centre outside its own boundary, a centre or corner farther than the ward's radius (plus
    the margin) from the ward's point: each a sign of a typo or of lat and lon swapped."""
    found = list(areas.problems)
    ward = areas.ward
    circle = WardCircle(ward.lat, ward.lon, ward.radius_km) if ward is not None else None
    for area in areas.areas:
        if area.lat is None or area.lon is None:
            if area.polygon:
                found.append((area.id, f"area {area.id!r} has a polygon but no centre; give "
                                       "lat and lon too (a point inside it)"))
            continue
        if area.polygon and not geo.inside(area.lat, area.lon, area.polygon):
            found.append((area.id, f"area {area.id!r}: its centre ({area.lat}, {area.lon}) is "
                                   "not inside its polygon; are lat and lon the right way round?"))
        if circle is None:
            continue
        corners = [(area.lat, area.lon), *(area.polygon or ())]
        far = max(geo.distance_km(lat, lon, circle.lat, circle.lon) for lat, lon in corners)
        if far > circle.radius_km + MARGIN_KM:
            found.append((area.id, f"area {area.id!r} reaches {far:.1f} km from the ward's point "
                                   f"([ward] radius_km = {circle.radius_km}); are lat and lon "
                                   "right?"))
    return found
