"""The Bot API methods the fake implements, with Telegram's checks and error texts."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bot.fakeapi.html_check import EntityError, utf16_len, visible_text
from bot.fakeapi.limits import Limits
from bot.fakeapi.records import NOT_MODIFIED, ApiError


class BotMethods:
    """Mixed into FakeBotAPI: `_m_<method>` answers one Bot API method."""

    bot_id: int
    username: str
    enforce_limits: bool
    chats: dict[int | str, dict[str, Any]]
    _messages: dict[int | str, list[dict[str, Any]]]
    _documents: dict[int | str, list[dict[str, Any]]]
    _updates: list[dict[str, Any]]
    _members: dict[tuple[int | str, int], str]
    _blocked: set[int | str]
    _migrated: dict[int | str, int]
    _queries: dict[str, bool]
    _commands: dict[tuple[str, str], list[dict[str, Any]]]
    _limits: Limits

    def bot_user(self) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", language_code: str | None = "vi"
             ) -> dict[str, Any]:
        raise NotImplementedError

    def _message_id(self, chat_id: int | str) -> int:
        raise NotImplementedError

    # ---------------------------------------------------------------- checks
    def _target(self, params: dict[str, Any], sending: bool) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           migrate_to_chat_id=self._migrated[chat_id])
        if chat_id in self._blocked:
            chat = self.chats[chat_id]
            raise ApiError(403, "Forbidden: bot was blocked by the user"
                           if chat["type"] == "private" else
                           "Forbidden: bot was kicked from the group chat")
        chat = self.chats[chat_id]
        if sending and self.enforce_limits:
            paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
            wait = self._limits.check(chat_id, chat["type"], paid)
            if wait:
                self.stats["429"] += 0  # counted by _record with the status
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        return chat

    @staticmethod
    def _check_text(text: Any, parse_mode: Any, what: str = "message text") -> str:
        if text is None or not str(text).strip():
            raise ApiError(400, f"Bad Request: {what} is empty")
        text = str(text)
        visible = text
        if str(parse_mode or "").upper() == "HTML":
            try:
                visible = visible_text(text)
            except EntityError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        if not visible.strip():
            raise ApiError(400, f"Bad Request: {what} is empty")
        limit = 4096 if what == "message text" else 1024
        if utf16_len(visible) > limit:
            raise ApiError(400, "Bad Request: message is too long" if what == "message text"
                           else "Bad Request: message caption is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return
        count = 0
        for row in rows:
            for button in row:
                count += 1
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                        "keyboard")
                kinds = [k for k in ("callback_data", "url") if k in button]
                if len(kinds) != 1:
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if count > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")

    def _find(self, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        for message in self._messages.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        return None

    def _new_message(self, chat: dict[str, Any], params: dict[str, Any], **content: Any
                     ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._message_id(chat["id"]), "date": int(time.time()),
            "chat": chat, "from": self.bot_user(), **content,
        }
        if params.get("reply_markup") and params["reply_markup"].get("inline_keyboard"):
            message["reply_markup"] = params["reply_markup"]
        stored = {**message, "parse_mode": params.get("parse_mode"),
                  "disable_notification": params.get("disable_notification"),
                  "allow_paid_broadcast": params.get("allow_paid_broadcast")}
        self._messages.setdefault(chat["id"], []).append(stored)
        return message

    # ---------------------------------------------------------------- methods
    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user()

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    _m_close = _m_logout
    _m_deletewebhook = _m_logout
    _m_setwebhook = _m_logout
    _m_setchatmenubutton = _m_logout
    _m_setmydescription = _m_logout
    _m_setmyshortdescription = _m_logout

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=True)
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        self._check_markup(params.get("reply_markup"))
        return self._new_message(chat, params, text=text)

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=True)
        document = params.get("document")
        if not isinstance(document, dict):
            raise ApiError(400, "Bad Request: there is no document in the request")
        if params.get("caption"):
            self._check_text(params["caption"], params.get("parse_mode"), "message caption")
        self._check_markup(params.get("reply_markup"))
        self._documents.setdefault(chat["id"], []).append(
            {**document, "caption": params.get("caption")}
        )
        info = {"file_id": f"DOC{len(self._documents[chat['id']])}", "file_unique_id": "D",
                "file_name": document["filename"], "file_size": len(document["data"])}
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._new_message(chat, params, document=info, **extra)

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._target(params, sending=False)
        return True

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        if params.get("inline_message_id"):
            return True
        chat = self._target(params, sending=False)
        message = self._find(chat["id"], params.get("message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        markup = params.get("reply_markup")
        self._check_markup(markup)
        new_markup = markup if markup and markup.get("inline_keyboard") else None
        if message.get("text") == text and message.get("reply_markup") == new_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.update(text=text, parse_mode=params.get("parse_mode"),
                       edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if new_markup:
            message["reply_markup"] = new_markup
        return {k: v for k, v in message.items()
                if k not in ("parse_mode", "disable_notification", "allow_paid_broadcast")}

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=False)
        message = self._find(chat["id"], params.get("message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        new_markup = markup if markup and markup.get("inline_keyboard") else None
        if message.get("reply_markup") == new_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.pop("reply_markup", None)
        if new_markup:
            message["reply_markup"] = new_markup
        return {k: v for k, v in message.items()
                if k not in ("parse_mode", "disable_notification", "allow_paid_broadcast")}

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=False)
        message = self._find(chat["id"], params.get("message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._messages[chat["id"]].remove(message)
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if self._queries.get(query_id, True):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        self._queries[query_id] = True
        if params.get("text") and len(str(params["text"])) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands") or []
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) or not (
                1 <= len(c.get("description", "")) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        scope = params.get("scope") or {}
        if scope.get("type") == "chat" and scope.get("chat_id") not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        self._commands[key] = list(commands)
        return True

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return self._commands.get(key, [])

    async def _m_getchat(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=False)
        user_id = int(params.get("user_id") or 0)
        status = self._members.get((chat["id"], user_id), "member")
        return _chat_member(self.user(user_id), status)

    async def _m_getchatadministrators(self, params: dict[str, Any]) -> Any:
        chat = self._target(params, sending=False)
        return [_chat_member(self.user(user), status)
                for (chat_id, user), status in self._members.items()
                if chat_id == chat["id"] and status in ("creator", "administrator")]

    async def _m_leavechat(self, params: dict[str, Any]) -> Any:
        self._target(params, sending=False)
        return True


def canonical_name(name: str) -> str:
    """The method's name as Telegram documents it (sendMessage), whatever case was used."""
    return next((n for n in _KNOWN if n.lower() == name.lower()), name)


_KNOWN = (
    "getMe", "logOut", "close", "deleteWebhook", "setWebhook", "getWebhookInfo", "getUpdates",
    "sendMessage", "sendDocument", "sendChatAction", "editMessageText",
    "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery", "setMyCommands",
    "deleteMyCommands", "getMyCommands", "getChat", "getChatMember", "getChatAdministrators",
    "leaveChat", "setChatMenuButton", "setMyDescription", "setMyShortDescription",
)


def scope_key(scope: Any) -> str:
    if not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    if status == "creator":
        return {"user": user, "status": "creator", "is_anonymous": False}
    if status == "administrator":
        rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                  "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                  "can_change_info", "can_invite_users", "can_post_stories",
                  "can_edit_stories", "can_delete_stories")
        return {"user": user, "status": "administrator",
                **{r: r not in ("can_be_edited", "is_anonymous") for r in rights}}
    if status == "kicked":
        return {"user": user, "status": "kicked", "until_date": 0}
    if status == "left":
        return {"user": user, "status": "left"}
    return {"user": user, "status": "member"}
