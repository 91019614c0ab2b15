"""Translations (gettext catalogs under bot/locale, made with babel) and people-facing formats.

Message ids are English; Vietnamese is the first language and the default for every chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import (
    format_datetime,
    format_skeleton,
    format_time,
    get_day_names,
    get_timezone_name,
)
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANG = "vi"


@dataclass(frozen=True)
class Bilingual:
    """A name the ward gives in both languages (an area, a contact)."""

    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    """Mark a string for extraction; translate it later with gettext(lang)."""
    return message


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANG


@cache
def translations(lang: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), locales=[normalise_lang(lang)], domain="messages")


def gettext(lang: str | None) -> Callable[[str], str]:
    """The `_` of a chat's language."""
    return translations(normalise_lang(lang)).gettext


def guess_lang(language_code: str | None) -> str:
    """Telegram's client language, as a first guess before the resident chooses."""
    return "en" if (language_code or "").lower().startswith("en") else DEFAULT_LANG


def number(value: float, lang: str) -> str:
    return format_decimal(value, locale=normalise_lang(lang))


def date_time(value: datetime, lang: str, tz: object) -> str:
    """A moment as people of that language write it, in the ward's time zone: the locale's own
    order of time and day, e.g. "07:30 Thứ 3, 1 thg 12, 2026" or "Tue, Dec 1, 2026, 7:30 AM"."""
    lang = normalise_lang(lang)
    time = format_time(value, "short", tzinfo=tz, locale=lang)  # type: ignore[arg-type]
    date_ = format_skeleton("yMMMEd", value, tzinfo=tz, locale=lang)  # type: ignore[arg-type]
    pattern = str(Locale.parse(lang).datetime_formats["medium"])
    return pattern.replace("{0}", time).replace("{1}", date_)


def day(value: date | datetime, lang: str) -> str:
    """A calendar day, e.g. "1 thg 12, 2026" or "Dec 1, 2026"."""
    return format_skeleton("yMMMd", value, locale=normalise_lang(lang))


def day_in_words(value: date | datetime, lang: str) -> str:
    """A day with its weekday and month in words, no year: "Thứ 3, 1 tháng 12" or
    "Tue, December 1" (a warning for the coming days)."""
    return format_skeleton("MMMMEEEEd", value, locale=normalise_lang(lang))


def weekday_names(lang: str) -> list[str]:
    """Monday first, as the locale abbreviates them ("Thứ 2" … "CN", "Mon" … "Sun")."""
    names = get_day_names("abbreviated", locale=normalise_lang(lang))
    return [str(names[i]) for i in range(7)]


def zone(tz: object, lang: str, at: datetime | None = None) -> str:
    """The time zone's name in that language ("Giờ Việt Nam"), with its offset from UTC at `at`
    (now by default: the offset changes with summer time where there is one)."""
    lang = normalise_lang(lang)
    at = at or datetime.now(tz)  # type: ignore[arg-type]
    offset = format_datetime(at, "ZZZZ", tzinfo=tz, locale=lang)  # type: ignore[arg-type]
    # The generic name ("Giờ Việt Nam", not "Giờ Đông Dương"); the offset tells summer time.
    name = get_timezone_name(tz, "long", locale=lang)  # type: ignore[arg-type]
    return f"{name} ({offset})" if "(" not in name else offset
