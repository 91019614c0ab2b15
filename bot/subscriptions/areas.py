"""The ward's neighbourhoods (areas) and named groups of them, read from content/areas.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ContentError
from bot.i18n import Bilingual

AREA_ID = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Area(Bilingual):
    id: str


@dataclass(frozen=True)
class AreaGroup(Bilingual):
    id: str
    area_ids: tuple[str, ...]


@dataclass(frozen=True)
class AreaCatalog:
    areas: tuple[Area, ...]
    groups: tuple[AreaGroup, ...]
    sample: bool

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
            areas.append(Area(id=area_id, name_vi=str(raw["vi"]), name_en=str(raw["en"])))
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
        return cls(tuple(areas), tuple(groups), bool(data.get("sample", False)))
