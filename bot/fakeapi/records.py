"""What the fake records and raises: calls, injected faults, and Telegram's error envelope."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)



@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    migrate_to_chat_id: int | None
    chat_id: int | str | None
    times: int


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.parameters = {k: v for k, v in parameters.items() if v is not None}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out
