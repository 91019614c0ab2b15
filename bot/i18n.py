"""Translations (gettext catalogs under bot/locale, made with babel) and people-facing formats.

Message ids are English; Vietnamese is the first language and the default for every chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
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
    """A moment as people of that language write it, in the ward's time zone."""
    fmt = "HH:mm, dd/MM/yyyy" if normalise_lang(lang) == "vi" else "d MMM yyyy, HH:mm"
    return format_datetime(value, fmt, tzinfo=tz, locale=normalise_lang(lang))


def day(value: date | datetime, lang: str) -> str:
    return format_date(value, "dd/MM/yyyy" if lang == "vi" else "d MMM yyyy", locale=lang)
