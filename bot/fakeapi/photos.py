"""sendPhoto as the Bot API documents it: a photo by file_id (one the bot received or sent), or
an upload of at most 10 MB whose width and height add up to at most 10,000 with a ratio of at
most 20; Telegram answers with the photo's sizes, smallest first.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from bot.fakeapi.checks import check_markup, check_text
from bot.fakeapi.methods import MessageMethods
from bot.fakeapi.records import ApiError

logger = logging.getLogger(__name__)

PHOTO_LIMIT = 10 * 1024 * 1024  # an uploaded photo; Telegram's clients compress below it
SIDES = (90, 320, 800, 1280, 2560)  # the sizes Telegram makes (s, m, x, y, w), up to the original
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG, or None when the bytes are neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        sof = 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)
        if sof and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


class PhotoMethods(MessageMethods):
    """Mixed into FakeBotAPI: sendPhoto, on top of the other message methods."""

    def _photo_sizes(self, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
        """The sizes Telegram keeps of an uploaded photo, each a file of its own."""
        sizes: list[dict[str, Any]] = []
        longest = max(width, height)
        for side in SIDES:
            scale = min(1.0, side / longest)
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            seq = len(self._files) + 1
            info = {"file_id": f"AgACAgIAAxkDAAI{seq:06d}", "file_unique_id": f"AQAD{seq:06d}",
                    "file_size": max(1, round(len(data) * scale * scale)), "width": w,
                    "height": h}
            self._files[info["file_id"]] = {**info, "data": data, "kind": "photo",
                                            "file_path": f"photos/file_{seq}.jpg"}
            sizes.append(info)
            if scale == 1.0:
                break
        for info in sizes:
            self._files[info["file_id"]]["sizes"] = sizes
        return sizes

    def _photo_param(self, photo: Any) -> list[dict[str, Any]]:
        if isinstance(photo, str) and photo in self._files:
            known = self._files[photo]
            if known.get("kind") != "photo":
                raise ApiError(400, "Bad Request: type of file mismatch")
            return list(known.get("sizes") or [
                {k: known[k] for k in ("file_id", "file_unique_id", "file_size", "width",
                                       "height") if k in known}])
        if isinstance(photo, str) and photo.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        if isinstance(photo, str) and photo:
            raise ApiError(400, WRONG_FILE)
        if not isinstance(photo, dict):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        data: bytes = photo["data"]
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > PHOTO_LIMIT:
            raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        size = image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * max(1, min(width, height)):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self._photo_sizes(data, width, height)

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        chat = self.target(params, "send")
        sizes = self._photo_param(params.get("photo"))
        caption = params.get("caption")
        parsed = check_text(caption, params.get("parse_mode"), params.get("caption_entities"),
                            caption=True)
        markup = check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._throttle(chat, params)
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None and parsed.text:
            content["caption"] = caption
        stored = self._store(chat, params, parsed, markup, reply_to, **content)
        return self.telegram_message(stored)
