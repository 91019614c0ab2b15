"""Telegram's HTML parse mode, checked as the Bot API checks it (a port of TDLib's parse_html).

It owns the visible text and the MessageEntity list a text yields, and UTF-16 lengths.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

TAGS = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "span", "pre", "code", "blockquote",
})
ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SPACES = " \t\r\n\v\f\0"
END = "\0"


class EntityError(ValueError):
    """The text cannot be parsed; str(exc) is Telegram's reason."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the visible text
    begin: int  # index in the visible text
    expandable: bool = False


@dataclass
class Parsed:
    """The visible text of a message and its entities, offsets in UTF-16 code units."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character an entity at `pos` stands for and the index after it (TDLib's rules)."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        value = 0
        if text.startswith(("x", "X"), end):
            end += 1
            while end < len(text) and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < len(text) and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        found = NAMED_ENTITIES.get(text[pos + 1:end])
        if found is None:
            return None
        char = found
    if text.startswith(";", end):
        end += 1
    return char, end


def _decode_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        decoded = _decode_entity(value, i) if value[i] == "&" else None
        if decoded is None:
            out.append(value[i])
            i += 1
        else:
            out.append(decoded[0])
            i = decoded[1]
    return "".join(out)


def parse_html(text: str, *, strict: bool = True) -> Parsed:
    """Parse Telegram HTML; raise EntityError with Telegram's reason.

    `strict` follows the documentation: every `&` must start one of the supported entities.
    Telegram's server is laxer there and keeps an unknown `&...` as text; the strict reading
    is what proves that text from people was escaped.
    """
    def at(k: int) -> str:
        return text[k] if k < len(text) else END

    out: list[str] = []
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                where = _byte_offset(text, i)
                raise EntityError(f"Unsupported HTML entity at byte offset {where}")
        if c != "<":
            out.append(c)
            utf16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        where = _byte_offset(text, begin)
        i += 1
        if at(i) != "/":
            while at(i) not in SPACES and at(i) != ">":
                i += 1
            if i >= len(text):
                raise EntityError(f"Unclosed start tag at byte offset {where}")
            tag = text[begin + 1:i].lower()
            if tag not in TAGS:
                raise EntityError(f'Unsupported start tag "{tag}" at byte offset {where}')
            opened = _Open(tag, "", utf16, len(out))
            i = _attributes(text, i, opened, where)
            if tag == "span" and opened.argument != "spoiler":
                raise EntityError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {where}'
                )
            stack.append(opened)
            i += 1  # the '>'
            continue
        if not stack:
            raise EntityError(f"Unexpected end tag at byte offset {where}")
        i += 1
        while at(i) not in SPACES and at(i) != ">":
            i += 1
        end_name = text[begin + 2:i]
        while i < len(text) and at(i) in SPACES:
            i += 1
        if at(i) != ">":
            raise EntityError(f"Unclosed end tag at byte offset {where}")
        i += 1
        opened = stack.pop()
        if end_name and end_name.lower() != opened.tag:
            raise EntityError(
                f'Unmatched end tag at byte offset {where}, expected "</{opened.tag}>", '
                f'found "</{end_name}>"'
            )
        if utf16 > opened.offset:
            _close(opened, utf16 - opened.offset, "".join(out[opened.begin:]), entities)
    if stack:
        raise EntityError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(out), entities)


def _attributes(text: str, i: int, opened: _Open, where: int) -> int:
    """Read a start tag's attributes from `i`; return the index of its closing '>'."""
    def at(k: int) -> str:
        return text[k] if k < len(text) else END

    tag = opened.tag
    while at(i) != ">":
        while i < len(text) and at(i) in SPACES:
            i += 1
        if at(i) == ">":
            break
        if i >= len(text):
            raise EntityError(f'Unclosed start tag "{tag}" at byte offset {where}')
        name_begin = i
        while at(i) not in SPACES and at(i) not in "=>":
            i += 1
        name = text[name_begin:i]
        if not name:
            raise EntityError(
                f'Empty attribute name in the tag "{tag}" at byte offset {where}'
            )
        while i < len(text) and at(i) in SPACES:
            i += 1
        if at(i) != "=":
            if tag == "blockquote" and name.lower() == "expandable":
                opened.expandable = True
                continue
            raise EntityError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {where}"
            )
        i += 1
        while i < len(text) and at(i) in SPACES:
            i += 1
        if i >= len(text):
            raise EntityError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if at(i) not in "'\"":
            token_begin = i
            while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                i += 1
            value = text[token_begin:i].lower()
            if at(i) not in SPACES and at(i) != ">":
                where = _byte_offset(text, token_begin)
                raise EntityError(f"Unexpected end of name token at byte offset {where}")
        else:
            quote = at(i)
            i += 1
            close = text.find(quote, i)
            if close < 0:
                raise EntityError(f"Unclosed start tag at byte offset {where}")
            value = _decode_attribute(text[i:close])
            i = close + 1
        name = name.lower()
        if tag == "a" and name == "href":
            opened.argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            opened.argument = value.removeprefix("language-")
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            opened.argument = value.removeprefix("tg-")
        elif tag == "tg-emoji" and name == "emoji-id":
            opened.argument = value
        elif tag == "blockquote" and name == "expandable":
            opened.expandable = True
    return i


def _close(opened: _Open, length: int, inner: str, entities: list[dict[str, Any]]) -> None:
    tag, offset = opened.tag, opened.offset
    kind = ENTITY_TYPES.get(tag)
    if kind is not None:
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "a":
        url = (opened.argument or inner).strip()
        if url:
            if "://" not in url and not url.startswith(("tg:", "mailto:")):
                url = "http://" + url
            entities.append({"type": "text_link", "offset": offset, "length": length,
                             "url": url})
    elif tag == "code":
        entities.append({"type": "code", "offset": offset, "length": length,
                         **({"language": opened.argument} if opened.argument else {})})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (last is not None and last["type"] == "code" and last["offset"] == offset
                and last["length"] == length and "language" in last):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise EntityError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", "offset": offset, "length": length,
                         "custom_emoji_id": opened.argument})


def trim(parsed: Parsed) -> Parsed:
    """Telegram strips leading and trailing white space of a message, moving its entities."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        return parsed
    lead = utf16_len(text[:len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(0, entity["offset"] - lead)
        end = min(size, entity["offset"] + entity["length"] - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return Parsed(stripped, entities)


def visible_text(text: str) -> str:
    """Check `text` as Telegram HTML (strictly) and return what the reader sees."""
    return parse_html(text).text
