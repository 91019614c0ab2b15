"""Distances on the Earth, points in polygons and 100 m clusters: the geometry of flood reports.

Degrees in, kilometres or metres out. Good to a few metres at a ward's scale, which is all a
resident's phone gives anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def inside(lat: float, lon: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Whether a point lies inside a polygon of [lat, lon] corners (ray casting; an area is
    small enough for degrees to be treated as a plane)."""
    found = False
    n = len(polygon)
    for i in range(n):
        (lat_a, lon_a), (lat_b, lon_b) = polygon[i], polygon[(i + 1) % n]
        if (lat_a > lat) != (lat_b > lat):
            crossing = lon_a + (lat - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
            if lon < crossing:
                found = not found
    return found


def clusters(points: Sequence[tuple[float, float]], within_m: float = 100.0) -> list[list[int]]:
    """Single-link clusters: two points closer than `within_m` metres are in the same cluster,
    and so is everything linked to them through such steps. Lists of indexes into `points`,
    each in increasing order, the clusters ordered by their first index.

    Points are put in a grid of cells at least `within_m` wide, so each is compared only with
    those of the 9 cells around it (a year of a ward's reports stays well under a second).
    """
    if not points:
        return []
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    within_km = within_m / 1000
    cell_lat = 1.05 * within_km / KM_PER_DEGREE  # a little wider than the distance: rounding
    widest = max(min(abs(lat), 89.0) for lat, _lon in points)
    cell_lon = cell_lat / math.cos(math.radians(widest))
    grid: dict[tuple[int, int], list[int]] = {}
    for i, (lat, lon) in enumerate(points):
        key = (math.floor(lat / cell_lat), math.floor(lon / cell_lon))
        grid.setdefault(key, []).append(i)
    for (row, col), members in grid.items():
        for d_row in (-1, 0, 1):
            for d_col in (-1, 0, 1):
                others = grid.get((row + d_row, col + d_col), [])
                for i in members:
                    for j in others:
                        if j <= i or root(i) == root(j):
                            continue
                        if distance_km(*points[i], *points[j]) <= within_km:
                            parent[root(j)] = root(i)
    found: dict[int, list[int]] = {}
    for i in range(len(points)):
        found.setdefault(root(i), []).append(i)
    return sorted(found.values(), key=lambda c: c[0])
