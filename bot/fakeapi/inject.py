"""The test side of the fake: synchronous calls that make users act (messages, button presses,
membership changes) and that plan faults (errors, blocks, migrations, delays, drops).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.fakeapi.records import CANONICAL, Fault, Rule, default_description
from bot.fakeapi.state import MEMBER_STATUSES, ChatId, State, now
from bot.telegram_html import utf16_len

logger = logging.getLogger(__name__)

CHAT_TYPES = ("private", "group", "supergroup", "channel")
# A bot command as Telegram marks it: after a non-word character, up to 64 characters, with an
# optional @botname of 3 to 32.
BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
# The smallest JPEG and WebP-like payloads: getFile and downloads of injected media work.
PHOTO_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11"


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities of a user's text, offsets in UTF-16 as Telegram counts them."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[:m.start()]),
         "length": utf16_len(m.group(0))}
        for m in BOT_COMMAND.finditer(text)
    ]


def _chat_instance(chat_id: ChatId) -> str:
    """A stable opaque string per chat, as Telegram's chat_instance is."""
    if isinstance(chat_id, int):
        return str(5_000_000_000_000_000_000 + chat_id)
    return str(chat_id)


class Injection(State):
    """Mixed into FakeBotAPI: what users and Telegram do, as tests and the shell script it."""

    # ---------------------------------------------------------------- chats
    def add_chat(self, chat_id: ChatId, type: str = "private", title: str | None = None,
                 first_name: str | None = None, *, username: str | None = None
                 ) -> dict[str, Any]:
        """Register a chat (no update is sent); returns its Chat object."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}, not {type!r}")
        chat: dict[str, Any] = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = first_name or "Lan"
        else:
            chat["title"] = title or "Nhóm"
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return dict(chat)

    def _ensure_chat(self, chat_id: ChatId, chat_type: str | None = None,
                     first_name: str | None = None) -> dict[str, Any]:
        chat = self.chat(chat_id)
        if chat is None:
            if chat_type is None:
                # Supergroup and channel ids look like -100xxxxxxxxxx.
                if isinstance(chat_id, int) and chat_id > 0:
                    chat_type = "private"
                elif isinstance(chat_id, int) and chat_id < -10**12:
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            self.add_chat(chat_id, chat_type, first_name=first_name)
            chat = self.chats[chat_id]
        return chat

    def _user(self, user_id: int, first_name: str | None = None,
              language_code: str | None = "vi") -> dict[str, Any]:
        if first_name is None and user_id in self._users:
            return self._users[user_id]
        user = self.user(user_id, first_name or "Lan", language_code)
        self._users[user_id] = user
        return user

    # ---------------------------------------------------------------- users' messages
    def send_message(self, user_id: int, text: str | None, *, chat_id: ChatId | None = None,
                     chat_type: str | None = None, first_name: str = "Lan",
                     language_code: str | None = "vi", **extra: Any) -> dict[str, Any]:
        """A user's message reaches the bot (in their private chat unless `chat_id`).

        `extra` adds Message fields (photo, location, migrate_to_chat_id…); text may be None.
        """
        user = self._user(user_id, first_name, language_code)
        chat = self._ensure_chat(user_id if chat_id is None else chat_id, chat_type, first_name)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]), "from": user, "chat": dict(chat),
            "date": now(),
        }
        if text is not None:
            message["text"] = text
            entities = command_entities(text)
            if entities:
                message["entities"] = entities
        message.update(extra)
        self._user_messages.setdefault(chat["id"], {})[message["message_id"]] = message
        if chat["id"] not in self._bot_gone:  # a bot that left a group hears nothing there
            self._push({"message": message})
        return dict(message)

    def _media(self, kind: str, payload: bytes, ext: str, *, file_size: int | None = None,
               **fields: Any) -> dict[str, Any]:
        seq = len(self._files) + 1
        file_id = f"{kind.upper()}AgACAgIAAxkBAAI{seq:06d}"
        info = {"file_id": file_id, "file_unique_id": f"AQAD{seq:06d}",
                "file_size": len(payload) if file_size is None else file_size, **fields}
        self._files[file_id] = {**info, "data": payload, "kind": kind,
                                "file_path": f"{kind}s/file_{seq}.{ext}"}
        return info

    def send_photo(self, user_id: int, chat_id: ChatId | None = None, *,
                   caption: str | None = None, file_size: int | None = None,
                   width: int = 1280, height: int = 960) -> dict[str, Any]:
        """A user's photo: its sizes as Telegram makes them (90, 320 and the full size, smallest
        first), each a file of its own. `file_size`: what the largest size reports, to play a
        photo too large for the bot (the bytes stay a tiny JPEG)."""
        sizes = []
        for side in (90, 320, max(width, height)):
            scale = min(1.0, side / max(width, height))
            full = scale == 1.0
            sizes.append(self._media(
                "photo", PHOTO_BYTES, "jpg", width=max(1, round(width * scale)),
                height=max(1, round(height * scale)),
                file_size=file_size if full and file_size is not None
                else max(len(PHOTO_BYTES), round(150_000 * scale * scale))))
        for info in sizes:
            self._files[info["file_id"]]["sizes"] = sizes
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self.send_message(user_id, None, chat_id=chat_id, **extra)

    def send_sticker(self, user_id: int, chat_id: ChatId | None = None) -> dict[str, Any]:
        sticker = self._media("sticker", STICKER_BYTES, "webp", type="regular", width=512,
                              height=512, is_animated=False, is_video=False, emoji="👍")
        return self.send_message(user_id, None, chat_id=chat_id, sticker=sticker)

    def send_location(self, user_id: int, lat: float, lon: float,
                      chat_id: ChatId | None = None, *, live_period: int | None = None
                      ) -> dict[str, Any]:
        """A location sent by hand (attachment menu → Location), or a live one."""
        location: dict[str, Any] = {"latitude": lat, "longitude": lon}
        if live_period is not None:
            location["live_period"] = live_period
        return self.send_message(user_id, None, chat_id=chat_id, location=location)

    def send_venue(self, user_id: int, lat: float, lon: float, title: str = "Chợ Cột Đèn",
                   address: str = "Lê Chân, Hải Phòng", chat_id: ChatId | None = None
                   ) -> dict[str, Any]:
        """A place picked from the map's list: a venue, with `location` set too, as the Bot
        API sets it for backward compatibility."""
        location = {"latitude": lat, "longitude": lon}
        venue = {"location": location, "title": title, "address": address}
        return self.send_message(user_id, None, chat_id=chat_id, venue=venue, location=location)

    def share_location(self, user_id: int, lat: float, lon: float) -> dict[str, Any]:
        """The user presses the reply keyboard's request_location button: the app sends their
        location as a plain location message. Fails (as a phone could not do it) when the chat
        shows no such button; the button works in private chats only."""
        chat = self._ensure_chat(user_id, "private")
        if chat["type"] != "private":
            raise ValueError("request_location buttons work in private chats only")
        rows = (self._reply_keyboards.get(chat["id"]) or {}).get("keyboard") or []
        if not any(isinstance(b, dict) and b.get("request_location") for row in rows
                   for b in row):
            raise AssertionError(f"chat {chat['id']} shows no request_location button")
        return self.send_location(user_id, lat, lon)

    def edit_user_message(self, user_id: int, message_id: int, new_text: str,
                          chat_id: ChatId | None = None) -> dict[str, Any]:
        """The user edits one of their messages: an edited_message update."""
        chat = self._ensure_chat(user_id if chat_id is None else chat_id)
        stored = self._user_messages.get(chat["id"], {}).get(message_id)
        if stored is None:
            stored = {"message_id": message_id, "from": self._user(user_id),
                      "chat": dict(chat), "date": now() - 60}
            self._user_messages.setdefault(chat["id"], {})[message_id] = stored
        stored.pop("entities", None)
        stored.update(text=new_text, edit_date=now())
        entities = command_entities(new_text)
        if entities:
            stored["entities"] = entities
        self._push({"edited_message": dict(stored)})
        return dict(stored)

    def press_button(self, user_id: int, chat_id: ChatId, message_id: int, data: str) -> str:
        """A user presses a button: a callback_query update; returns its id.

        `data` may be anything, as a modified client can send. The query's message is the bot's
        message as it is now, or an inaccessible one (date 0) when the fake does not know it.
        """
        self._query_seq += 1
        query_id = str(4_300_000_000_000_000_000 + self._query_seq)
        self._queries[query_id] = False
        chat = self._ensure_chat(chat_id)
        stored = self._find_bot_message(chat["id"], message_id)
        if stored is not None:
            message = self.telegram_message(stored)
        else:
            message = {"chat": dict(chat), "message_id": message_id, "date": 0}
        self._push({"callback_query": {
            "id": query_id, "from": self._user(user_id), "message": message,
            "chat_instance": _chat_instance(chat["id"]), "data": data,
        }})
        return query_id

    # ---------------------------------------------------------------- membership
    def _membership(self, chat: dict[str, Any], by_user_id: int, old: str, new: str
                    ) -> dict[str, Any]:
        change = {
            "chat": dict(chat), "from": self._user(by_user_id), "date": now(),
            "old_chat_member": self.member(self.bot_user(), old),
            "new_chat_member": self.member(self.bot_user(), new),
        }
        self._push({"my_chat_member": change})
        return change

    def bot_added_to_group(self, chat_id: ChatId, by_user_id: int,
                           title: str = "Trường THCS Lê Chân", chat_type: str = "group"
                           ) -> dict[str, Any]:
        """Someone adds the bot to a group: a my_chat_member update (left → member)."""
        old = self.bot_status(chat_id) if chat_id in self._bot_gone else "left"
        chat = self.chats.get(chat_id)
        if chat is None or chat.get("title") != title or chat["type"] != chat_type:
            self.add_chat(chat_id, chat_type, title=title)
        self._bot_gone.pop(chat_id, None)
        return self._membership(self.chats[chat_id], by_user_id, old, "member")

    def bot_removed_from_group(self, chat_id: ChatId, by_user_id: int) -> dict[str, Any]:
        """Someone removes the bot: left in a group, kicked (banned) in a supergroup."""
        chat = self._ensure_chat(chat_id, "group")
        old = self.bot_status(chat_id)
        new = "kicked" if chat["type"] in ("supergroup", "channel") else "left"
        self._bot_gone[chat_id] = (new, f"Forbidden: bot was kicked from the {chat['type']} chat")
        return self._membership(chat, by_user_id, old, new)

    def user_blocks_bot(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot: my_chat_member member → kicked; sends then answer 403."""
        chat = self._ensure_chat(user_id, "private")
        self._blocked.add(user_id)
        return self._membership(chat, user_id, "member", "kicked")

    def user_unblocks_bot(self, user_id: int) -> dict[str, Any]:
        chat = self._ensure_chat(user_id, "private")
        self._blocked.discard(user_id)
        return self._membership(chat, user_id, "kicked", "member")

    def set_member_status(self, chat_id: ChatId, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat (default "member")."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {MEMBER_STATUSES}, not {status!r}")
        self._members[(chat_id, user_id)] = status

    def set_member_count(self, chat_id: ChatId, count: int) -> None:
        """What getChatMemberCount answers for this chat (else: members known, bot included)."""
        if count < 0:
            raise ValueError("a member count cannot be negative")
        self._member_counts[chat_id] = count

    # ---------------------------------------------------------------- faults
    @staticmethod
    def _method(method: str) -> str:
        key = method.lower()
        if key not in CANONICAL:
            raise ValueError(f"the fake does not implement {method!r}")
        return key

    def fail_next(self, method: str, *, status: int, description: str | None = None,
                  retry_after: int | None = None, migrate_to_chat_id: int | None = None,
                  chat_id: ChatId | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` (to `chat_id` only, if given) fail so."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = default_description(status, retry_after, migrate_to_chat_id)
        self._faults.append(Fault(self._method(method), status, description, retry_after,
                                  migrate_to_chat_id, chat_id, times))

    def block(self, chat_id: ChatId) -> None:
        """Every send to this chat answers 403 "Forbidden: bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: ChatId) -> None:
        self._blocked.discard(chat_id)

    def migrate(self, chat_id: ChatId, new_chat_id: int, *, announce: bool = True,
                by_user_id: int | None = None) -> None:
        """The group becomes a supergroup. Calls to the old id answer 400 with
        migrate_to_chat_id; with `announce`, the two service messages arrive as updates.
        """
        old = self._ensure_chat(chat_id, "group")
        self.add_chat(new_chat_id, "supergroup", title=old.get("title"))
        self._migrated[chat_id] = new_chat_id
        if announce:
            sender = {"from": self._user(by_user_id)} if by_user_id is not None else {}
            for chat, field, other in ((old, "migrate_to_chat_id", new_chat_id),
                                       (self.chats[new_chat_id], "migrate_from_chat_id",
                                        chat_id)):
                message = {"message_id": self._next_message_id(chat["id"]), **sender,
                           "chat": dict(chat), "date": now(), field: other}
                self._push({"message": message})

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answer to the next `times` calls of `method` by `seconds`."""
        self._slow.append(Rule(self._method(method), times, seconds))

    def drop_next(self, method: str, times: int = 1, *, after: bool = False) -> None:
        """Close the connection of the next `times` calls of `method` without an answer:
        before doing anything, or (after=True) once the call took effect, as a lost answer.
        """
        self._drops.append(Rule(self._method(method), times, after=after))
