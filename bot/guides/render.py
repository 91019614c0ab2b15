"""Guides' Markdown (a small subset) to Telegram HTML, and splitting under Telegram's 4,096 limit.

Everything is escaped first; only the markup we produce ourselves becomes tags, so nothing a
guide holds can make Telegram answer 400.
"""

from __future__ import annotations

import html
import re

from bot.guides.library import Guide
from bot.i18n import day, gettext

TELEGRAM_LIMIT = 4096
BOLD = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![*\w])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![*\w])")
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+)$")
BULLET = re.compile(r"^\s*[-*+]\s+")


def inline(text: str) -> str:
    """One line of Markdown to HTML: escape, then bold, italic and links."""
    out = html.escape(text, quote=False)
    out = LINK.sub(lambda m: f'<a href="{html.escape(html.unescape(m.group(2)))}">'
                   f"{m.group(1)}</a>", out)
    out = BOLD.sub(r"<b>\1</b>", out)
    return ITALIC.sub(r"<i>\1</i>", out)


def markdown_to_html(markdown: str) -> str:
    lines = []
    for raw in markdown.strip().splitlines():
        heading = HEADING.match(raw.strip())
        if heading:
            lines.append(f"<b>{inline(heading.group(1))}</b>")
        elif BULLET.match(raw):
            lines.append("• " + inline(BULLET.sub("", raw, count=1)))
        else:
            lines.append(inline(raw.strip()))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut at paragraph boundaries (then lines, then spaces) so each part fits in one message."""
    parts: list[str] = []
    current = ""
    for block in _blocks(text, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts


def _blocks(text: str, limit: int) -> list[str]:
    blocks: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            blocks.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            if len(line) <= limit:
                blocks.append(line)
                continue
            # A single line over the limit: drop its markup so a cut cannot split a tag.
            plain = html.escape(html.unescape(re.sub(r"<[^>]+>", "", line)), quote=False)
            while len(plain) > limit:
                cut = plain.rfind(" ", 0, limit)
                cut = cut if cut > limit // 2 else limit
                amp = plain.rfind("&", max(0, cut - 8), cut)
                if amp > 0 and plain.find(";", amp, cut) == -1:
                    cut = amp  # never cut inside an entity such as &amp;
                blocks.append(plain[:cut])
                plain = plain[cut:].lstrip()
            blocks.append(plain)
    return [b for b in blocks if b.strip()]


def guide_text(guide: Guide, lang: str) -> str:
    """A whole guide as Telegram HTML: its title, its body and the day it was reviewed."""
    _ = gettext(lang)
    reviewed = _("Reviewed: {date}").format(date=day(guide.reviewed, lang))
    return (f"<b>{html.escape(guide.title)}</b>\n\n{markdown_to_html(guide.body)}\n\n"
            f"<i>{reviewed}</i>")
