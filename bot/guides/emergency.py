"""Emergency numbers: the national lines and the ward's own contacts from content/contacts.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ContentError
from bot.i18n import Bilingual


@dataclass(frozen=True)
class Contact(Bilingual):
    phone: str


@dataclass(frozen=True)
class WardContacts:
    contacts: tuple[Contact, ...]
    sample: bool

    @classmethod
    def load(cls, path: Path) -> WardContacts:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"{path}: {exc}") from exc
        contacts = []
        for i, raw in enumerate(data.get("contact", []), start=1):
            if not raw.get("vi") or not raw.get("en") or not raw.get("phone"):
                raise ContentError(f"{path}: contact #{i} needs 'vi', 'en' and 'phone'")
            contacts.append(
                Contact(name_vi=str(raw["vi"]), name_en=str(raw["en"]), phone=str(raw["phone"]))
            )
        return cls(tuple(contacts), bool(data.get("sample", False)))
