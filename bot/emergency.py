"""Emergency numbers: the national lines and the ward's own contacts from content/contacts.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ContentError


@dataclass(frozen=True)
class Contact:
    name_vi: str
    name_en: str
    phone: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


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
            contacts.append(Contact(str(raw["vi"]), str(raw["en"]), str(raw["phone"])))
        return cls(tuple(contacts), bool(data.get("sample", False)))
