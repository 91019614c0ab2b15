"""The ward office's flood map: ONE self-contained HTML file (Leaflet's script and CSS inlined
from bot/floods/vendor/leaflet) that works from a USB stick: the flooding points on an
OpenStreetMap base (tiles load when online) and, below the map, a sortable table of the same
points that reads without JavaScript and without the Internet.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from datetime import datetime, tzinfo
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from bot.floods.models import DEPTHS, FloodPoint
from bot.reports.export import write_whole

if TYPE_CHECKING:
    from bot.subscriptions.areas import AreaCatalog

# The depth words of the bot's /report buttons, for the legend, the popups and the table.
DEPTH_VI = {
    "ankle": "Dưới mắt cá chân",
    "knee": "Mắt cá – đầu gối",
    "waist": "Đầu gối – thắt lưng",
    "above": "Trên thắt lưng",
}
# ColorBrewer YlOrRd, one light step apart: a sequential ramp that colour-blind readers still
# read in order (lightness carries it), with a dark outline so the yellow shows on a light map.
DEPTH_COLOURS = {"ankle": "#fed976", "knee": "#fd8d3c", "waist": "#e31a1c", "above": "#800026"}
OUTSIDE_VI = "Ngoài phường"
EMPTY_VI = "Chưa có điểm ngập nào"
DEFAULT_TITLE = "Bản đồ điểm ngập"
# Lê Chân's point (content/areas.toml [ward], to be verified) when the catalog has none.
WARD_CENTRE = (20.850, 106.681)

# OpenStreetMap's standard tiles; a caller may pass another server the ward has an arrangement
# with (the OSM policy asks for the URL not to be fixed in code forever).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = ('© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                   "contributors")

MIN_RADIUS, MAX_RADIUS = 6.0, 24.0
LEGEND_SIZES = (1, 5, 20)


def radius(reports: int) -> float:
    """A marker's radius in pixels: grows with the square root of its reports (its area with
    the count), capped so one busy corner does not hide its street."""
    return round(min(MIN_RADIUS + 3 * math.sqrt(max(reports, 1)), MAX_RADIUS), 1)


def _vendored(name: str) -> str:
    return resources.files("bot.floods").joinpath("vendor", "leaflet", name).read_text("utf-8")


@cache
def _assets() -> tuple[str, str, Template]:
    js = _vendored("leaflet.js")
    # The source map is not shipped: drop the comment so no browser asks for it.
    js = "\n".join(line for line in js.splitlines()
                   if not line.startswith("//# sourceMappingURL="))
    css = _vendored("leaflet.css")
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("the vendored Leaflet cannot be inlined: it contains a closing tag")
    template = resources.files("bot.floods").joinpath("map_template.html").read_text("utf-8")
    return js, css, Template(template)


def _json_for_script(value: object) -> str:
    """JSON to sit inside <script type="application/json">: '<', '>' and '&' as \\u escapes,
    so no name or text can close the element ("</script>") or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _local(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(microsecond=0)


def _shown(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def default_title(areas: AreaCatalog | None) -> str:
    """"Bản đồ điểm ngập – Phường Lê Chân" (the ward's name from [ward] when the file has it)."""
    ward = areas.ward if areas is not None else None
    return f"{DEFAULT_TITLE} – {ward.name_vi}" if ward is not None else DEFAULT_TITLE


def _centre(areas: AreaCatalog | None) -> tuple[float, float]:
    ward = areas.ward if areas is not None else None
    if ward is not None:
        return ward.lat, ward.lon
    placed = [(a.lat, a.lon) for a in (areas.areas if areas else ())
              if a.lat is not None and a.lon is not None]
    if placed:
        return (sum(p[0] for p in placed) / len(placed), sum(p[1] for p in placed) / len(placed))
    return WARD_CENTRE


def _area_name(areas: AreaCatalog | None, area_id: str | None) -> str:
    if area_id is None:
        return OUTSIDE_VI
    return areas.name(area_id, "vi") if areas else area_id


def _legend_sizes() -> str:
    parts = []
    for n in LEGEND_SIZES:
        r = radius(n)
        size = int(2 * r + 2)
        parts.append(
            f'<span><svg width="{size}" height="{size}" aria-hidden="true">'
            f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="#fd8d3c" fill-opacity="0.85" '
            f'stroke="#222" stroke-width="1"/></svg> {n}</span>'
        )
    return " ".join(parts)


def _row(index: int, p: dict[str, Any]) -> str:
    depth_rank = p["depth_rank"]
    cells = [
        ("", html.escape(p["area"]), html.escape(p["area"])),
        (' class="num"', str(p["reports"]), str(p["reports"])),
        ("", f'<span class="swatch" style="background:{p["colour"]}"></span>'
             f'{html.escape(p["depth"])}', str(depth_rank)),
        ("", html.escape(p["first_seen"]), p["first_seen_iso"]),
        ("", html.escape(p["last_seen"]), p["last_seen_iso"]),
        (' class="num"', f'{p["lat"]:.5f}', f'{p["lat"]:.6f}'),
        (' class="num"', f'{p["lon"]:.5f}', f'{p["lon"]:.6f}'),
    ]
    tds = "".join(f'<td{attrs} data-sort="{html.escape(key)}">{shown}</td>'
                  for attrs, shown, key in cells)
    return f'<tr data-point="{index}">{tds}</tr>'


def map_html(points: Sequence[FloodPoint], areas: AreaCatalog | None, *,
             title: str | None = None, generated_at: datetime,
             tz: tzinfo | None = None, tiles: str = OSM_TILES,
             tile_attribution: str = OSM_ATTRIBUTION) -> str:
    """The map page as text. `generated_at` is aware; times are shown in `tz` (default: the
    zone of `generated_at`). `points` keep their order in the table (worst first from
    FloodReports.points). `title` defaults to `default_title(areas)`."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be an aware datetime")
    zone = tz or generated_at.tzinfo
    assert zone is not None
    js, css, template = _assets()
    shown_points = []
    for p in points:
        first, last = _local(p.first_seen, zone), _local(p.last_seen, zone)
        shown_points.append({
            "lat": round(p.lat, 6), "lon": round(p.lon, 6), "reports": p.reports,
            "radius": radius(p.reports), "colour": DEPTH_COLOURS[p.worst_depth],
            "depth": DEPTH_VI[p.worst_depth], "depth_rank": DEPTHS.index(p.worst_depth),
            "area": _area_name(areas, p.area_id),
            "first_seen": _shown(first), "last_seen": _shown(last),
            "first_seen_iso": first.isoformat(), "last_seen_iso": last.isoformat(),
        })
    placed_areas = [
        {"name": a.name_vi, "lat": a.lat, "lon": a.lon,
         "polygon": [list(v) for v in a.polygon] if a.polygon else None}
        for a in (areas.areas if areas else ()) if a.lat is not None and a.lon is not None
    ]
    centre = _centre(areas)
    data = {
        "points": shown_points, "areas": placed_areas,
        "centre": {"lat": centre[0], "lon": centre[1]},
        "tiles": {"url": tiles, "attribution": tile_attribution},
    }
    reports = sum(p.reports for p in points)
    meta = (f"Lập lúc {_shown(_local(generated_at, zone))} · {len(points)} điểm ngập "
            f"từ {reports} báo cáo")
    rows = "\n".join(_row(i, p) for i, p in enumerate(shown_points))
    if not rows:
        rows = f'<tr><td colspan="7">{EMPTY_VI}</td></tr>'
    legend_depths = "\n".join(
        f'<li><span class="swatch" style="background:{DEPTH_COLOURS[d]}"></span>{DEPTH_VI[d]}</li>'
        for d in DEPTHS
    )
    sample = ""
    if areas is not None and areas.sample and placed_areas:
        sample = ('<p class="note">Tên và vị trí các khu trên bản đồ là dữ liệu mẫu, '
                  "chưa phải ranh giới chính thức.</p>")
    return template.substitute(
        title=html.escape(title if title is not None else default_title(areas)),
        meta=html.escape(meta),
        empty=f'<p class="empty">{EMPTY_VI}</p>' if not points else "",
        sample=sample, legend_depths=legend_depths, legend_sizes=_legend_sizes(),
        count=len(points), rows=rows, data=_json_for_script(data),
        leaflet_css=css, leaflet_js=js,
    )


def write_map(points: Sequence[FloodPoint], areas: AreaCatalog | None, path: Path, *,
              title: str | None = None, generated_at: datetime,
              tz: tzinfo | None = None) -> Path:
    """Write the map page to `path`, whole or not at all."""
    page = map_html(points, areas, title=title, generated_at=generated_at, tz=tz)
    return write_whole(page.encode("utf-8"), Path(path))
