"""Seasonal campaigns: files in broadcasts/ that send a message every week of a season.

At start every file is synced into the `campaigns` table by its stable key (editing a file and
restarting updates it; removing it stops it; a pause set by staff survives). Each week's
occurrence becomes an ordinary broadcast, once, keyed by (campaign, local date).
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.broadcasts import Broadcasts
from bot.errors import ContentError
from bot.store import Database, utcnow

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
            if day.weekday() == self.weekday and self.in_season(day):
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


def load(folder: Path, known_areas: set[str], known_guides: set[str]) -> list[Campaign]:
    campaigns = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            key = str(data["key"])
            if not KEY.match(key):
                raise ContentError(f"{path}: key {key!r} must be lower-case letters, digits, '-'")
            hour, minute = (int(x) for x in str(data["time"]).split(":"))
            target = data.get("target", "all")
            targets = None if target == "all" else tuple(str(t) for t in target)
            if targets is not None and not set(targets) <= known_areas:
                raise ContentError(f"{path}: target names unknown areas "
                                   f"{sorted(set(targets) - known_areas)}")
            guide = data.get("guide")
            if guide is not None and guide not in known_guides:
                raise ContentError(f"{path}: guide {guide!r} is not in the library")
            weekday = WEEKDAYS.index(str(data["weekday"]).lower())
            campaigns.append(Campaign(
                key=key, name_vi=str(data["name_vi"]), name_en=str(data["name_en"]),
                season_from=_month_day(str(data["season"]["from"]), str(path)),
                season_to=_month_day(str(data["season"]["to"]), str(path)),
                weekday=weekday, at=time(hour, minute), targets=targets,
                urgent=bool(data.get("urgent", False)), text_vi=str(data["text_vi"]).strip(),
                text_en=str(data["text_en"]).strip() if data.get("text_en") else None,
                guide=guide,
            ))
        except ContentError:
            raise
        except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"{path}: {type(exc).__name__}: {exc}") from exc
    keys = [c.key for c in campaigns]
    if len(keys) != len(set(keys)):
        raise ContentError(f"{folder}: two campaigns share a key")
    return campaigns


class Campaigns:
    def __init__(self, db: Database, broadcasts: Broadcasts, tz: ZoneInfo) -> None:
        self.db = db
        self.broadcasts = broadcasts
        self.tz = tz

    async def sync(self, campaigns: list[Campaign]) -> None:
        """Make the table match the files; keep pauses; cancel what removed campaigns planned."""
        now = utcnow()
        keep = {c.key for c in campaigns}
        async with self.db.transaction() as conn:
            for c in campaigns:
                spec = json.dumps(_spec(c), ensure_ascii=False, sort_keys=True)
                await conn.execute(
                    "INSERT INTO campaigns (key, spec, synced_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET spec = excluded.spec",
                    (c.key, spec, now),
                )
            async with conn.execute("SELECT key FROM campaigns") as cur:
                stored = [r[0] for r in await cur.fetchall()]
            for key in stored:
                if key not in keep and not key.startswith(STAFF_PREFIX):
                    await conn.execute("DELETE FROM campaigns WHERE key = ?", (key,))
                    await conn.execute(
                        "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
                        "WHERE campaign = ? AND status = 'scheduled'", (now, key),
                    )
                    logger.info("campaign %s removed; its scheduled broadcasts cancelled", key)

    async def add_weekly(self, campaign: Campaign, actor: str) -> Campaign:
        """A weekly broadcast made by staff: stored like a campaign, audited."""
        row = await self.db.fetchone("SELECT COUNT(*) FROM campaigns WHERE key LIKE ?",
                                     (STAFF_PREFIX + "%",))
        key = f"{STAFF_PREFIX}{(row[0] if row else 0) + 1}-{utcnow()[:10]}"
        campaign = Campaign(**{**campaign.__dict__, "key": key})
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO campaigns (key, spec, synced_at) VALUES (?, ?, ?)",
                (key, json.dumps(_spec(campaign), ensure_ascii=False), utcnow()),
            )
            await conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (utcnow(), actor, "campaign.create", key, json.dumps(_spec(campaign),
                                                                     ensure_ascii=False)),
            )
        return campaign

    async def all(self) -> list[Campaign]:
        rows = await self.db.fetchall("SELECT key, paused, spec FROM campaigns ORDER BY key")
        return [_from_spec(json.loads(r["spec"]), bool(r["paused"])) for r in rows]

    async def set_paused(self, key: str, paused: bool, actor: str) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute("UPDATE campaigns SET paused = ? WHERE key = ?",
                                     (int(paused), key))
            if cur.rowcount != 1:
                return False
            await conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (utcnow(), actor, "campaign.pause" if paused else "campaign.resume", key, None),
            )
            if paused:
                await conn.execute(
                    "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
                    "WHERE campaign = ? AND status = 'scheduled'", (utcnow(), key),
                )
        return True

    async def plan(self, now: datetime, horizon: timedelta = timedelta(days=8)) -> list[int]:
        """Create the broadcasts of the coming week's occurrences (each once)."""
        created = []
        rows = await self.db.fetchall("SELECT key, paused, spec, synced_at FROM campaigns")
        for r in rows:
            if r["paused"]:
                continue
            c = _from_spec(json.loads(r["spec"]), False)
            since = max(now - timedelta(minutes=1), datetime.fromisoformat(r["synced_at"]))
            for moment in c.occurrences(since, now + horizon, self.tz):
                exists = await self.db.fetchone(
                    "SELECT 1 FROM broadcasts WHERE campaign = ? AND occurrence = ?",
                    (c.key, moment.date().isoformat()),
                )
                if exists:
                    continue
                b = await self.broadcasts.create(
                    c.text_vi, text_en=c.text_en, targets=c.targets, send_at=moment,
                    urgent=c.urgent, created_by="campaign", campaign=c.key,
                    occurrence=moment.date().isoformat(),
                )
                created.append(b.id)
        return created


def _spec(c: Campaign) -> dict[str, object]:
    return {"key": c.key, "name_vi": c.name_vi, "name_en": c.name_en,
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
    )

