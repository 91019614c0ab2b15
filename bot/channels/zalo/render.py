"""What Zalo shows well: plain text (no Markdown, no HTML), ≤ 2,000 characters a message, ≤ 5
buttons a message, each a `oa.query.hide` button whose payload the resident's tap sends back.

Only the bot's buttons carry PREFIX; `parse` reads a payload strictly against a whitelist.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.guides.render import split_message
from bot.subscriptions.areas import AREA_ID

ZALO_LIMIT = 2000
MAX_BUTTONS = 5
TITLE_MAX = 100
PREFIX = "#ss:"

BOLD = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![*\w])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![*\w])")
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+)$")
BULLET = re.compile(r"^\s*[-*+]\s+")
TAG = re.compile(r"<[^>]+>")

# action → how many arguments and what each must look like
_ARG = {
    "lang": re.compile(r"^(vi|en)$"),
    "area": AREA_ID,
    "page": re.compile(r"^\d{1,3}$"),
    "depth": re.compile(r"^(ankle|knee|waist|above)$"),
    "yes_no": re.compile(r"^[yn]$"),
    "guide": re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$"),
}
ACTIONS: dict[str, tuple[str, ...]] = {
    "l": ("lang",),  # language
    "a": ("area",),  # neighbourhood
    "p": ("page",),  # another page of neighbourhoods
    "d": ("depth",),  # a flood report's depth
    "f": ("yes_no",),  # forget: confirmed or not
    "ph": ("yes_no",),  # share a phone number: yes (the request) or no
    "g": ("guide",),  # open a guide
    "m": (),  # my data
    "x": (),  # delete my data (asks first)
    "h": (),  # help
}


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


def payload(action: str, *args: str) -> str:
    """A button's payload: PREFIX, the action and its arguments, colon-separated."""
    assert action in ACTIONS and len(args) == len(ACTIONS[action])
    return PREFIX + ":".join((action, *args))


def parse(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(action, args) of one of our payloads; None for anything else (forged, stale, typed)."""
    if not text.startswith(PREFIX) or len(text) > 80:
        return None
    action, *args = text[len(PREFIX):].split(":")
    kinds = ACTIONS.get(action)
    if kinds is None or len(args) != len(kinds):
        return None
    if not all(_ARG[k].match(a) for k, a in zip(kinds, args, strict=True)):
        return None
    return action, tuple(args)


def markdown_to_text(markdown: str) -> str:
    """A guide's Markdown as plain text: bold and italics removed, headings on their own line,
    bullets as •, numbered lines kept, links as "text (url)"."""
    lines = []
    for raw in markdown.strip().splitlines():
        line = raw.strip()
        heading = HEADING.match(line)
        if heading:
            lines.append(_inline(heading.group(1)))
        elif BULLET.match(raw):
            lines.append("• " + _inline(BULLET.sub("", raw, count=1)))
        else:
            lines.append(_inline(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _inline(text: str) -> str:
    text = LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = BOLD.sub(r"\1", text)
    return ITALIC.sub(r"\1", text)


def html_to_text(text: str) -> str:
    """Telegram HTML (a broadcast as rendered for Telegram) as plain text."""
    return html.unescape(TAG.sub("", text))


def split(text: str, limit: int = ZALO_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at paragraphs, then lines, then spaces."""
    # The Telegram splitter works on HTML; plain text has no tags or entities to protect,
    # so escape first and unescape each part (an entity is never cut: the splitter knows).
    escaped = html.escape(text, quote=False)
    parts = split_message(escaped, limit)
    out = [html.unescape(p) for p in parts]
    # An escaped part may be longer than its text, never shorter: each part still fits.
    return [p for p in out if p.strip()] or [text[:limit]]


def title(text: str) -> str:
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def message(text: str, buttons: list[Button] | None = None) -> dict[str, Any]:
    """One consultation message: text and up to MAX_BUTTONS buttons."""
    out: dict[str, Any] = {"text": text}
    if buttons:
        assert len(buttons) <= MAX_BUTTONS, "at most 5 buttons a message"
        out["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": title(b.title), "type": "oa.query.hide", "payload": b.payload}
            for b in buttons]}}
    return out


def messages(text: str, buttons: list[Button] | None = None) -> list[dict[str, Any]]:
    """A text split to fit, the buttons under the last part; more than five buttons go on in
    messages of their own, five at a time (callers that page use `paged` instead)."""
    parts = split(text)
    buttons = list(buttons or [])
    out = [message(p) for p in parts[:-1]]
    out.append(message(parts[-1], buttons[:MAX_BUTTONS]))
    rest = buttons[MAX_BUTTONS:]
    while rest:
        out.append(message("…", rest[:MAX_BUTTONS]))
        rest = rest[MAX_BUTTONS:]
    return out


def paged(items: list[Button], page: int,
          more: Callable[[int], Button]) -> list[Button]:
    """One page of `items` (at most five buttons): when they do not fit, four items and
    `more(next_page)`, the last page leading back to the first."""
    if len(items) <= MAX_BUTTONS:
        return list(items)
    per = MAX_BUTTONS - 1
    pages = (len(items) + per - 1) // per
    page = page % pages
    return [*items[page * per:(page + 1) * per], more((page + 1) % pages)]


def request_user_info(title_text: str, subtitle: str) -> dict[str, Any]:
    """Zalo's form asking the resident to share their phone number (answered by the
    `user_submit_info` event). Whether Zalo needs an `image_url` here is not confirmed."""
    return {"attachment": {"type": "template", "payload": {
        "template_type": "request_user_info",
        "elements": [{"title": title(title_text), "subtitle": subtitle[:500]}]}}}
