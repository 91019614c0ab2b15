"""Telegram's HTML parse mode, checked as the Bot API checks it, and the visible text it yields."""

from __future__ import annotations

import html
import re

ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")
NAMED = {"lt", "gt", "amp", "quot"}


class EntityError(ValueError):
    """The text cannot be parsed; str(exc) is Telegram's reason."""


def visible_text(text: str) -> str:
    """Check `text` as Telegram HTML and return what the reader sees; raise EntityError."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = TAG.match(text, i)
            if m is None:
                raise EntityError(f"Unsupported start tag at byte offset {i}")
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in ALLOWED:
                raise EntityError(f'Unsupported start tag "{name}" at byte offset {i}')
            if name == "span" and not closing and 'class="tg-spoiler"' not in attrs:
                raise EntityError(f"Unsupported start tag \"span\" at byte offset {i}")
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(
                        f'Unmatched end tag at byte offset {i}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"' if stack else f"Unexpected end tag at byte offset {i}"
                    )
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = ENTITY.match(text, i)
            if m is None or (not m.group(1).startswith("#") and m.group(1) not in NAMED):
                raise EntityError(f"Unsupported HTML entity at byte offset {i}")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            out.append(ch)  # Telegram tolerates a bare '>'
            i += 1
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
