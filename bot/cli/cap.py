"""`sansang cap --out DIR`: every approved weather advisory as a CAP 1.2 file, and index.atom.

Reads the database only (never migrates it); the ward's place comes from content/areas.toml
and the sender from content/weather.toml's [cap] table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Config
from bot.errors import ContentError
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog
from bot.weather import cap


async def run(config: Config, db: Database, out: Path) -> int:
    from bot.weather.advisories import Advisories

    catalog = AreaCatalog.load(config.content_dir / "areas.toml")
    if catalog.ward is None:
        raise ContentError(f"{config.content_dir / 'areas.toml'}: no [ward] table, so the CAP "
                           "alerts have no area (example: [ward] vi = \"Phường Lê Chân\", "
                           "en = \"Lê Chân ward\", lat = 20.850, lon = 106.681, radius_km = 2.5)")
    settings = cap.load_settings(config.content_dir / "weather.toml", config.tz)
    service = Advisories(db)
    approved = await service.approved()
    earlier = {}
    for advisory in approved:
        if advisory.supersedes is not None and advisory.supersedes not in earlier:
            found = await service.get(advisory.supersedes)
            if found is not None:
                earlier[found.id] = found
    try:
        cap.write_feed(approved, catalog.ward, settings, out, catalog=catalog, earlier=earlier)
    except OSError as exc:
        print(f"sansang: cannot write the CAP feed to --out {out}: {exc.strerror or exc}. Give "
              "a folder you can write to (it is created if missing), e.g. --out cap-feed",
              file=sys.stderr)
        return 1
    if approved:
        n = len(approved)
        print(f"wrote {n} CAP alert{'s' if n != 1 else ''} and {cap.INDEX} to {out}")
    else:
        print(f"no approved advisory: wrote an empty {cap.INDEX} to {out}")
    return 0
