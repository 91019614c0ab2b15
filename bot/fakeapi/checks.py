"""The checks Telegram runs on what a bot sends: text (parse mode, emptiness, length in UTF-16)
and reply markup (buttons, callback data size, URLs, count), with Telegram's error texts.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from bot.fakeapi.records import ApiError
from bot.telegram_html import EntityError, Parsed, parse_html, trim, utf16_len

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_QUERY_TEXT_LIMIT = 200
MAX_BUTTONS = 100
BUTTON_KINDS = (
    "callback_data", "url", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay", "web_app",
)
URL_SCHEMES = ("http", "https", "tg", "ton")
BUTTON = "Bad Request: can't parse inline keyboard button: "


def check_text(text: Any, parse_mode: Any, entities: Any = None, *, caption: bool = False
               ) -> Parsed:
    """What the reader will see of `text`, or ApiError as Telegram answers."""
    what = "message caption" if caption else "message text"
    if text is None or (not isinstance(text, str) and not caption):
        if caption:
            return Parsed("")
        raise ApiError(400, f"Bad Request: {what} is empty")
    text = str(text)
    mode = str(parse_mode or "").lower()
    if mode not in ("", "html", "markdown", "markdownv2"):
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    if isinstance(entities, list) and entities:
        # Explicit entities replace any parse mode.
        parsed = Parsed(text, [e for e in entities if isinstance(e, dict)])
    elif mode == "html":
        try:
            parsed = parse_html(text)
        except EntityError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    else:
        # Markdown is passed through unparsed (the bot uses HTML): the text counts as shown.
        parsed = Parsed(text)
    parsed = trim(parsed)
    if not parsed.text and not caption:
        raise ApiError(400, f"Bad Request: {what} is empty")
    if utf16_len(parsed.text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise ApiError(400, "Bad Request: message caption is too long" if caption
                       else "Bad Request: message is too long")
    return parsed


def check_markup(markup: Any) -> dict[str, Any] | None:
    """The reply markup as sent, after Telegram's checks; None when there is none."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" of the '
                                "InlineKeyboardMarkup must be an Array of Arrays")
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, 'Bad Request: field "keyboard" of the ReplyKeyboardMarkup '
                                "must be an Array of Arrays")
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise ApiError(400, "Bad Request: reply markup is too long")
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label:
                    raise ApiError(400, "Bad Request: can't parse keyboard button: "
                                        "Text must be non-empty")
        return markup
    if "remove_keyboard" in markup or "force_reply" in markup:
        return markup
    raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError(400, BUTTON + "InlineKeyboardButton must be an Object")
    label = button.get("text")
    if not isinstance(label, str):
        raise ApiError(400, BUTTON + 'Field "text" must be of type String')
    if not label.strip():
        raise ApiError(400, BUTTON + "Text must be non-empty")
    kinds = [k for k in BUTTON_KINDS if k in button]
    if not kinds:
        raise ApiError(400, BUTTON + "Text buttons are unallowed in the inline keyboard")
    if len(kinds) > 1:
        raise ApiError(400, BUTTON + "InlineKeyboardButton must have exactly one of the "
                                     "optional fields")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        _check_url(button["url"])


def _check_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise ApiError(400, BUTTON + 'Field "url" must be of type String')
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in URL_SCHEMES:
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                            "Unsupported URL protocol")
    if parts.scheme.lower() in ("http", "https") and "." not in (parts.hostname or ""):
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                            "Wrong HTTP URL")
