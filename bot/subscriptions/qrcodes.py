"""Printable QR codes for neighbourhood notice boards: scan, and the phone subscribes."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import segno

from bot.errors import ConfigError
from bot.subscriptions.areas import Area, AreaCatalog

USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
SCALE, BORDER, CAPTION = 10, 4, 90


def deep_link(username: str, area_id: str) -> str:
    return f"https://t.me/{username}?start={area_id}"


def area_svg(area: Area, username: str) -> str:
    """One code with the area's names printed under it, sized for an A5 or A4 notice."""
    link = deep_link(username, area.id)
    code = segno.make(link, error="m")
    width, height = code.symbol_size(scale=SCALE, border=BORDER)
    buf = io.BytesIO()
    code.save(buf, kind="svg", scale=SCALE, border=BORDER, xmldecl=False, svgns=True, nl=False)
    inner = buf.getvalue().decode("utf-8")
    total = height + CAPTION
    mid = width / 2
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}">\n'
        f'<rect width="{width}" height="{total}" fill="#fff"/>\n'
        f"{inner}\n"
        f'<text x="{mid}" y="{height + 28}" font-family="sans-serif" font-size="24" '
        f'font-weight="bold" text-anchor="middle">{escape(area.name_vi)}</text>\n'
        f'<text x="{mid}" y="{height + 56}" font-family="sans-serif" font-size="16" '
        f'text-anchor="middle">Sẵn sàng – quét để nhận cảnh báo / scan for warnings</text>\n'
        f'<text x="{mid}" y="{height + 78}" font-family="monospace" font-size="12" '
        f'text-anchor="middle">{escape(link)}</text>\n'
        "</svg>\n"
    )


def write_area_codes(catalog: AreaCatalog, username: str, out: Path) -> Iterator[Path]:
    username = username.lstrip("@")
    if not USERNAME.match(username):
        raise ConfigError(
            f"--bot-username {username!r} is not a Telegram username (e.g. sansang_lechan_bot)"
        )
    out.mkdir(parents=True, exist_ok=True)
    for area in catalog.areas:
        path = out / f"{area.id}.svg"
        path.write_text(area_svg(area, username), encoding="utf-8")
        yield path
