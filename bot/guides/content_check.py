"""`sansang content check`: every guide, the areas and the contacts, checked as the bot reads them.

A guide must parse, pair with its other language, link to guides that exist, cite its source on
its last line, stay short, render to HTML that Telegram accepts, and give none of the dangerous
instructions listed in content/dangerous_phrases.toml. Its source line names documents a reader can
open: every item (separated by ';') carries a link, and none links to a site listed in
content/weak_sources.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.broadcasts import campaigns
from bot.errors import ContentError
from bot.guides.emergency import WardContacts
from bot.guides.library import CONTENT_TEAM, HAZARDS, Guide, Library, Problem
from bot.guides.render import TELEGRAM_LIMIT, guide_text, split_message
from bot.guides.search import normalise
from bot.subscriptions.areas import AreaCatalog
from bot.telegram_html import EntityError, utf16_len, visible_text

SOURCE_PREFIX = {"vi": "Nguồn:", "en": "Source:"}
MIN_GUIDES = 55
PHRASES_FILE = "dangerous_phrases.toml"
WEAK_FILE = "weak_sources.toml"
WEATHER_FILE = "weather.toml"
# Every source item carries a link (or a law number, an ISBN, or the no-link mark).
REQUIRE_LINKS = True
URL = re.compile(r"https?://[^\s;,)\]\"“”]+")
# A law or decision is found by its number in any law library (18/2021/QĐ-TTg); a book by ISBN.
# A document whose only known copy is on a weak site, or whose address the facts file cut short,
# is still named, marked so the ward can add the link: --coverage lists these items.
NO_LINK = ("(chưa có đường dẫn)", "(no link on file)")
DOCUMENT_NUMBER = re.compile(r"\b\d{1,4}/\d{4}/[A-ZĐ][A-ZĐa-z0-9-]*|\bISBN[ :]*[0-9][0-9 -]{8,}")
# A dangerous phrase does not count when one of these stands inside it or shortly before it in
# the same clause: "không lội qua dòng nước chảy xiết" is the advice we want.
NEGATION = {
    "vi": re.compile(r"\b(?:không(?! khí)|đừng|chớ|cấm|tránh|chẳng)\b"),
    "en": re.compile(r"\b(?:never|not|no|don't|dont|cannot|can't|avoid)\b"),
}
NEGATION_WORDS = 6
SENTENCE_END = re.compile(r"[.!?;]")
CLAUSE_END = re.compile(r"[,:;]")


@dataclass(frozen=True)
class DangerousPhrase:
    lang: str
    pattern: re.Pattern[str]
    reason: str


def load_dangerous_phrases(path: Path) -> list[DangerousPhrase]:
    """The list of dangerous instructions; ContentError naming the file if it is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: cannot read the dangerous-phrase list: {exc}") from exc
    entries = data.get("phrase")
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"{path}: needs [[phrase]] entries with lang, pattern and reason")
    phrases = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ContentError(f"{path}: phrase #{i} must be a [[phrase]] table")
        lang, pattern, reason = (entry.get(k) for k in ("lang", "pattern", "reason"))
        if lang not in ("vi", "en") or not isinstance(pattern, str) or not pattern.strip() \
                or not isinstance(reason, str) or not reason.strip():
            raise ContentError(f"{path}: phrase #{i} needs lang (\"vi\" or \"en\"), a pattern "
                               "and a reason")
        try:
            compiled = re.compile(unicodedata.normalize("NFC", pattern), re.IGNORECASE)
        except re.error as exc:
            raise ContentError(f"{path}: phrase #{i}: the pattern is not a valid regular "
                               f"expression: {exc}") from exc
        phrases.append(DangerousPhrase(lang, compiled, reason.strip()))
    return phrases


