"""The ward's flood map: one self-contained HTML file, checked in a real headless Chromium.

The page records any script error on <html data-script-errors> and the markers it drew on
<html data-markers>; the test reads Chromium's --dump-dom. Chromium runs with every host name
unresolvable and a dead proxy, so the OpenStreetMap tiles fail as they would offline (and no
test reaches the internet): the points, legend and table must not need them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.floods import map as flood_map
from bot.floods.models import DEPTHS, FloodPoint
from bot.subscriptions.areas import Area, AreaCatalog

REPO = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=ZONE)
BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))
                if p), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless Chromium on this machine (Debian/Ubuntu: apt-get install chromium); "
           "the map's browser tests need it",
)
BROWSER_TIMEOUT = 90  # seconds; Chromium starts in about one on a quiet machine


def catalog(*extra: Area) -> AreaCatalog:
    """The ward's sample areas (with their sample centres), and `extra` ones."""
    shipped = AreaCatalog.load(REPO / "content" / "areas.toml")
    return dataclasses.replace(shipped, areas=shipped.areas + extra)


def point(lat: float, lon: float, reports: int, depth: str, area_id: str | None,
          days_ago: int = 0) -> FloodPoint:
    last = datetime(2026, 11, 19, 23, 15, tzinfo=UTC) - timedelta(days=days_ago)
    return FloodPoint(lat=lat, lon=lon, reports=reports, worst_depth=depth,
                      first_seen=last - timedelta(days=3), last_seen=last, area_id=area_id,
                      report_ids=tuple(range(reports)), outside=area_id is None)


POINTS = [
    point(20.8481, 106.6702, 12, "above", "lam-son"),
    point(20.8560, 106.6790, 3, "waist", "cat-dai", days_ago=2),
    point(20.8402, 106.6851, 1, "ankle", "ho-nam", days_ago=1),
    point(20.8430, 106.6930, 6, "knee", "du-hang", days_ago=4),
    point(20.9300, 106.7500, 2, "knee", None, days_ago=5),  # outside the ward
]


