"""Residents' own words, made safe to keep and to export: contacts and long numbers blanked.

An unanswered question is stored so the ward can write the missing guide; the phone number,
e-mail address or ID number a resident typed into it is never needed for that.
"""

from __future__ import annotations

import re

NUMBER = "[số]"
EMAIL = "[email]"
MIN_DIGITS = 6  # fewer is a house number, a date, a depth or a time; more may be someone

# Starts only where a word starts: trying every character of a long run would take quadratic time.
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+\s?@\s?[\w\-]+(?:\.[\w\-]+)+")
# Digits with at most a few separators between them (0912 345 678, 0912.345.678,
# +84 912-345-678, (0225) 3842 123); the slash of a date (12/10) is not one.
_DIGITS = re.compile(r"\+?\(?\d(?:[\s.\-_()]{0,3}\d)*")
# Kept whole although they reach 6 digits: a date 12.10.2026 and a span of years 2020-2025.
_KEPT = re.compile(r"\d{1,2}([.\-])\d{1,2}\1(?:\d{2}|\d{4})|(?:19|20)\d\d\s?-\s?(?:19|20)\d\d")


def _number(match: re.Match[str]) -> str:
    found = match.group()
    if sum(c.isdigit() for c in found) < MIN_DIGITS or _KEPT.fullmatch(found):
        return found
    # "(0912 345 678)": the opening bracket was taken with the number, the closing one not.
    return ("(" if found.startswith("(") and ")" not in found else "") + NUMBER


def redact_contacts(text: str) -> str:
    """`text` with e-mail addresses as [email] and runs of 6 or more digits as [số]."""
    return _DIGITS.sub(_number, _EMAIL.sub(EMAIL, text))
