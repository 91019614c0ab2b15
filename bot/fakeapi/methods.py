"""The Bot API methods about messages (send, edit, delete, answer button presses), with
Telegram's checks, error texts and result objects; each is `_m_<lowercase name>`.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from bot.fakeapi.checks import CALLBACK_QUERY_TEXT_LIMIT, check_markup, check_text
from bot.fakeapi.records import NOT_MODIFIED, QUERY_INVALID, ApiError
from bot.fakeapi.state import State, as_int, now
from bot.telegram_html import Parsed

logger = logging.getLogger(__name__)

CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
DOCUMENT_LIMIT = 50 * 1024 * 1024


def _inline(markup: Any) -> dict[str, Any] | None:
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


class MessageMethods(State):
    """Mixed into FakeBotAPI: one `_m_<method>` coroutine per Bot API method on messages."""

    # ---------------------------------------------------------------- shared checks
    def _throttle(self, chat: dict[str, Any], params: dict[str, Any]) -> None:
        """Telegram's flood limits (only with enforce_limits), checked once a send is valid."""
        if not self.enforce_limits:
            return
        paid = params.get("allow_paid_broadcast") in (True, "true", "True", 1)
        wait = self._limits.check(chat["id"], chat["type"], paid)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _reply_to(self, chat: dict[str, Any], params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            legacy = params.get("reply_to_message_id")
            reply = {"message_id": legacy} if legacy not in (None, "") else None
            if reply is not None:
                reply["allow_sending_without_reply"] = params.get("allow_sending_without_reply")
        if not reply:
            return None
        other = reply.get("chat_id")
        if other not in (None, chat["id"]) and self.chat(other) is not chat:
            return None  # a reply to another chat: not checked
        message_id = as_int(reply.get("message_id"))
        found = (message_id in self._user_messages.get(chat["id"], {})
                 or message_id in self._bot_messages.get(chat["id"], {}))
        if found:
            return message_id
        if reply.get("allow_sending_without_reply") in (True, "true"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _store(self, chat: dict[str, Any], params: dict[str, Any], parsed: Parsed,
               markup: dict[str, Any] | None, reply_to: int | None, **content: Any
               ) -> dict[str, Any]:
        message_id = self._next_message_id(chat["id"])
        stored: dict[str, Any] = {
            "message_id": message_id, "from": self.bot_user(), "chat": dict(chat),
            "date": now(),
        }
        if params.get("message_thread_id") is not None and chat["type"] == "supergroup":
            stored["message_thread_id"] = params["message_thread_id"]
        stored.update(content)
        stored.update(
            parse_mode=params.get("parse_mode"), visible_text=parsed.text,
            entities=parsed.entities, reply_markup=markup,
            disable_notification=bool(params.get("disable_notification")),
            protect_content=bool(params.get("protect_content")),
            allow_paid_broadcast=bool(params.get("allow_paid_broadcast")),
            link_preview_options=params.get("link_preview_options"),
            reply_to_message_id=reply_to,
        )
        if not self.lean or chat["id"] in self.watched:
            self._bot_messages.setdefault(chat["id"], {})[message_id] = stored
        if markup is not None and "keyboard" in markup:
            self._reply_keyboards[chat["id"]] = markup
        elif markup is not None and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat["id"], None)
        return stored

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target(params, "edit")
        message_id = params.get("message_id")
        if message_id is None or message_id == "":
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._find_bot_message(chat["id"], message_id)
        if message is None:
            if message_id in self._user_messages.get(chat["id"], {}):
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    @staticmethod
    def _edit_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        return _inline(markup)

    # ---------------------------------------------------------------- sending
    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self.target(params, "send")
        parsed = check_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._throttle(chat, params)
        stored = self._store(chat, params, parsed, markup, reply_to, text=params["text"])
        return self.telegram_message(stored)

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        chat = self.target(params, "send")
        document = params.get("document")
        if isinstance(document, str) and document in self._files:
            known = self._files[document]
            document = {"filename": known["file_name"], "data": known["data"],
                        "content_type": known["mime_type"]}
        elif isinstance(document, str) and document.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        elif isinstance(document, str) and document:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        elif not isinstance(document, dict):
            raise ApiError(400, "Bad Request: there is no document in the request")
        data: bytes = document["data"]
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > DOCUMENT_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        caption = params.get("caption")
        parsed = check_text(caption, params.get("parse_mode"), params.get("caption_entities"),
                            caption=True)
        markup = check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._throttle(chat, params)
        name = str(document.get("filename") or "file")
        mime = document.get("content_type") or mimetypes.guess_type(name)[0]
        mime = mime or "application/octet-stream"
        seq = len(self._files) + 1
        file_id = f"BQACAgIAAxkDAAI{seq:06d}"
        info = {"file_id": file_id, "file_unique_id": f"AgAD{seq:06d}", "file_name": name,
                "mime_type": mime, "file_size": len(data)}
        self._files[file_id] = {**info, "data": data,
                                "file_path": f"documents/file_{seq}{_suffix(name)}"}
        content: dict[str, Any] = {"document": info}
        if caption is not None and parsed.text:
            content["caption"] = caption
        stored = self._store(chat, params, parsed, markup, reply_to, **content)
        self._documents.setdefault(chat["id"], []).append({
            "message_id": stored["message_id"], "file_id": file_id, "filename": name,
            "mime_type": mime, "data": data, "caption": caption,
            "parse_mode": params.get("parse_mode"),
        })
        return self.telegram_message(stored)

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self.target(params, "send")
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    # ---------------------------------------------------------------- editing
    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        if params.get("inline_message_id"):
            check_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
            self._edit_markup(params)
            return True
        message = self._editable(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        parsed = check_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = self._edit_markup(params)
        return self._apply_edit(message, params, parsed, markup, text=params["text"])

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> Any:
        if params.get("inline_message_id"):
            return True
        message = self._editable(params)
        if "document" not in message and "photo" not in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = params.get("caption")
        parsed = check_text(caption, params.get("parse_mode"), params.get("caption_entities"),
                            caption=True)
        markup = self._edit_markup(params)
        return self._apply_edit(message, params, parsed, markup,
                                caption=caption if parsed.text else None)

    def _apply_edit(self, message: dict[str, Any], params: dict[str, Any], parsed: Parsed,
                    markup: dict[str, Any] | None, **content: Any) -> Any:
        if (parsed.text == message["visible_text"] and parsed.entities == message["entities"]
                and markup == _inline(message.get("reply_markup"))):
            raise ApiError(400, NOT_MODIFIED)
        for key, value in content.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message.update(parse_mode=params.get("parse_mode"), visible_text=parsed.text,
                       entities=parsed.entities, reply_markup=markup, edit_date=now())
        if "link_preview_options" in params:
            message["link_preview_options"] = params["link_preview_options"]
        return self.telegram_message(message)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        if params.get("inline_message_id"):
            self._edit_markup(params)
            return True
        message = self._editable(params)
        markup = self._edit_markup(params)
        if markup == _inline(message.get("reply_markup")):
            raise ApiError(400, NOT_MODIFIED)
        message.update(reply_markup=markup, edit_date=now())
        return self.telegram_message(message)

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        message_id = params.get("message_id")
        if message_id in self._bot_messages.get(chat["id"], {}):
            del self._bot_messages[chat["id"]][message_id]
            return True
        if message_id in self._user_messages.get(chat["id"], {}):
            admin = self._members.get((chat["id"], self.bot_id)) in ("administrator", "creator")
            if chat["type"] != "private" and not admin:
                raise ApiError(400, "Bad Request: message can't be deleted")
            del self._user_messages[chat["id"]][message_id]
            return True
        raise ApiError(400, "Bad Request: message to delete not found")

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if self._queries.get(query_id, True):
            raise ApiError(400, QUERY_INVALID)
        if len(str(params.get("text") or "")) > CALLBACK_QUERY_TEXT_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._queries[query_id] = True
        return True



def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""
