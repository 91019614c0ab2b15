"""Seasonal campaigns: files in broadcasts/ that send a message every week of a season.

At start every file is synced into the `campaigns` table by its stable key (editing a file and
restarting updates it; removing it stops it; a pause set by staff survives). Each week's
occurrence becomes an ordinary broadcast, once, keyed by (campaign, local date).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.broadcasts.broadcasts import RECIPIENT_KINDS, BroadcastError, Broadcasts, check_kinds
from bot.errors import ContentError
from bot.notices import Notice, Notices
from bot.store import Database, audit, utcnow
from bot.store import broadcasts as broadcast_store
from bot.store import campaigns as store

logger = logging.getLogger(__name__)

STAFF_PREFIX = "staff-"  # weekly broadcasts made in /broadcast: not from files, never synced away
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Campaign:
    key: str
    name_vi: str
    name_en: str
    season_from: tuple[int, int]  # (month, day), inclusive
    season_to: tuple[int, int]
    weekday: int  # 0 = Monday
    at: time
    targets: tuple[str, ...] | None  # None: everyone
    urgent: bool
    text_vi: str
    text_en: str | None
    guide: str | None
    paused: bool = False
    until: date | None = None  # staff's weekly broadcasts end on a date; files recur yearly
    path: Path | None = field(default=None, compare=False)  # the file it was read from
    kinds: tuple[str, ...] | None = None  # recipient kinds (household, school, ...); None: all
    last_week_only: bool = False  # only the last such weekday of each month (`week = "last"`)

    def in_season(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.season_from <= self.season_to:
            return self.season_from <= md <= self.season_to
        return md >= self.season_from or md <= self.season_to  # across new year (cold season)

    def occurrences(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """Local send times in [start, end], in season, on the campaign's weekday."""
        found = []
        day = start.astimezone(tz).date()
        while day <= end.astimezone(tz).date():
            if self.until is not None and day > self.until:
                break
            if (day.weekday() == self.weekday and self.in_season(day)
                    and (not self.last_week_only
                         or (day + timedelta(days=7)).month != day.month)):
                moment = datetime.combine(day, self.at, tzinfo=tz)
                if start <= moment <= end:
                    found.append(moment)
            day += timedelta(days=1)
        return found

    def next_after(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        upcoming = self.occurrences(moment, moment + timedelta(days=372), tz)
        return upcoming[0] if upcoming else None


def _month_day(value: str, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if not m:
        raise ContentError(f"{where}: season dates are MM-DD, e.g. \"06-01\"")
    month, day = int(m.group(1)), int(m.group(2))
    date(2024, month, day)  # raises on 02-30
    return month, day


def read_file(path: Path, known_guides: set[str]) -> Campaign:
    """One campaign file; ContentError naming the file if it is malformed.

    Its target areas are not checked here: an area removed from areas.toml is not the file's
    fault, and the campaign then goes to the areas that remain (see `Campaigns.plan`)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        key = str(data["key"])
        if not KEY.match(key):
            raise ContentError(f"{path}: key {key!r} must be lower-case letters, digits, '-'")
        hour, minute = (int(x) for x in str(data["time"]).split(":"))
        target = data.get("target", "all")
        targets = None if target == "all" else tuple(str(t) for t in target)
        guide = data.get("guide")
        if guide is not None and guide not in known_guides:
            raise ContentError(f"{path}: guide {guide!r} is not in the library")
        weekday = WEEKDAYS.index(str(data["weekday"]).lower())
        kinds = _read_kinds(data.get("kinds"), path)
        week = data.get("week", "every")
        if week not in ("every", "last"):
            raise ContentError(f"{path}: week {week!r} must be \"every\" (default) or "
                               "\"last\" (the last such weekday of each month)")
        return Campaign(
            key=key, name_vi=str(data["name_vi"]), name_en=str(data["name_en"]),
            season_from=_month_day(str(data["season"]["from"]), str(path)),
            season_to=_month_day(str(data["season"]["to"]), str(path)),
            weekday=weekday, at=time(hour, minute), targets=targets,
            urgent=bool(data.get("urgent", False)), text_vi=str(data["text_vi"]).strip(),
            text_en=str(data["text_en"]).strip() if data.get("text_en") else None,
            guide=guide, path=path, kinds=kinds, last_week_only=week == "last",
        )
    except ContentError:
        raise
    except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: {type(exc).__name__}: {exc}") from exc


def _read_kinds(value: object, path: Path) -> tuple[str, ...] | None:
    """A file's `kinds = [...]`: the recipient kinds it goes to (absent: every kind)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ContentError(f"{path}: kinds must be a list of recipient kinds, e.g. "
                           f"[\"school\"] (choose from {', '.join(RECIPIENT_KINDS)})")
    try:
        return check_kinds(value)
    except BroadcastError as exc:
        raise ContentError(f"{path}: kinds: {exc}") from exc


def load_each(folder: Path, known_guides: set[str]) -> tuple[list[Campaign], list[str]]:
    """Every readable campaign file of the folder, and a problem line for each one that is not
    (a bad file never hides the others)."""
    found: list[Campaign] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            campaign = read_file(path, known_guides)
        except (ContentError, OSError) as exc:
            problems.append(str(exc))
            continue
        if any(c.key == campaign.key for c in found):
            problems.append(f"{path}: key {campaign.key!r} is used by another file")
            continue
        found.append(campaign)
    return found, problems


def unknown_areas(campaign: Campaign, known_areas: set[str]) -> list[str]:
    """The targets of a campaign that are neither an area nor a group of areas."""
    return sorted(set(campaign.targets or ()) - known_areas)


def load(folder: Path, known_areas: set[str], known_guides: set[str]) -> list[Campaign]:
    """The folder's campaigns, strictly: the first problem (a malformed file, or a target not
    in the area list) raises ContentError naming the file."""
    found, problems = load_each(folder, known_guides)
    if problems:
        raise ContentError(problems[0])
    for c in found:
        missing = unknown_areas(c, known_areas)
        if missing:
            raise ContentError(f"{c.path}: target names unknown areas {missing}")
    return found


def stored_staff_campaigns(db_path: Path) -> list[Campaign]:
    """Staff's weekly broadcasts stored in the database at `db_path`, read without writing
    anything; none when there is no database there yet."""
    return [_from_spec(json.loads(spec), False)
            for spec in store.staff_specs_readonly(db_path, STAFF_PREFIX) or []]


class Campaigns:
    def __init__(self, db: Database, broadcasts: Broadcasts, tz: ZoneInfo,
                 notices: Notices | None = None) -> None:
        self.db = db
        self.broadcasts = broadcasts
        self.tz = tz
        self.notices = notices

    async def sync(self, campaigns: list[Campaign], *, remove: bool = True) -> None:
        """Make the table match the files; keep pauses; cancel what removed campaigns planned.

        `remove` False: add and update only (some files could not be read, or the folder is
        suspiciously empty): nothing is deleted on a guess."""
        now = utcnow()
        keep = {c.key for c in campaigns}
        changed = []
        async with self.db.transaction() as conn:
            for c in campaigns:
                spec = json.dumps(_spec(c), ensure_ascii=False, sort_keys=True)
                if await store.upsert(conn, c.key, spec, now):
                    changed.append(c.key)
            for key in await store.keys(conn) if remove else []:
                if key not in keep and not key.startswith(STAFF_PREFIX):
                    await store.delete(conn, key)
                    await broadcast_store.cancel_scheduled_of_campaign(conn, key, now)
                    logger.info("campaign %s removed; its scheduled broadcasts cancelled", key)
        if self.notices is not None:
            for key in changed:  # an edited file: its old problems may be gone, or come back
                await self.notices.forget(f"campaign:{key}:")

    async def file_campaigns(self) -> int:
        """How many campaigns in the table came from files (not staff's weekly ones)."""
        return sum(1 for r in await store.all_rows(self.db)
                   if not str(r["key"]).startswith(STAFF_PREFIX))

    async def add_weekly(self, campaign: Campaign, actor: str) -> Campaign:
        """A weekly broadcast made by staff: stored like a campaign, audited.

        Its key takes a random token (never a count: two made at once would share it)."""
        now = utcnow()
        async with self.db.transaction() as conn:
            for _attempt in range(5):
                key = f"{STAFF_PREFIX}{now[:10]}-{secrets.token_hex(4)}"
                campaign = Campaign(**{**campaign.__dict__, "key": key})
                spec = json.dumps(_spec(campaign), ensure_ascii=False)
                if await store.insert_new(conn, key, spec, now):
                    break
            else:  # pragma: no cover - 2^32 tokens a day
                raise RuntimeError("no free key for a weekly broadcast")
            await audit.record(conn, actor, "campaign.create", key, spec, at=now)
        return campaign

    async def all(self) -> list[Campaign]:
        rows = await store.all_rows(self.db)
        return [_from_spec(json.loads(r["spec"]), bool(r["paused"])) for r in rows]

    async def set_paused(self, key: str, paused: bool, actor: str) -> bool:
        now = utcnow()
        async with self.db.transaction() as conn:
            if not await store.set_paused(conn, key, paused):
                return False
            await audit.record(conn, actor, "campaign.pause" if paused else "campaign.resume",
                               key, at=now)
            if paused:
                await broadcast_store.cancel_scheduled_of_campaign(conn, key, now)
        if not paused and self.notices is not None:  # resumed: a problem that is back is told
            await self.notices.forget(f"campaign:{key}:")
        return True

    async def plan(self, now: datetime, horizon: timedelta = timedelta(days=8)) -> list[int]:
        """Create the broadcasts of the coming week's occurrences (each once).

        Each campaign is planned on its own: one that fails (or names areas no longer in the
        area list) is logged and told to staff once, and the others are planned all the same."""
        created: list[int] = []
        for r in await store.all_rows(self.db):
            if r["paused"]:
                continue
            key = str(r["key"])
            try:
                created += await self._plan_one(r, now, horizon)
            except Exception as exc:
                first = await self._tell(Notice(
                    f"campaign:{key}:failed:{type(exc).__name__}", "campaign_failed",
                    {"key": key, "name_vi": key, "name_en": key,
                     "problem": str(exc) or type(exc).__name__},
                    "log"))
                if first:
                    logger.exception("campaign %s could not be planned; the others go on", key)
        return created

    async def _plan_one(self, r: Any, now: datetime, horizon: timedelta) -> list[int]:
        c = _from_spec(json.loads(r["spec"]), False)
        since = max(now - timedelta(minutes=1), datetime.fromisoformat(r["synced_at"]))
        moments = [m for m in c.occurrences(since, now + horizon, self.tz)
                   if not await broadcast_store.occurrence_exists(
                       self.db, c.key, m.date().isoformat())]
        if not moments:
            return []
        targets = c.targets
        if targets is not None:
            remaining, missing = self.broadcasts.known_targets(targets)
            if missing:
                params = {"key": c.key, "name_vi": c.name_vi, "name_en": c.name_en,
                          "areas": ", ".join(missing)}
                fix = "staff" if c.key.startswith(STAFF_PREFIX) else "file"
                if not remaining:
                    await self.set_paused(c.key, True, actor="system")
                    logger.warning("campaign %s paused: none of its areas %s is known",
                                   c.key, list(missing))
                    await self._tell(Notice(f"campaign:{c.key}:paused:{','.join(missing)}",
                                            "campaign_paused", params, fix))
                    return []
                await self._tell(Notice(f"campaign:{c.key}:dropped:{','.join(missing)}",
                                        "campaign_areas_dropped", params, fix))
                targets = remaining
        created = []
        for moment in moments:
            b = await self.broadcasts.create(
                c.text_vi, text_en=c.text_en, targets=targets, send_at=moment,
                urgent=c.urgent, created_by="campaign", campaign=c.key,
                occurrence=moment.date().isoformat(), kinds=c.kinds,
            )
            created.append(b.id)
        return created

    async def _tell(self, notice: Notice) -> bool:
        if self.notices is None:
            logger.warning("campaign problem: %s %s", notice.kind, notice.params)
            return True
        return await self.notices.tell(notice)


def _spec(c: Campaign) -> dict[str, object]:
    extra: dict[str, object] = {}  # only when set: the specs stored before them stay the same
    if c.kinds is not None:
        extra["kinds"] = list(c.kinds)
    if c.last_week_only:
        extra["week"] = "last"
    return extra | {"key": c.key, "name_vi": c.name_vi, "name_en": c.name_en,
            "season_from": list(c.season_from), "season_to": list(c.season_to),
            "weekday": c.weekday, "at": c.at.strftime("%H:%M"),
            "targets": list(c.targets) if c.targets is not None else None,
            "urgent": c.urgent, "text_vi": c.text_vi, "text_en": c.text_en, "guide": c.guide,
            "until": c.until.isoformat() if c.until else None}


def _from_spec(s: dict[str, object], paused: bool) -> Campaign:
    hour, minute = (int(x) for x in str(s["at"]).split(":"))
    targets = s["targets"]
    return Campaign(
        key=str(s["key"]), name_vi=str(s["name_vi"]), name_en=str(s["name_en"]),
        season_from=tuple(s["season_from"]),  # type: ignore[arg-type]
        season_to=tuple(s["season_to"]),  # type: ignore[arg-type]
        weekday=int(s["weekday"]),  # type: ignore[call-overload]
        at=time(hour, minute),
        targets=tuple(targets) if isinstance(targets, list) else None,
        urgent=bool(s["urgent"]), text_vi=str(s["text_vi"]),
        text_en=str(s["text_en"]) if s["text_en"] else None,
        guide=str(s["guide"]) if s["guide"] else None, paused=paused,
        until=date.fromisoformat(str(s["until"])) if s.get("until") else None,
        kinds=tuple(s["kinds"]) if isinstance(s.get("kinds"), list) else None,  # type: ignore[arg-type]
        last_week_only=s.get("week") == "last",
    )

