"""What the fake records and raises: calls, injected faults and delays, Telegram's error envelope.

Error texts are Telegram's own, so code matching on them behaves as it will in production.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

METHODS = (
    "getMe", "logOut", "close", "deleteWebhook", "setWebhook", "getWebhookInfo", "getUpdates",
    "sendMessage", "sendDocument", "sendPhoto", "sendChatAction", "editMessageText",
    "editMessageCaption", "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery",
    "setMyCommands", "deleteMyCommands", "getMyCommands", "setChatMenuButton", "getChatMenuButton",
    "setMyDescription", "getMyDescription", "setMyShortDescription", "getMyShortDescription",
    "getChat", "getChatMember", "getChatMemberCount", "getChatAdministrators", "leaveChat",
    "getFile",
)
CANONICAL = {name.lower(): name for name in METHODS}
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
         "is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


def canonical_name(name: str) -> str:
    """The method's name as Telegram documents it (sendMessage), whatever case was used."""
    return CANONICAL.get(name.lower(), name)


def default_description(status: int, retry_after: int | None = None,
                        migrate_to_chat_id: int | None = None) -> str:
    """Telegram's description for an error of this status (and parameters)."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 400 and migrate_to_chat_id is not None:
        return MIGRATED
    return DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")


@dataclass
class Call:
    """One request the fake answered: the decoded params and the JSON it sent back.

    `status` is the HTTP status, 0 when the connection was dropped without an answer.
    """

    method: str
    params: dict[str, Any]
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        """The `result` of a successful answer (None otherwise)."""
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        return self.response.get("description")


@dataclass
class Fault:
    """The next `times` calls of `method` (in `chat_id` only, if set) fail with this error."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    chat_id: int | str | None = None
    times: int = 1

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        return self.times > 0 and self.method == method and (
            self.chat_id is None or str(self.chat_id) == str(params.get("chat_id"))
        )


@dataclass
class Rule:
    """A delay (`seconds`) or a dropped connection for the next `times` calls of `method`."""

    method: str
    times: int = 1
    seconds: float = 0.0
    after: bool = False


def take_rule(rules: list[Rule], method: str) -> Rule | None:
    """Use up one turn of the first rule for `method`, if any is left."""
    for rule in rules:
        if rule.method == method and rule.times > 0:
            rule.times -= 1
            return rule
    return None


class ApiError(Exception):
    """An answer with ok=false: raised by a method, turned into Telegram's envelope."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.parameters = {k: v for k, v in parameters.items() if v is not None}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out
