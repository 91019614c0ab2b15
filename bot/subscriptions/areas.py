"""The ward's neighbourhoods (areas) and named groups of them, and the ward's place on the map
(for the forecast and CAP alerts), read from content/areas.toml."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ContentError
from bot.i18n import Bilingual

AREA_ID = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Area(Bilingual):
    id: str
    # Its centre (WGS 84 degrees) and, when the ward drew it, its boundary as [lat, lon]
    # corners: flood reports are placed in the area whose boundary or nearest centre holds them.
    lat: float | None = None
    lon: float | None = None
    polygon: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True)
class AreaGroup(Bilingual):
    id: str
    area_ids: tuple[str, ...]


WARD_EXAMPLE = """[ward]
vi = "Phường Lê Chân"
en = "Lê Chân ward"
lat = 20.850
lon = 106.681
radius_km = 2.5"""


@dataclass(frozen=True)
class WardPlace:
    """The ward as a place: its names, the point the forecast is asked for, and its extent."""

    name_vi: str
    name_en: str
    lat: float
    lon: float
    radius_km: float
    polygon: tuple[tuple[float, float], ...] | None  # (lat, lon) corners, closed or not

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class AreaCatalog:
    areas: tuple[Area, ...]
    groups: tuple[AreaGroup, ...]
    sample: bool
    ward: WardPlace | None = None  # None: the file has no [ward] (weather cannot run)
    path: Path | None = None

    def require_ward(self) -> WardPlace:
        """The ward's place, or a ContentError naming the file and showing an example."""
        if self.ward is None:
            where = self.path or "content/areas.toml"
            raise ContentError(
                f"{where}: no [ward] table. The weather advisories need the ward's name and "
                f"place; add, for example:\n{WARD_EXAMPLE}\n(or turn the forecast off with "
                "SANSANG_WEATHER=off)"
            )
        return self.ward
    # (area_id, what is wrong) of coordinates that could not be used: the area itself loads
    # without them, so a typo never stops the bot; `sansang content check` lists each one.
    problems: tuple[tuple[str, str], ...] = ()

    def get(self, area_id: str | None) -> Area | None:
        if area_id is None:
            return None
        for area in self.areas:
            if area.id == area_id:
                return area
        return None

    def name(self, area_id: str | None, lang: str) -> str:
        area = self.get(area_id)
        return area.name(lang) if area else (area_id or "")

    @classmethod
    def load(cls, path: Path) -> AreaCatalog:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"{path}: {exc}") from exc
        areas: list[Area] = []
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for i, raw in enumerate(data.get("area", []), start=1):
            area_id = str(raw.get("id", ""))
            if not AREA_ID.match(area_id):
                raise ContentError(
                    f"{path}: area #{i} has id {area_id!r}; ids are 1-32 of a-z 0-9 _ - "
                    "(example: id = \"to-dan-pho-1\")"
                )
            if area_id in seen:
                raise ContentError(f"{path}: area id {area_id!r} appears twice")
            if not raw.get("vi") or not raw.get("en"):
                raise ContentError(f"{path}: area {area_id!r} needs both 'vi' and 'en' names")
            seen.add(area_id)
            lat, lon, polygon = _coordinates(area_id, raw, problems)
            areas.append(Area(id=area_id, name_vi=str(raw["vi"]), name_en=str(raw["en"]),
                              lat=lat, lon=lon, polygon=polygon))
        if not areas:
            raise ContentError(f"{path}: no [[area]] entries")
        groups: list[AreaGroup] = []
        for raw in data.get("group", []):
            group_id = str(raw.get("id", ""))
            members = tuple(str(a) for a in raw.get("areas", []))
            if not AREA_ID.match(group_id) or group_id in seen:
                raise ContentError(f"{path}: group id {group_id!r} is invalid or not unique")
            missing = [a for a in members if a not in {x.id for x in areas}]
            if missing or not members:
                raise ContentError(f"{path}: group {group_id!r} names unknown areas {missing}")
            seen.add(group_id)
            groups.append(
                AreaGroup(id=group_id, name_vi=str(raw["vi"]), name_en=str(raw["en"]),
                          area_ids=members)
            )
        ward = _ward(path, data["ward"]) if "ward" in data else None
        return cls(tuple(areas), tuple(groups), bool(data.get("sample", False)), ward, path,
                   tuple(problems))


def _ward(path: Path, raw: object) -> WardPlace:
    def bad(what: str) -> ContentError:
        return ContentError(f"{path}: [ward] {what}. Example:\n{WARD_EXAMPLE}")

    if not isinstance(raw, dict):
        raise bad("must be a table")
    names = [raw.get(k) for k in ("vi", "en")]
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise bad("needs both 'vi' and 'en' names")
    numbers = {}
    for key, low, high in (("lat", -90, 90), ("lon", -180, 180), ("radius_km", 0.01, 500)):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad(f"needs {key!r}, a number")
        if not low <= value <= high:
            raise bad(f"{key} = {value} is out of range ({low} to {high})")
        numbers[key] = float(value)
    polygon = None
    if "polygon" in raw:
        points = raw["polygon"]
        if (not isinstance(points, list) or len(points) < 3 or not all(
                isinstance(p, list) and len(p) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
                for p in points)):
            raise bad("polygon is at least 3 [lat, lon] pairs")
        polygon = tuple((float(p[0]), float(p[1])) for p in points)
    return WardPlace(str(names[0]).strip(), str(names[1]).strip(), numbers["lat"],
                     numbers["lon"], numbers["radius_km"], polygon)


def _degrees(value: Any, low: float, high: float) -> float | None:
    """A latitude or longitude as a float, or None when it is not a number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def _coordinates(
    area_id: str, raw: dict[str, Any], problems: list[tuple[str, str]],
) -> tuple[float | None, float | None, tuple[tuple[float, float], ...] | None]:
    """An area's centre and boundary; each one that is wrong is left out and named in
    `problems` (what is wrong, and an example of a right value)."""
    lat = lon = None
    if "lat" in raw or "lon" in raw:
        lat = _degrees(raw.get("lat"), -90, 90)
        lon = _degrees(raw.get("lon"), -180, 180)
        if lat is None or lon is None:
            problems.append((
                area_id,
                f"area {area_id!r}: lat = {raw.get('lat')!r}, lon = {raw.get('lon')!r} is not a "
                "point; "
                "lat is a number from -90 to 90 and lon one from -180 to 180, both in degrees "
                "(example: lat = 20.8465, lon = 106.6830)"))
            lat = lon = None
    polygon = None
    if "polygon" in raw:
        corners = raw["polygon"]
        found: list[tuple[float, float]] = []
        if isinstance(corners, list):
            for corner in corners:
                if not isinstance(corner, list) or len(corner) != 2:
                    break
                c_lat, c_lon = _degrees(corner[0], -90, 90), _degrees(corner[1], -180, 180)
                if c_lat is None or c_lon is None:
                    break
                found.append((c_lat, c_lon))
            else:
                if len(found) >= 3:
                    polygon = tuple(found)
        if polygon is None:
            problems.append((
                area_id,
                f"area {area_id!r}: polygon must be a list of at least 3 [lat, lon] corners in "
                "degrees (example: polygon = [[20.850, 106.680], [20.850, 106.690], "
                "[20.845, 106.685]])"))
    return lat, lon, polygon