class Page(HTMLParser):
    """What a reader of the dumped DOM sees: <html>'s attributes, the drawn markers, the
    table's rows (cell texts) and every script/link/img with an address."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.markers = 0
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self.sources: list[str] = []
        self._in_body = self._in_head = False
        self._cell: list[str] | None = None
        self._words: list[str] = []
        self._in_code = False
        self.feed(text)
        self.text = " ".join("".join(self._words).split())  # what the page says, scripts aside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.root = found
        if tag == "path" and "flood-point" in (found.get("class") or "").split():
            self.markers += 1
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.sources.append(f"{tag} {found['src']}")
        if tag == "link" and found.get("href"):
            self.sources.append(f"link {found['href']}")
        if tag == "thead":
            self._in_head = True
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag in ("script", "style"):
            self._in_code = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in_code = False
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_body:
                self.rows[-1].append(text)
            elif self._in_head:
                self.headers.append(text)
            self._cell = None
        if tag == "thead":
            self._in_head = False
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if not self._in_code:
            self._words.append(data)
        if self._cell is not None:
            self._cell.append(data)


def browse(page: Path, tmp_path: Path, *, then: str = "") -> Page:
    """The page as headless Chromium leaves it after loading (and after running `then`, a
    script appended to the page, as a person's clicks)."""
    assert BROWSER is not None
    if then:
        text = page.read_text(encoding="utf-8")
        page = page.with_name("then-" + page.name)
        page.write_text(text.replace("</body>", f"<script>{then}</script></body>"),
                        encoding="utf-8")
    profile = tmp_path / "chromium-profile"  # its own: other test runs may share the machine
    run = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--proxy-server=127.0.0.1:9", f"--user-data-dir={profile}", "--window-size=1100,900",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "<html" in run.stdout, run.stderr[-3000:]
    return Page(run.stdout)


def write(tmp_path: Path, points: list[FloodPoint], areas: AreaCatalog | None = None,
          **kwargs: str) -> Path:
    return flood_map.write_map(points, catalog() if areas is None else areas,
                               tmp_path / "diem-ngap.html", generated_at=NOW, **kwargs)


@needs_browser
def test_the_page_draws_one_marker_per_point_without_a_script_error(tmp_path: Path) -> None:
    shown = browse(write(tmp_path, POINTS), tmp_path)
    assert shown.root.get("data-script-errors") is None
    assert shown.root.get("data-ready") == "1"  # our script ran to its end
    assert shown.markers == len(POINTS)
    assert shown.root.get("data-markers") == str(len(POINTS))
    assert "© OpenStreetMap contributors" in shown.text  # the tile layer's attribution
    for words in ("Mức ngập nặng nhất", *flood_map.DEPTH_VI.values(), "Số báo cáo"):
        assert words in shown.text  # the legend
    assert shown.headers == ["Khu vực", "Số báo cáo", "Mức ngập nặng nhất", "Lần đầu",
                             "Lần cuối", "Vĩ độ", "Kinh độ"]
    assert [(r[0], r[1], r[2], r[4], r[5], r[6]) for r in shown.rows] == [
        ("Khu Lam Sơn", "12", "Trên thắt lưng", "20/11/2026 06:15", "20.84810", "106.67020"),
        ("Khu Cát Dài", "3", "Đầu gối – thắt lưng", "18/11/2026 06:15", "20.85600", "106.67900"),
        ("Khu Hồ Nam", "1", "Dưới mắt cá chân", "19/11/2026 06:15", "20.84020", "106.68510"),
        ("Khu Dư Hàng", "6", "Mắt cá – đầu gối", "16/11/2026 06:15", "20.84300", "106.69300"),
        ("Ngoài phường", "2", "Mắt cá – đầu gối", "15/11/2026 06:15", "20.93000", "106.75000"),
    ]


@needs_browser
def test_clicking_a_header_sorts_the_table(tmp_path: Path) -> None:
    page = write(tmp_path, POINTS)
    click = "document.querySelectorAll('#points th button')[{}].click();"
    once = browse(page, tmp_path, then=click.format(1))
    assert [r[1] for r in once.rows] == ["1", "2", "3", "6", "12"]
    twice = browse(page, tmp_path, then=click.format(1) * 2)
    assert [r[1] for r in twice.rows] == ["12", "6", "3", "2", "1"]
    by_depth = browse(page, tmp_path, then=click.format(2))  # by depth, not by its words
    assert [r[2] for r in by_depth.rows] == [
        "Dưới mắt cá chân", "Mắt cá – đầu gối", "Mắt cá – đầu gối", "Đầu gối – thắt lưng",
        "Trên thắt lưng",
    ]
    by_last_seen = browse(page, tmp_path, then=click.format(4))
    assert [r[0] for r in by_last_seen.rows] == [
        "Ngoài phường", "Khu Dư Hàng", "Khu Cát Dài", "Khu Hồ Nam", "Khu Lam Sơn"]
    for shown in (once, twice, by_depth, by_last_seen):
        assert shown.root.get("data-script-errors") is None


@needs_browser
def test_no_points_shows_the_ward_and_says_so(tmp_path: Path) -> None:
    shown = browse(write(tmp_path, []), tmp_path)
    assert shown.root.get("data-script-errors") is None
    assert shown.root.get("data-ready") == "1"
    assert shown.markers == 0
    assert shown.rows == [["Chưa có điểm ngập nào"]]
    assert flood_map.EMPTY_VI in (tmp_path / "diem-ngap.html").read_text(encoding="utf-8")


@needs_browser
def test_a_name_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    pwn = "document.documentElement.setAttribute('data-pwned','1')"
    evil = f"</script><script>{pwn}</script><img src=x onerror=\"{pwn}\">"
    areas = catalog(Area(id="evil", name_vi="Khu " + evil, name_en="x", lat=20.85, lon=106.68))
    page = write(tmp_path, [point(20.85, 106.68, 2, "knee", "evil")], areas,
                 title="Bản đồ <b>" + evil)
    shown = browse(page, tmp_path)
    assert shown.root.get("data-pwned") is None
    assert shown.root.get("data-script-errors") is None
    assert shown.markers == 1
    assert shown.rows[0][0] == "Khu " + evil  # shown as text, as written


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    """Nothing is fetched but the tiles: no script, style or image from anywhere."""
    text = write(tmp_path, POINTS).read_text(encoding="utf-8")
    page = Page(text)
    assert page.sources == []
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text, re.I)
    assert "sourceMappingURL" not in text
    assert "Leaflet 1.9.4" in text  # inlined, with its licence header


