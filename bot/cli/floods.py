"""`sansang reports`: the flooding points residents' reports make, worst first.

Text, one point a line: `<lat>\t<lon>\t<reports>\t<worst_depth>\t<last_seen>\t<area_id or ->`
(last_seen in local time, ISO 8601). `--json`: a JSON array of objects with `lat, lon, reports,
worst_depth, first_seen, last_seen, area_id, outside`. `--map PATH.html`: the map file
(bot/floods/map.py). Read-only on SANSANG_DB; never prints who reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from bot.config import Config
from bot.floods.models import FloodPoint
from bot.floods.reports import FloodReports
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reports = sub.add_parser(
        "reports", help="flooding points from residents' flood reports, worst first: <lat> TAB "
                        "<lon> TAB <reports> TAB <worst_depth> TAB <last_seen> TAB <area_id>")
    reports.add_argument("--json", action="store_true", help="as a JSON array")
    reports.add_argument("--map", metavar="PATH.html",
                         help="write one self-contained HTML map of the points")
    reports.add_argument("--from", dest="from_", metavar="YYYY-MM-DD",
                         help="only reports from this local day (with --to)")
    reports.add_argument("--to", metavar="YYYY-MM-DD", help="to this local day, included")


def usage(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, before any database is opened."""
    if args.from_ is None and args.to is None:
        return None
    if args.from_ is None or args.to is None:
        return "give both --from and --to (local days like 2026-10-01), or neither for all"
    from bot.reports.stats import Period

    try:
        Period.parse(from_=args.from_, to=args.to)
    except ValueError as exc:
        return str(exc)
    return None


def as_json(point: FloodPoint, config: Config) -> dict[str, object]:
    return {
        "lat": round(point.lat, 6), "lon": round(point.lon, 6), "reports": point.reports,
        "worst_depth": point.worst_depth,
        "first_seen": point.first_seen.astimezone(config.tz).isoformat(timespec="seconds"),
        "last_seen": point.last_seen.astimezone(config.tz).isoformat(timespec="seconds"),
        "area_id": point.area_id, "outside": point.outside,
    }


def as_line(point: FloodPoint, config: Config) -> str:
    last = point.last_seen.astimezone(config.tz).isoformat(timespec="seconds")
    return (f"{point.lat:.6f}\t{point.lon:.6f}\t{point.reports}\t{point.worst_depth}\t{last}\t"
            f"{point.area_id or '-'}")


async def run(config: Config, db: Database, args: argparse.Namespace) -> int:
    since = until = None
    if args.from_ is not None:
        from bot.reports.stats import Period

        start, end = Period.parse(from_=args.from_, to=args.to).utc_bounds(config.tz)
        since, until = datetime.fromisoformat(start), datetime.fromisoformat(end)
    areas = AreaCatalog.load(config.content_dir / "areas.toml")
    points = await FloodReports(db, areas).points(since=since, until=until)
    if args.map is not None:
        return write_map(points, areas, Path(args.map), config, args)
    if args.json:
        print(json.dumps([as_json(p, config) for p in points], ensure_ascii=False, indent=2))
        return 0
    for p in points:
        print(as_line(p, config))
    return 0


def write_map(points: list[FloodPoint], areas: AreaCatalog, path: Path, config: Config,
              args: argparse.Namespace) -> int:
    """`--map PATH.html`: the points on one self-contained HTML map (bot/floods/map.py)."""
    from bot.floods import map as flood_map

    title = flood_map.default_title(areas)
    if args.from_ is not None:
        first, last = (date.fromisoformat(d).strftime("%d/%m/%Y") for d in (args.from_, args.to))
        title += f" từ {first} đến {last}"
    try:
        flood_map.write_map(points, areas, path, title=title,
                            generated_at=datetime.now(config.tz))
    except OSError as exc:
        print(f"sansang: cannot write --map {path}: {exc.strerror or exc}. Give a file path in "
              "a writable folder, e.g. --map diem-ngap.html", file=sys.stderr)
        return 1
    print(path)
    return 0
