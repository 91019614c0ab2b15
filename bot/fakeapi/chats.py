"""The Bot API methods about the bot itself and its chats: getMe, webhooks, command menus,
descriptions, chats and members, files; each is `_m_<lowercase name>`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.fakeapi.records import CHAT_NOT_FOUND, ApiError
from bot.fakeapi.state import State, as_int, now, scope_key

logger = logging.getLogger(__name__)

SCOPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE = re.compile(r"(?:[a-z]{2})?")
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile: bots download files of at most 20 MB


class ChatMethods(State):
    """Mixed into FakeBotAPI: one `_m_<method>` coroutine per Bot API method on chats."""

    # ---------------------------------------------------------------- the bot itself
    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user()

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    _m_close = _m_logout

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        self._webhook_url = url
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self._webhook_url = ""
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {"url": self._webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    # ---------------------------------------------------------------- commands and menus
    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
            raise ApiError(400, "Bad Request: unsupported bot command scope type")
        if scope["type"].startswith("chat"):
            if self.chat(scope.get("chat_id")) is None:
                raise ApiError(400, CHAT_NOT_FOUND)
            if scope["type"] == "chat_member" and as_int(scope.get("user_id")) is None:
                raise ApiError(400, "Bad Request: user not found")
        language = str(params.get("language_code") or "")
        if not LANGUAGE.fullmatch(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return scope_key(scope), language

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for c in commands:
            if not isinstance(c, dict) or not COMMAND.fullmatch(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return list(self._commands.get(self._commands_key(params), []))

    async def _m_setchatmenubutton(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id not in (None, ""):
            chat_id = self.target(params)["id"]
        button = params.get("menu_button") or {"type": "default"}
        self._menu_buttons[chat_id or None] = button
        return True

    async def _m_getchatmenubutton(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id not in (None, ""):
            chat_id = self.target(params)["id"]
        found = self._menu_buttons.get(chat_id or None) or self._menu_buttons.get(None)
        return found or {"type": "default"}

    async def _m_setmydescription(self, params: dict[str, Any]) -> Any:
        key = ("description", str(params.get("language_code") or ""))
        self._descriptions[key] = str(params.get("description") or "")
        return True

    async def _m_getmydescription(self, params: dict[str, Any]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"description": self._descriptions.get(("description", lang), "")}

    async def _m_setmyshortdescription(self, params: dict[str, Any]) -> Any:
        key = ("short_description", str(params.get("language_code") or ""))
        self._descriptions[key] = str(params.get("short_description") or "")
        return True

    async def _m_getmyshortdescription(self, params: dict[str, Any]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"short_description": self._descriptions.get(("short_description", lang), "")}

    # ---------------------------------------------------------------- chats and members
    async def _m_getchat(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                               "premium_subscription", "gifts_from_channels"), False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        user_id = as_int(params.get("user_id"))
        if user_id is None:
            raise ApiError(400, "Bad Request: user not found")
        if user_id == self.bot_id:
            return self.member(self.bot_user(), self.bot_status(chat["id"]))
        status = self._members.get((chat["id"], user_id), "member")
        return self.member(self._users.get(user_id) or self.user(user_id), status)

    async def _m_getchatmembercount(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        if chat["id"] in self._member_counts:
            return self._member_counts[chat["id"]]
        gone = ("left", "kicked")
        present = {user_id for (chat_id, user_id), status in self._members.items()
                   if chat_id == chat["id"] and status not in gone}
        if chat["type"] == "private":
            present |= {chat["id"], self.bot_id}
        elif self.bot_status(chat["id"]) not in gone:
            present.add(self.bot_id)
        return len(present)

    async def _m_getchatadministrators(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = []
        for (chat_id, user_id), status in self._members.items():
            if chat_id == chat["id"] and status in ("creator", "administrator"):
                user = self.bot_user() if user_id == self.bot_id else (
                    self._users.get(user_id) or self.user(user_id))
                admins.append(self.member(user, status))
        return admins

    async def _m_leavechat(self, params: dict[str, Any]) -> Any:
        chat = self.target(params)
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: chat member status can't be changed in private "
                                "chats")
        if chat["id"] in self._bot_gone:
            raise ApiError(403, self._bot_gone[chat["id"]][1])
        old = self.bot_status(chat["id"])
        self._bot_gone[chat["id"]] = (
            "left", f"Forbidden: bot is not a member of the {chat['type']} chat")
        self._push({"my_chat_member": {
            "chat": dict(chat), "from": self.bot_user(), "date": now(),
            "old_chat_member": self.member(self.bot_user(), old),
            "new_chat_member": self.member(self.bot_user(), "left"),
        }})
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        found = self._files.get(str(params.get("file_id") or ""))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if int(found.get("file_size") or 0) > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {k: found[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

