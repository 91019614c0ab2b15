"""`sansang cap --out DIR`: every approved weather advisory as a CAP 1.2 file, and index.atom.

Reads the database only (never migrates it); the ward's place comes from content/areas.toml
([ward]) and the sender and CAP levels from content/weather.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.broadcasts.broadcasts import Broadcasts
from bot.config import Config
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.weather import cap
from bot.weather.advisories import Advisories
from bot.weather.models import Advisory
from bot.weather.thresholds import WeatherSettings


async def run(config: Config, db: Database, out: Path) -> int:
    catalog = AreaCatalog.load(config.content_dir / "areas.toml")
    ward = catalog.require_ward()  # a ContentError naming the file and an example
    settings = WeatherSettings.load(config.content_dir / "weather.toml")
    service = Advisories(db, Broadcasts(db, catalog))  # only read here
    approved = await service.approved()
    earlier: dict[int, Advisory] = {}
    for advisory in approved:
        if advisory.supersedes is not None and advisory.supersedes not in earlier:
            found = await service.get(advisory.supersedes)
            if found is not None:
                earlier[found.id] = found
    try:
        cap.write_feed(approved, ward, settings, out, tz=config.tz, catalog=catalog,
                       earlier=earlier)
    except OSError as exc:
        print(f"sansang: cannot write the CAP feed to --out {out}: {exc.strerror or exc}. Give "
              "a folder you can write to (it is created if missing), e.g. --out cap-feed",
              file=sys.stderr)
        return 1
    if not approved:
        print(f"no approved advisory: wrote an empty {cap.INDEX} to {out}")
    else:
        n = len(approved)
        print(f"wrote {n} CAP alert{'' if n == 1 else 's'} and {cap.INDEX} to {out}")
    return 0
