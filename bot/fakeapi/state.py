"""What the fake Bot API remembers: chats, the bot's and users' messages, queued updates,
memberships, commands and files, and how those become Telegram's JSON objects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from typing import Any

from bot.fakeapi.limits import Limits
from bot.fakeapi.records import (
    BLOCKED,
    CHAT_NOT_FOUND,
    MIGRATED,
    ApiError,
    Call,
    Fault,
    Rule,
)

logger = logging.getLogger(__name__)

ChatId = int | str
DEFAULT_BOT_ID = 7000000000
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages",
)
RESTRICTED_RIGHTS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
    "can_invite_users", "can_pin_messages", "can_manage_topics", "can_edit_tag",
)
# Keys of a stored bot message that are the fake's bookkeeping, not Telegram's Message fields.
BOOKKEEPING = (
    "parse_mode", "visible_text", "entities", "disable_notification", "protect_content",
    "allow_paid_broadcast", "reply_to_message_id", "caption", "text", "reply_markup",
    "link_preview_options",
)


class State:
    """The fake's memory. Mixins add the Bot API methods and the injection API on top."""

    def __init__(self, token: str | None, username: str, enforce_limits: bool,
                 latency: float, *, allowance: float | None = None, lean: bool = False,
                 auto_chats: bool = False) -> None:
        """`allowance`: the bot's limits as a sliding second (see limits.py). `lean`: keep no
        message and no call of a sendMessage (but those to `watched` chats), for long runs.
        `auto_chats`: any positive chat id is a resident's private chat."""
        self.token = token
        self.username = username
        self.enforce_limits = enforce_limits
        self.latency = latency
        self.calls: list[Call] = []
        self.stats: Counter[str] = Counter()
        self.chats: dict[ChatId, dict[str, Any]] = {}
        self._token_seen: str | None = None
        self._users: dict[int, dict[str, Any]] = {}
        self._bot_messages: dict[ChatId, dict[int, dict[str, Any]]] = {}
        self._user_messages: dict[ChatId, dict[int, dict[str, Any]]] = {}
        self._last_id: dict[ChatId, int] = {}
        self._documents: dict[ChatId, list[dict[str, Any]]] = {}
        # The reply keyboard each chat shows now (the last one sent, until a remove_keyboard).
        self._reply_keyboards: dict[ChatId, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_id = 0
        self._wakers: set[asyncio.Event] = set()
        self._allowed_updates: list[str] | None = None
        self._webhook_url = ""
        self._members: dict[tuple[ChatId, int], str] = {}
        self._member_counts: dict[ChatId, int] = {}  # set by a test; else counted from _members
        self._bot_gone: dict[ChatId, tuple[str, str]] = {}  # chat -> (status, 403 description)
        self._blocked: set[ChatId] = set()
        self._migrated: dict[ChatId, int] = {}
        self._queries: dict[str, bool] = {}  # id -> answered
        self._query_seq = 0
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[ChatId | None, dict[str, Any]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._faults: list[Fault] = []
        self._slow: list[Rule] = []
        self._drops: list[Rule] = []
        self._limits = Limits(allowance)
        self.lean = lean
        self.auto_chats = auto_chats
        self.watched: set[ChatId] = set()
        # Arrival of each sendMessage (to chats not watched) answered 200, and 429.
        self.sent_at: list[float] = []
        self.refused_at: list[float] = []
        self._message_seq = 0

    # ---------------------------------------------------------------- users and chats
    @property
    def bot_id(self) -> int:
        token = self.token or self._token_seen
        return int(token.split(":", 1)[0]) if token else DEFAULT_BOT_ID

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id, "is_bot": True, "first_name": "Sẵn sàng",
            "username": self.username, "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
            "can_connect_to_business": False, "has_main_web_app": False,
        }

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", language_code: str | None = "vi"
             ) -> dict[str, Any]:
        out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            out["language_code"] = language_code
        return out

    def chat(self, chat_id: Any) -> dict[str, Any] | None:
        """The chat with this id (or "@username"), if the fake knows it."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            return next((c for c in self.chats.values()
                         if str(c.get("username", "")).lower() == name), None)
        return self.chats.get(chat_id)

    def target(self, params: dict[str, Any], action: str = "read") -> dict[str, Any]:
        """The chat a call is about. `action` is "read", "edit" or "send"."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self._migrated:
            raise ApiError(400, MIGRATED, migrate_to_chat_id=self._migrated[chat_id])
        chat = self.chat(chat_id)
        if chat is None and self.auto_chats and isinstance(chat_id, int) and chat_id > 0:
            chat = {"id": chat_id, "type": "private", "first_name": "Lan"}  # not kept
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if action != "read":
            if chat["id"] in self._blocked:
                raise ApiError(403, BLOCKED)
            if chat["id"] in self._bot_gone:
                raise ApiError(403, self._bot_gone[chat["id"]][1])
        return chat

    def member(self, user: dict[str, Any], status: str) -> dict[str, Any]:
        """A ChatMember object of this status."""
        out: dict[str, Any] = {"user": user, "status": status}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out.update(can_be_edited=False, is_anonymous=False,
                       **dict.fromkeys(ADMIN_RIGHTS, True))
        elif status == "restricted":
            out.update(is_member=True, until_date=0, **dict.fromkeys(RESTRICTED_RIGHTS, False))
        elif status == "kicked":
            out["until_date"] = 0
        return out

    def bot_status(self, chat_id: ChatId) -> str:
        if chat_id in self._bot_gone:
            return self._bot_gone[chat_id][0]
        return self._members.get((chat_id, self.bot_id), "member")

    # ---------------------------------------------------------------- messages and updates
    def _next_message_id(self, chat_id: ChatId) -> int:
        if self.lean and chat_id not in self.watched:
            self._message_seq += 1
            return self._message_seq
        self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
        return self._last_id[chat_id]

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        self._update_id += 1
        update = {"update_id": self._update_id, **update}
        self._updates.append(update)
        for waker in self._wakers:
            waker.set()
        logger.debug("queued update %d (%s)", self._update_id, update_type(update))
        return update

    def _find_bot_message(self, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        return self._bot_messages.get(chat_id, {}).get(message_id)

    def telegram_message(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored bot message as a Telegram Message object (visible text and entities)."""
        out = {k: v for k, v in stored.items() if k not in BOOKKEEPING}
        if stored.get("protect_content"):
            out["has_protected_content"] = True
        reply_id = stored.get("reply_to_message_id")
        if reply_id is not None:
            chat_id = stored["chat"]["id"]
            user_message = self._user_messages.get(chat_id, {}).get(reply_id)
            bot_message = self._find_bot_message(chat_id, reply_id)
            if user_message is not None:
                out["reply_to_message"] = dict(user_message)
            elif bot_message is not None:
                out["reply_to_message"] = self.telegram_message(bot_message)
            # Telegram nests one level only.
            out.get("reply_to_message", {}).pop("reply_to_message", None)
        key = "text" if "text" in stored else "caption" if "caption" in stored else None
        if key is not None:
            out[key] = stored["visible_text"]
            if stored.get("entities"):
                out["entities" if key == "text" else "caption_entities"] = stored["entities"]
        if key == "text" and stored.get("link_preview_options"):
            out["link_preview_options"] = stored["link_preview_options"]
        markup = stored.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            out["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return out


def update_type(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


def scope_key(scope: Any) -> str:
    """BotCommandScope as a canonical JSON string: sorted keys, numeric ids as numbers."""
    if not scope:
        scope = {"type": "default"}
    if isinstance(scope, str):
        try:
            scope = json.loads(scope)
        except ValueError:
            return scope
    if isinstance(scope, dict):
        scope = {k: int(v) if k in ("chat_id", "user_id") and _is_int(v) else v
                 for k, v in scope.items()}
    return json.dumps(scope, sort_keys=True, ensure_ascii=False)


def as_int(value: Any) -> int | None:
    """An id sent as a number or a numeric string, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.lstrip("-").isdigit()


def now() -> int:
    return int(time.time())
