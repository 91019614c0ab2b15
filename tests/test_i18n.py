"""Every message a person reads has a Vietnamese translation; compiled catalogs are fresh."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR

BOT_DIR = Path(__file__).resolve().parents[1] / "bot"


def source_messages() -> set[str]:
    found = extract_from_dir(str(BOT_DIR), keywords={"_": None, "N_": None})
    return {msg for _file, _line, msg, _comments, _ctx in found if isinstance(msg, str)}


def test_every_message_has_a_vietnamese_translation() -> None:
    with open(LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    missing = [
        m for m in sorted(source_messages())
        if m not in catalog or not catalog[m].string or catalog[m].fuzzy
    ]
    assert len(source_messages()) > 50
    assert missing == [], "run `make i18n` and translate these in vi/messages.po"


def test_compiled_catalogs_match_their_sources() -> None:
    for lang in ("vi", "en"):
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as f:
            po = {m.id: m.string for m in read_po(f) if m.id and m.string}
        with open(folder / "messages.mo", "rb") as f:
            mo = {m.id: m.string for m in read_mo(f) if m.id and m.string}
        assert po == mo, f"{lang}: run `make i18n` to compile the catalog"


def test_placeholders_survive_translation() -> None:
    with open(LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        for m in read_po(f):
            if m.id and m.string:
                for token in ("{area}", "{id}", "{role}", "{when}", "{kind}", "{state}", "<b>"):
                    assert (token in m.id) == (token in m.string), (m.id, token)


def test_messages_are_only_translated_through_an_extractable_call() -> None:
    """`gettext(lang)("…")` hides the text from `make i18n`; write `_ = gettext(lang)` first."""
    import re

    hidden = [
        f"{path.name}:{n}"
        for path in BOT_DIR.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bgettext\([^()]*\)\(", line)
    ]
    assert hidden == []
