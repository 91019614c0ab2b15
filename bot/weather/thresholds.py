"""Vietnam's warning thresholds (content/weather.toml) and the classification of a forecast's
days into hazard events.

The file gives each threshold with its source; nothing here hard-codes a number, so tests and
the ward read the same values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.errors import ContentError
from bot.weather.models import HAZARDS, DayForecast, Event, Forecast

# Which key of a [[<hazard>.category]] holds its bound, and how a value is compared with it.
BOUND_KEYS = {"rain": "above_mm", "wind": "from_beaufort", "heat": "from_c", "cold": "below_c"}
PLACEHOLDERS = ("name", "Name", "when", "strength", "ward", "steps")
CAP_SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CAP_URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


@dataclass(frozen=True)
class Category:
    level: int  # 1 = mildest
    name_vi: str
    name_en: str
    bound: float  # rain: mm above; wind: lowest Beaufort level; heat: °C from; cold: °C below


@dataclass(frozen=True)
class Step:
    """One line of "what to do" in a draft, shown from `from_level` up."""

    vi: str
    en: str
    from_level: int = 1
    until_level: int | None = None

    def applies(self, level: int) -> bool:
        return self.from_level <= level and (self.until_level is None
                                             or level <= self.until_level)


@dataclass(frozen=True)
class CapLevel:
    severity: str
    urgency: str
    certainty: str


@dataclass(frozen=True)
class HazardRule:
    hazard: str
    source: str
    categories: tuple[Category, ...]  # by level, mildest first
    guides: tuple[str, ...]
    template_vi: str
    template_en: str
    steps: tuple[Step, ...]
    cap: tuple[CapLevel, ...]  # one per category, by level

    def category(self, level: int) -> Category:
        return self.categories[level - 1]


@dataclass(frozen=True)
class CapSettings:
    sender: str
    sender_name_vi: str
    sender_name_en: str
    web: str
    levels: Mapping[str, tuple[CapLevel, ...]]  # hazard → one per level

    def level(self, hazard: str, level: int) -> CapLevel:
        found = self.levels[hazard]
        return found[min(level, len(found)) - 1]


@dataclass(frozen=True)
class WeatherSettings:
    path: Path
    horizon_days: int  # today and the next horizon_days - 1 days are drafted
    remind_after_minutes: int
    failures_before_notice: int
    beaufort: tuple[tuple[int, float], ...]  # (level, lowest km/h), ascending
    beaufort_source: str
    hazards: Mapping[str, HazardRule]
    footer_vi: str  # the 112 line and the source, under every draft
    footer_en: str
    one_day: Mapping[str, str]  # lang → "{day}"
    days: Mapping[str, str]  # lang → "từ {first} đến {last}"
    cap: CapSettings

    def beaufort_of(self, kmh: float | None) -> int | None:
        """The Beaufort level of a speed, from the table (None below its lowest level)."""
        if kmh is None:
            return None
        found = None
        for level, low in self.beaufort:
            if kmh >= low:
                found = level
        return found

    def guide_ids(self) -> set[str]:
        return {g for rule in self.hazards.values() for g in rule.guides}

    @classmethod
    def load(cls, path: Path) -> WeatherSettings:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"{path}: {exc}") from exc
        return _parse(path, data)


def _need(path: Path, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...],
          where: str) -> Any:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, kind) or value in ("", []):
        raise ContentError(f"{path}: {where} needs {key!r} ({_kind_name(kind)})")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"int": "a whole number", "float": "a number", "str": "a text",
                        "list": "a list", "dict": "a table"}.get(k.__name__, k.__name__)
                       for k in kinds)


def _int_in(path: Path, data: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = _need(path, data, key, int, "the file's top")
    if not low <= value <= high:
        raise ContentError(f"{path}: {key} = {value} is out of range ({low} to {high})")
    return int(value)


def _parse(path: Path, data: Mapping[str, Any]) -> WeatherSettings:
    horizon = _int_in(path, data, "horizon_days", 1, 7)
    remind = _int_in(path, data, "remind_after_minutes", 1, 7 * 24 * 60)
    failures = _int_in(path, data, "failures_before_notice", 1, 1000)
    table = _need(path, data, "beaufort", dict, "the file")
    rows = _need(path, table, "levels", list, "[beaufort]")
    beaufort: list[tuple[int, float]] = []
    for row in rows:
        if (not isinstance(row, list) or len(row) != 2
                or not all(isinstance(x, int | float) for x in row)):
            raise ContentError(f"{path}: [beaufort] levels are [level, lowest km/h] pairs, "
                               f"e.g. [6, 39]; found {row!r}")
        beaufort.append((int(row[0]), float(row[1])))
    if beaufort != sorted(beaufort) or len({b[0] for b in beaufort}) != len(beaufort):
        raise ContentError(f"{path}: [beaufort] levels must rise, each once")
    hazards = {h: _hazard(path, h, data) for h in HAZARDS}
    draft = _need(path, data, "draft", dict, "the file")
    cap = _need(path, data, "cap", dict, "the file")
    settings = WeatherSettings(
        path=path, horizon_days=horizon, remind_after_minutes=remind,
        failures_before_notice=failures, beaufort=tuple(beaufort),
        beaufort_source=str(_need(path, table, "source", str, "[beaufort]")),
        hazards=hazards,
        footer_vi=str(_need(path, draft, "footer_vi", str, "[draft]")).strip(),
        footer_en=str(_need(path, draft, "footer_en", str, "[draft]")).strip(),
        one_day={lang: _pattern(path, draft, f"one_day_{lang}", ("day",))
                 for lang in ("vi", "en")},
        days={lang: _pattern(path, draft, f"days_{lang}", ("first", "last"))
              for lang in ("vi", "en")},
        cap=CapSettings(
            sender=str(_need(path, cap, "sender", str, "[cap]")),
            sender_name_vi=str(_need(path, cap, "sender_name_vi", str, "[cap]")),
            sender_name_en=str(_need(path, cap, "sender_name_en", str, "[cap]")),
            web=str(_need(path, cap, "web", str, "[cap]")),
            levels={h: r.cap for h, r in hazards.items()},
        ),
    )
    wind_levels = {b[0] for b in settings.beaufort}
    for cat in hazards["wind"].categories:
        if int(cat.bound) not in wind_levels:
            raise ContentError(f"{path}: wind category {cat.level} starts at Beaufort level "
                               f"{cat.bound:g}, which is not in [beaufort] levels")
    return settings


def _pattern(path: Path, table: Mapping[str, Any], key: str, names: tuple[str, ...]) -> str:
    pattern = str(_need(path, table, key, str, "[draft]"))
    try:
        pattern.format(**dict.fromkeys(names, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise ContentError(f"{path}: [draft] {key} may only use "
                           f"{', '.join('{' + n + '}' for n in names)} ({exc})") from exc
    return pattern


def _hazard(path: Path, hazard: str, data: Mapping[str, Any]) -> HazardRule:
    where = f"[{hazard}]"
    raw = _need(path, data, hazard, dict, "the file")
    bound_key = BOUND_KEYS[hazard]
    categories: list[Category] = []
    for i, cat in enumerate(_need(path, raw, "category", list, where), start=1):
        cwhere = f"[[{hazard}.category]] #{i}"
        level = _need(path, cat, "level", int, cwhere)
        if level != i:
            raise ContentError(f"{path}: {cwhere} has level {level}; levels are 1, 2, 3 ... "
                               "in order, mildest first")
        categories.append(Category(
            level=level, name_vi=str(_need(path, cat, "vi", str, cwhere)),
            name_en=str(_need(path, cat, "en", str, cwhere)),
            bound=float(_need(path, cat, bound_key, int | float, cwhere)),
        ))
    bounds = [c.bound for c in categories]
    rising = sorted(bounds, reverse=hazard == "cold")
    if bounds != rising or len(set(bounds)) != len(bounds):
        raise ContentError(f"{path}: the {bound_key} of [[{hazard}.category]] must "
                           f"{'fall' if hazard == 'cold' else 'rise'} with the level")
    text = _need(path, raw, "text", dict, where)
    templates = {}
    for lang in ("vi", "en"):
        template = str(_need(path, text, lang, str, f"[{hazard}.text]")).strip()
        try:
            template.format(**dict.fromkeys(PLACEHOLDERS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ContentError(
                f"{path}: [{hazard}.text] {lang} has a placeholder that is not one of "
                f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)} ({exc}); write a literal "
                "brace as {{ or }}") from exc
        templates[lang] = template
    steps = tuple(
        Step(vi=str(_need(path, s, "vi", str, f"[[{hazard}.step]]")),
             en=str(_need(path, s, "en", str, f"[[{hazard}.step]]")),
             from_level=int(s.get("from_level", 1)),
             until_level=None if s.get("until_level") is None else int(s["until_level"]))
        for s in raw.get("step", [])
    )
    cap_raw = _need(path, raw, "cap", dict, where)
    severities = _need(path, cap_raw, "severity", list, f"[{hazard}.cap]")
    if len(severities) != len(categories) or any(s not in CAP_SEVERITIES for s in severities):
        raise ContentError(f"{path}: [{hazard}.cap] severity needs one of "
                           f"{', '.join(CAP_SEVERITIES)} per category ({len(categories)})")
    urgency = str(cap_raw.get("urgency", "Expected"))
    certainty = str(cap_raw.get("certainty", "Likely"))
    if urgency not in CAP_URGENCIES or certainty not in CAP_CERTAINTIES:
        raise ContentError(f"{path}: [{hazard}.cap] urgency is one of "
                           f"{', '.join(CAP_URGENCIES)}; certainty one of "
                           f"{', '.join(CAP_CERTAINTIES)}")
    guides = _need(path, raw, "guides", list, where)
    return HazardRule(
        hazard=hazard, source=str(_need(path, raw, "source", str, where)),
        categories=tuple(categories), guides=tuple(str(g) for g in guides),
        template_vi=templates["vi"], template_en=templates["en"], steps=steps,
        cap=tuple(CapLevel(str(s), urgency, certainty) for s in severities),
    )


def day_level(settings: WeatherSettings, hazard: str,
              day: DayForecast) -> tuple[int, float] | None:
    """(level, the value that set it) of one hazard on one day, or None below every category
    or when the forecast has no value for it."""
    rule = settings.hazards[hazard]
    value: float | None
    if hazard == "rain":
        value = day.rain_mm
        hits = [c.level for c in rule.categories if value is not None and value > c.bound]
    elif hazard == "heat":
        value = day.temp_max
        hits = [c.level for c in rule.categories if value is not None and value >= c.bound]
    elif hazard == "cold":
        value = day.temp_mean
        hits = [c.level for c in rule.categories if value is not None and value < c.bound]
    else:
        speeds = [v for v in (day.wind_kmh, day.gust_kmh) if v is not None]
        value = max(speeds) if speeds else None
        beaufort = settings.beaufort_of(value)
        hits = [c.level for c in rule.categories
                if beaufort is not None and beaufort >= c.bound]
    if value is None or not hits:
        return None
    return max(hits), value


def classify(forecast: Forecast, settings: WeatherSettings, today: date) -> list[Event]:
    """The hazard events of the drafting horizon (today and the next horizon_days - 1 days):
    each hazard's runs of consecutive days at some category, in hazard then date order."""
    end = today + timedelta(days=settings.horizon_days)
    days = sorted((d for d in forecast.days if today <= d.day < end), key=lambda d: d.day)
    events: list[Event] = []
    for hazard in HAZARDS:
        run: list[tuple[DayForecast, int, float]] = []
        for d in days:
            found = day_level(settings, hazard, d)
            if found is not None and run and d.day - run[-1][0].day != timedelta(days=1):
                events.append(_event(settings, hazard, run))
                run = []
            if found is not None:
                run.append((d, *found))
            elif run:
                events.append(_event(settings, hazard, run))
                run = []
        if run:
            events.append(_event(settings, hazard, run))
    return events


def _event(settings: WeatherSettings, hazard: str,
           run: Iterable[tuple[DayForecast, int, float]]) -> Event:
    run = list(run)
    sign = -1 if hazard == "cold" else 1  # the coldest day is the cold spell's peak
    peak, level, value = max(run, key=lambda r: (r[1], sign * r[2], -r[0].day.toordinal()))
    rule = settings.hazards[hazard]
    cat = rule.category(level)
    return Event(
        hazard=hazard, level=level, name_vi=cat.name_vi, name_en=cat.name_en,
        first_day=run[0][0].day, last_day=run[-1][0].day, peak_day=peak.day, value=value,
        beaufort=settings.beaufort_of(peak.wind_kmh) if hazard == "wind" else None,
        gust_beaufort=settings.beaufort_of(peak.gust_kmh) if hazard == "wind" else None,
        days=tuple((d.day, lv) for d, lv, _v in run), guides=rule.guides,
    )