@dataclass(frozen=True)
class WeakSource:
    domain: str
    reason: str

    def matches(self, url: str) -> bool:
        host = re.sub(r"^https?://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
        return host == self.domain or host.endswith("." + self.domain)


def load_weak_sources(path: Path) -> list[WeakSource]:
    """Sites a guide must not cite; ContentError naming the file if it is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: cannot read the weak-source list: {exc}") from exc
    entries = data.get("weak", [])
    if not isinstance(entries, list):
        raise ContentError(f"{path}: needs [[weak]] entries with domain and reason")
    weak = []
    for i, entry in enumerate(entries, 1):
        domain = entry.get("domain") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(domain, str) or not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", domain) \
                or not isinstance(reason, str) or not reason.strip():
            raise ContentError(f"{path}: weak source #{i} needs a domain (\"example.com\") and a "
                               "reason")
        weak.append(WeakSource(domain, reason.strip()))
    return weak


def _front_matter_line(guide: Guide, key: str) -> int:
    """The line of the guide's file where a front-matter key is set (1 if not found)."""
    front = guide.path.read_text(encoding="utf-8").splitlines()[: guide.body_line]
    return next((i for i, text in enumerate(front, 1) if text.startswith(f"{key} ")), 1)


def source_problems(guide: Guide, weak: list[WeakSource], *,
                    require_links: bool = REQUIRE_LINKS) -> list[Problem]:
    """The source must name documents a reader can open, the same in the front matter and on the
    guide's last line."""
    line = _front_matter_line(guide, "source")
    problems = []
    for item in (i.strip() for i in guide.source.split(";")):
        urls = URL.findall(item)
        if not urls and require_links and not DOCUMENT_NUMBER.search(item) and not any(
                mark in item for mark in NO_LINK):
            problems.append(Problem(guide.path, line, (
                f"source item {item[:60]!r} has no link: name the document (title, publisher) "
                "and give its https:// address (a law by its number, a book by its ISBN; a "
                f"document with no usable address: end the item with {NO_LINK[0]!r} or "
                f"{NO_LINK[1]!r})")))
        for url in urls:
            if "…" in url or "..." in url:
                problems.append(Problem(guide.path, line, f"source link {url!r} is cut short; "
                                                          "give the whole address"))
            for site in weak:
                if site.matches(url):
                    problems.append(Problem(guide.path, line, (
                        f"source {url!r} is weak: {site.reason} (the list is in {WEAK_FILE})")))
    last = guide.body.strip().splitlines()[-1].strip("*_ ")
    cited = last[len(SOURCE_PREFIX[guide.lang]):].strip()
    if last.startswith(SOURCE_PREFIX[guide.lang]) and cited != guide.source.strip():
        problems.append(Problem(guide.path, guide.body_line + len(guide.body.strip().splitlines())
                                - 1, "the source on the last line differs from the front "
                                     "matter's source"))
    return problems


def _negated(lang: str, before: str, matched: str) -> bool:
    """A negation inside the match, or among the six words before it in the same clause."""
    clause = CLAUSE_END.split(before)[-1]
    window = " ".join(clause.split()[-NEGATION_WORDS:])
    return NEGATION[lang].search(f"{window} {matched}") is not None


def dangerous_lines(guide: Guide, phrases: list[DangerousPhrase]) -> list[Problem]:
    """A problem for each dangerous phrase the guide's title or text contains, unless negated."""
    ours = [p for p in phrases if p.lang == guide.lang]
    lines = [(_front_matter_line(guide, "title"), guide.title)] + [
        (guide.body_line + i, line) for i, line in enumerate(guide.body.splitlines())]
    problems = []
    for number, line in lines:
        if line.lstrip("*_ ").startswith(SOURCE_PREFIX[guide.lang]):
            continue  # a cited article's title ("victims buried…") is not advice
        text = re.sub(r"[*_`]", "", normalise(line)).replace("\u2019", "'")
        for sentence in SENTENCE_END.split(text):
            for phrase in ours:
                for m in phrase.pattern.finditer(sentence):
                    if not _negated(guide.lang, sentence[: m.start()], m.group()):
                        problems.append(Problem(guide.path, number, (
                            f"guide {guide.id!r} ({guide.lang}) gives a dangerous instruction "
                            f"\"{m.group()}\": {phrase.reason} Reword it (the list is in "
                            f"{PHRASES_FILE})")))
    return problems


def check(content: Path, campaigns_dir: Path | None = None,
          db_path: Path | None = None, *, weather: bool = False) -> tuple[Library, list[Problem]]:
    """Every problem of the content (and of the campaigns, when their folder is given; of the
    staff's weekly broadcasts stored in the database, when one is there; of the weather
    advisories' files, with `weather`: `sansang content check` always checks them)."""
    library = Library.load(content)
    problems = list(library.problems)
    try:
        phrases = load_dangerous_phrases(content / PHRASES_FILE)
    except ContentError as exc:
        phrases = []
        problems.append(Problem(content / PHRASES_FILE, 1, str(exc)))
    try:
        weak = load_weak_sources(content / WEAK_FILE)
    except ContentError as exc:
        weak = []
        problems.append(Problem(content / WEAK_FILE, 1, str(exc)))
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
        problems += dangerous_lines(guide, phrases)
        problems += source_problems(guide, weak)
    from bot.reports.docx import SETTINGS_FILE, load_settings

    for name, loader in (("areas.toml", AreaCatalog.load), ("contacts.toml", WardContacts.load),
                         (SETTINGS_FILE, load_settings)):
        try:
            loader(content / name)
        except ContentError as exc:
            problems.append(Problem(content / name, 1, str(exc)))
    problems += area_coordinates(content / "areas.toml")
    if weather:
        problems += check_weather(content, set(library.ids()))
    if campaigns_dir is not None:
        problems += check_campaigns(content, campaigns_dir, db_path, set(library.ids()))
    return library, problems


def area_coordinates(path: Path) -> list[Problem]:
    """Each area whose centre or boundary is wrong (out of range, too few corners, far from the
    ward), at the line of its id."""
    from bot.floods.places import coordinate_problems

    try:
        areas = AreaCatalog.load(path)
    except ContentError:
        return []  # reported with the file
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(area_id: str) -> int:
        mark = re.compile(rf"""^\s*id\s*=\s*["']{re.escape(area_id)}["']""")
        return next((i for i, text in enumerate(lines, start=1) if mark.match(text)), 1)

    return [Problem(path, line_of(area_id), message)
            for area_id, message in coordinate_problems(areas)]


def check_weather(content: Path, guides: set[str]) -> list[Problem]:
    """The weather advisories' file reads, names guides that exist, and the areas file has the
    ward's place ([ward]) the forecast is asked for."""
    from bot.weather.thresholds import WeatherSettings

    problems: list[Problem] = []
    path = content / WEATHER_FILE
    try:
        settings = WeatherSettings.load(path)
    except ContentError as exc:
        problems.append(Problem(path, 1, str(exc)))
    else:
        for hazard, rule in settings.hazards.items():
            missing = [g for g in rule.guides if g not in guides]
            if missing:
                problems.append(Problem(path, 1, (
                    f"[{hazard}] guides names guides not in the library: "
                    f"{', '.join(missing)}; use ids from content/guides/vi")))
    try:
        catalog = AreaCatalog.load(content / "areas.toml")
    except ContentError:
        return problems  # reported with the areas file
    try:
        catalog.require_ward()
    except ContentError as exc:
        problems.append(Problem(content / "areas.toml", 1, str(exc)))
    return problems


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
    """Guides per hazard and language, as the README's table, then the guides the ward's disaster
    office has not yet signed off (reviewed_by still names the content team)."""
    counts = Counter((g.hazard, lang) for (_, lang), g in library.guides.items())
    lines = ["| hazard | vi | en |", "|---|---|---|"]
    for hazard in HAZARDS:
        lines.append(f"| {hazard} | {counts[(hazard, 'vi')]} | {counts[(hazard, 'en')]} |")
    total_vi = sum(v for (h, lang), v in counts.items() if lang == "vi")
    total_en = sum(v for (h, lang), v in counts.items() if lang == "en")
    lines.append(f"| **all** | {total_vi} | {total_en} |")
    waiting = [g for _, g in sorted(library.guides.items()) if not g.signed_off]
    lines.append("")
    if waiting:
        lines.append(f"{len(waiting)} guide(s) not yet signed off by the ward "
                     f"(reviewed_by = {CONTENT_TEAM!r}):")
        lines += [f"  {g.id} ({g.lang}), reviewed {g.reviewed.isoformat()}, "
                  f"guides/{g.lang}/{g.path.name}" for g in waiting]
    else:
        lines.append("every guide is signed off by the ward")
    unlinked = sorted({(g.id, g.lang) for g in library.guides.values()
                       if any(mark in g.source for mark in NO_LINK)})
    if unlinked:
        lines.append("")
        lines.append("source items still without a link (add the document's address when known):")
        lines += [f"  {gid} ({lang})" for gid, lang in unlinked]
    return "\n".join(lines)


def run(content: Path, show_coverage: bool = False, *, campaigns_dir: Path | None = None,
        db_path: Path | None = None) -> int:
    library, problems = check(content, campaigns_dir, db_path, weather=True)
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
