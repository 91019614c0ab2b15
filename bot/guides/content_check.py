"""`sansang content check`: every guide, the areas and the contacts, checked as the bot reads them.

A guide must parse, pair with its other language, link to guides that exist, cite its source on
its last line, stay short, and render to HTML that Telegram accepts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.broadcasts import campaigns
from bot.errors import ContentError
from bot.guides.emergency import WardContacts
from bot.guides.library import HAZARDS, Library, Problem
from bot.guides.render import TELEGRAM_LIMIT, guide_text, split_message
from bot.subscriptions.areas import AreaCatalog
from bot.telegram_html import EntityError, utf16_len, visible_text

SOURCE_PREFIX = {"vi": "Nguồn:", "en": "Source:"}
MIN_GUIDES = 40


def check(content: Path, campaigns_dir: Path | None = None,
          db_path: Path | None = None) -> tuple[Library, list[Problem]]:
    """Every problem of the content (and of the campaigns, when their folder is given; of the
    staff's weekly broadcasts stored in the database, when one is there)."""
    library = Library.load(content)
    problems = list(library.problems)
    for (_gid, lang), guide in sorted(library.guides.items()):
        last = guide.body.strip().splitlines()[-1].lstrip("*_ ")
        if not last.startswith(SOURCE_PREFIX[lang]):
            line = guide.body_line + len(guide.body.strip().splitlines()) - 1
            problems.append(Problem(guide.path, line, f"the last line must cite the source, "
                                                      f"starting with {SOURCE_PREFIX[lang]!r}"))
        for part in split_message(guide_text(guide, lang)):
            try:
                shown = visible_text(part)
            except EntityError as exc:
                problems.append(Problem(guide.path, guide.body_line,
                                        f"renders to HTML Telegram refuses: {exc}"))
                break
            if utf16_len(shown) > TELEGRAM_LIMIT or not shown.strip():
                problems.append(Problem(guide.path, guide.body_line, "a rendered part is empty "
                                                                     "or too long"))
    for name, loader in (("areas.toml", AreaCatalog.load), ("contacts.toml", WardContacts.load)):
        try:
            loader(content / name)
        except ContentError as exc:
            problems.append(Problem(content / name, 1, str(exc)))
    if campaigns_dir is not None:
        problems += check_campaigns(content, campaigns_dir, db_path, set(library.ids()))
    return library, problems


def check_campaigns(content: Path, folder: Path, db_path: Path | None,
                    guides: set[str]) -> list[Problem]:
    """Campaign files that cannot be read or name unknown areas, and staff's weekly broadcasts
    (read from the database without writing) that name unknown areas."""
    problems: list[Problem] = []
    found, unreadable = campaigns.load_each(folder, guides)
    problems += [Problem(folder, 1, text) for text in unreadable]
    try:
        areas = AreaCatalog.load(content / "areas.toml")
    except ContentError:
        return problems  # reported above with the areas file
    known = {a.id for a in areas.areas} | {g.id for g in areas.groups}
    for c in found:
        missing = campaigns.unknown_areas(c, known)
        if missing:
            problems.append(Problem(c.path or folder, 1, (
                f"campaign {c.key!r} names areas not in areas.toml: {', '.join(missing)}; "
                "remove them from its target or add them to areas.toml")))
    if db_path is None:
        return problems
    for c in campaigns.stored_staff_campaigns(db_path):
        missing = campaigns.unknown_areas(c, known)
        if missing:
            problems.append(Problem(db_path, 1, (
                f"weekly broadcast {c.key!r} (made in /broadcast) names areas not in "
                f"areas.toml: {', '.join(missing)}; pause it in /scheduled (or with: sansang "
                f"campaign pause {c.key}) and make a new one")))
    return problems


def coverage(library: Library) -> str:
    """Guides per hazard and language, as the README's table."""
    counts = Counter((g.hazard, lang) for (_, lang), g in library.guides.items())
    lines = ["| hazard | vi | en |", "|---|---|---|"]
    for hazard in HAZARDS:
        lines.append(f"| {hazard} | {counts[(hazard, 'vi')]} | {counts[(hazard, 'en')]} |")
    total_vi = sum(v for (h, lang), v in counts.items() if lang == "vi")
    total_en = sum(v for (h, lang), v in counts.items() if lang == "en")
    lines.append(f"| **all** | {total_vi} | {total_en} |")
    return "\n".join(lines)


def run(content: Path, show_coverage: bool = False, *, campaigns_dir: Path | None = None,
        db_path: Path | None = None) -> int:
    library, problems = check(content, campaigns_dir, db_path)
    for lang in ("vi", "en"):
        have = len(library.in_lang(lang))
        if have < MIN_GUIDES:
            problems.append(Problem(content / "guides" / lang, 1,
                                    f"{have} guides; the library needs at least {MIN_GUIDES}"))
    for problem in problems:
        print(problem)
    if show_coverage:
        print(coverage(library))
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(f"content OK: {len(library.in_lang('vi'))} guides in Vietnamese, "
          f"{len(library.in_lang('en'))} in English")
    return 0