def test_the_table_reads_without_javascript(tmp_path: Path) -> None:
    """The table and the legend are in the page as written, not drawn by a script."""
    text = write(tmp_path, POINTS).read_text(encoding="utf-8")
    without_scripts = re.sub(r"<script\b.*?</script>", "", text, flags=re.S | re.I)
    page = Page(without_scripts)
    assert len(page.rows) == len(POINTS)
    assert page.rows[0][:3] == ["Khu Lam Sơn", "12", "Trên thắt lưng"]
    for depth in DEPTHS:
        assert flood_map.DEPTH_VI[depth] in without_scripts
    assert "Số báo cáo" in without_scripts


def test_markers_grow_with_reports_up_to_a_cap() -> None:
    sizes = [flood_map.radius(n) for n in (1, 2, 5, 20, 1000)]
    assert sizes == sorted(sizes)
    assert sizes[0] == 9.0 and sizes[-1] == flood_map.MAX_RADIUS


def test_written_whole_or_not_at_all(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.html"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        flood_map.write_map(POINTS, catalog(), folder, generated_at=NOW)
    assert [p.name for p in tmp_path.iterdir()] == ["a-folder.html"]  # no .part left
    assert list(folder.iterdir()) == []


def test_a_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        flood_map.write_map(POINTS, catalog(), tmp_path / "m.html",
                            generated_at=NOW.replace(tzinfo=None))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from tests.test_flood_geojson import seed

    path = tmp_path / "sansang.sqlite3"
    asyncio.run(seed(path))
    return path


def test_sansang_reports_map_writes_the_page(db: Path, tmp_path: Path) -> None:
    from tests.test_flood_geojson import sansang

    out = tmp_path / "ban-do" / "diem-ngap.html"
    done = sansang(db, "reports", "--map", str(out), "--from", "2026-11-01", "--to",
                   "2026-11-30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    listed = sansang(db, "reports", "--json", "--from", "2026-11-01", "--to", "2026-11-30")
    points = json.loads(listed.stdout)
    page = Page(out.read_text(encoding="utf-8"))
    assert "Bản đồ điểm ngập – Phường Lê Chân từ 01/11/2026 đến 30/11/2026" in page.text
    assert [int(r[1]) for r in page.rows] == [p["reports"] for p in points] == [1, 2, 1]
    assert [r[5:] for r in page.rows] == [[f"{p['lat']:.5f}", f"{p['lon']:.5f}"] for p in points]
    if BROWSER is not None:  # and as a browser shows it
        shown = browse(out, tmp_path)
        assert shown.root.get("data-script-errors") is None
        assert shown.markers == len(points)
        assert len(shown.rows) == len(points)


def test_sansang_reports_map_to_a_folder_fails_cleanly(db: Path, tmp_path: Path) -> None:
    from tests.test_flood_geojson import sansang

    folder = tmp_path / "diem-ngap.html"
    folder.mkdir()
    done = sansang(db, "reports", "--map", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot write --map {folder}" in done.stderr
    assert list(folder.iterdir()) == []
