"""Callback data: short ASCII strings parsed strictly against a whitelist of actions.

Clients can forge callback data, so nothing in it is trusted beyond its shape: who acts is always
`update.effective_user`, and the handler re-checks that user's right to act.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: dict[str, re.Pattern[str]] = {
    "lang": re.compile(r"^l:(vi|en)$"),
    "area": re.compile(r"^a:([a-z0-9_-]{1,32})$"),
    "page": re.compile(r"^p:(\d{1,3})$"),
    "forget": re.compile(r"^f:(y|n)$"),
    "group_kind": re.compile(r"^k:(school|market|office|residential|other|ask)$"),
    "staff_add": re.compile(r"^s:a:(\d{1,20}):(s|l)$"),
    "staff_remove": re.compile(r"^s:r:(\d{1,20})$"),
    "staff_cancel": re.compile(r"^s:x$"),
    "guides_menu": re.compile(r"^g:m$"),
    "guides_hazard": re.compile(r"^g:h:([a-z]{1,16})$"),
    "guide": re.compile(r"^g:v:([a-z0-9][a-z0-9-]{0,39})$"),
    "emergency": re.compile(r"^e$"),
    "menu": re.compile(r"^m$"),
    # Flood reports: the resident's depth, skip (photo or note) and cancel; staff's check and
    # resolve of report <id>.
    "report": re.compile(r"^r:(d):(ankle|knee|waist|above)$|^r:(s|x)$"),
    "report_staff": re.compile(r"^r:(c|r):(\d{1,12})$"),
    "export": re.compile(r"^x:(tm|lm|tq|ty|ly)(?::(w))?$"),
    "broadcast": re.compile(
        r"^b:(all|next|kall|knext|stop|noen|now|later|weekly|urgent|normal|ok|guides)$"
        r"|^b:(t|gh|g|wd|k):([a-z0-9_-]{1,40})$"
        r"|^b:(x):(\d{1,9})$|^b:(pg):(\d{1,3})$|^b:(cp|cr):([a-z0-9][a-z0-9-]{0,39})$"
    ),
    # Weather advisory drafts: approve, discard, edit text (keep English / Vietnamese for
    # everyone), the area picker (open, toggle an area or group, all areas, done).
    "weather": re.compile(
        r"^w:(ok|no|ed|ke|ve|ar|al|dn):(\d{1,9})$|^w:(t):(\d{1,9}):([a-z0-9_-]{1,32})$"
    ),
}


@dataclass(frozen=True)
class Action:
    name: str
    args: tuple[str, ...]


def parse(data: str | None) -> Action | None:
    """The action a button's data names, or None for anything not exactly one of ours."""
    if not data or len(data) > 64 or not data.isascii():
        return None
    for name, pattern in _PATTERNS.items():
        m = pattern.match(data)
        if m:
            return Action(name, tuple(g for g in m.groups() if g is not None))
    return None


def export(period: str, word: bool = False) -> str:
    """The workbook (Excel) for a period, or with `word` the draft báo cáo (Word)."""
    return f"x:{period}:w" if word else f"x:{period}"


def bc(step: str, value: str = "") -> str:
    return f"b:{step}:{value}" if value else f"b:{step}"


def lang(code: str) -> str:
    return f"l:{code}"


def area(area_id: str) -> str:
    return f"a:{area_id}"


def group_kind(kind: str) -> str:
    return f"k:{kind}"


GROUP_KIND_ASK = "k:ask"


def page(number: int) -> str:
    return f"p:{number}"


def forget(confirm: bool) -> str:
    return "f:y" if confirm else "f:n"


def report_depth(depth: str) -> str:
    return f"r:d:{depth}"


REPORT_SKIP = "r:s"
REPORT_CANCEL = "r:x"


def report_check(report_id: int) -> str:
    return f"r:c:{report_id}"


def report_resolve(report_id: int) -> str:
    return f"r:r:{report_id}"


def staff_add(user_id: int, role: str) -> str:
    return f"s:a:{user_id}:{'l' if role == 'lead' else 's'}"


def staff_remove(user_id: int) -> str:
    return f"s:r:{user_id}"


STAFF_CANCEL = "s:x"
GUIDES_MENU = "g:m"
EMERGENCY = "e"
MENU = "m"


def guides_hazard(hazard: str) -> str:
    return f"g:h:{hazard}"


def guide(guide_id: str) -> str:
    return f"g:v:{guide_id}"


def weather(step: str, advisory_id: int, area_id: str = "") -> str:
    """A weather draft's button: w:<step>:<advisory id>[:<area or group id>]."""
    return f"w:{step}:{advisory_id}:{area_id}" if area_id else f"w:{step}:{advisory_id}"
