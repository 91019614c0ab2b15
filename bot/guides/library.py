"""The guide library: Markdown files with TOML front matter under content/guides/<lang>/<id>.md.

Loading checks every file; `problems` lists what is wrong with the file and line, for
`sansang content check` and for the log at start (a broken guide is left out, never half shown).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import LANGUAGES, N_

HAZARDS: dict[str, str] = {
    "storm": N_("Storms and tropical depressions"),
    "flood": N_("Heavy rain and urban flooding"),
    "river": N_("River floods and dykes"),
    "surge": N_("Storm surge and king tides"),
    "thunderstorm": N_("Thunderstorms, lightning, whirlwinds"),
    "heat": N_("Heat waves"),
    "cold": N_("Cold spells"),
    "drought": N_("Drought, water shortage and saltwater"),
    "fire": N_("House fire and carbon monoxide"),
    "landslide": N_("Landslides and riverbank erosion"),
    "general": N_("Family safety and warnings"),
}
PHASES: dict[str, str] = {
    "before": N_("Before"),
    "during": N_("During"),
    "after": N_("After"),
    "any": N_("Any time"),
}
AUDIENCES = {"household", "school", "market", "office", "vulnerable"}
GUIDE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
REQUIRED = ("id", "lang", "title", "hazard", "phase", "audience", "keywords", "source",
            "reviewed", "reviewed_by", "short_title")
# Who checked the text against its sources. Until the ward's disaster office signs a guide off
# (reviewed_by then names the office and the officer), the content team's name stands there and
# `sansang content check --coverage` lists the guide as waiting for the ward.
CONTENT_TEAM = "Sẵn sàng content team"
MAX_BODY = 3000  # about three phone screens
MAX_TITLE = 90
MAX_SHORT_TITLE = 27  # "📖 " + this fits a phone's full-width button (30 characters)


@dataclass(frozen=True)
class Guide:
    id: str
    lang: str
    title: str
    hazard: str
    phase: str
    audience: tuple[str, ...]
    keywords: tuple[str, ...]
    source: str
    reviewed: dt.date
    body: str
    path: Path
    body_line: int
    related: tuple[str, ...] = ()
    source_url: str | None = None
    reviewed_by: str = CONTENT_TEAM
    short_title: str | None = None

    @property
    def signed_off(self) -> bool:
        """True once the ward's disaster office, not only the content team, has reviewed it."""
        return self.reviewed_by.strip() != CONTENT_TEAM

    @property
    def label(self) -> str:
        """The guide's name on a button: its short title, else its title."""
        return self.short_title or self.title


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Library:
    guides: dict[tuple[str, str], Guide] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, guide_id: str, lang: str) -> Guide | None:
        return self.guides.get((guide_id, lang)) or self.guides.get((guide_id, "vi"))

    def ids(self) -> list[str]:
        return sorted({gid for gid, _ in self.guides})

    def in_lang(self, lang: str) -> list[Guide]:
        return [g for (gid, g_lang), g in sorted(self.guides.items()) if g_lang == lang]

    def for_hazard(self, hazard: str, lang: str) -> list[Guide]:
        """A hazard's guides in reading order: before, during, after, then any time."""
        order = list(PHASES)
        found = [self.get(gid, lang) for gid in self.ids()]
        return sorted(
            (g for g in found if g is not None and g.hazard == hazard),
            key=lambda g: (order.index(g.phase), "household" not in g.audience, g.id),
        )

    @classmethod
    def load(cls, folder: Path) -> Library:
        library = cls()
        root = folder / "guides"
        for lang in LANGUAGES:
            for path in sorted((root / lang).glob("*.md")):
                guide = _parse(path, lang, library.problems)
                if guide is not None:
                    library.guides[(guide.id, lang)] = guide
        for path in sorted(root.glob("*/*.md")):
            if path.parent.name not in LANGUAGES:
                library.problems.append(Problem(path, 1, "language folder must be vi or en"))
        library._check_pairs_and_links()
        return library

    def _check_pairs_and_links(self) -> None:
        ids = set(self.ids())
        for (gid, lang), guide in sorted(self.guides.items()):
            other = "en" if lang == "vi" else "vi"
            twin = self.guides.get((gid, other))
            if twin is None:
                self.problems.append(Problem(guide.path, 1, f"no {other} version of {gid!r}"))
            elif (twin.hazard, twin.phase, twin.related) != (
                guide.hazard, guide.phase, guide.related
            ) and lang == "vi":
                self.problems.append(Problem(
                    guide.path, 1, f"hazard, phase and related differ from the {other} version"
                ))
            for rel in guide.related:
                if rel not in ids:
                    self.problems.append(Problem(guide.path, 1, f"related guide {rel!r} does "
                                                                "not exist"))
                elif rel == gid:
                    self.problems.append(Problem(guide.path, 1, "a guide cannot relate to itself"))


def _short_title_ok(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= MAX_SHORT_TITLE


def _parse(path: Path, lang: str, problems: list[Problem]) -> Guide | None:
    def bad(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        bad(1, f"cannot read: {exc}")
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        bad(1, "front matter must start with a '+++' line")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        bad(1, "front matter is not closed with a '+++' line")
        return None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        bad(1 + int(m.group(1)) if m else 1, f"front matter is not valid TOML: {exc}")
        return None

    def line_of(key: str) -> int:
        for i in range(1, end):
            if lines[i].lstrip().startswith(key):
                return i + 1
        return 1

    ok = True
    for key in REQUIRED:
        if key not in meta or meta[key] in ("", [], None):
            bad(1, f"missing field {key!r}")
            ok = False
    if not ok:
        return None
    guide_id = str(meta["id"])
    checks = [
        (GUIDE_ID.match(guide_id) is not None, "id", "id must be lower-case letters, digits, '-'"),
        (guide_id == path.stem, "id", f"id {guide_id!r} must match the file name {path.stem!r}"),
        (meta["lang"] == lang, "lang", f"lang {meta['lang']!r} but the file is under {lang}/"),
        (meta["hazard"] in HAZARDS, "hazard", f"unknown hazard {meta['hazard']!r}; one of "
                                              f"{', '.join(HAZARDS)}"),
        (meta["phase"] in PHASES, "phase", f"unknown phase {meta['phase']!r}; one of "
                                           f"{', '.join(PHASES)}"),
        (isinstance(meta["audience"], list) and set(meta["audience"]) <= AUDIENCES, "audience",
         f"audience must be a list of {', '.join(sorted(AUDIENCES))}"),
        (isinstance(meta["keywords"], list) and all(isinstance(k, str) for k in meta["keywords"]),
         "keywords", "keywords must be a list of strings"),
        (isinstance(meta["reviewed"], dt.date), "reviewed", "reviewed must be a date: 2026-11-25"),
        (len(str(meta["title"])) <= MAX_TITLE, "title", f"title over {MAX_TITLE} characters"),
        (isinstance(meta.get("related", []), list), "related", "related must be a list of ids"),
        (isinstance(meta["reviewed_by"], str), "reviewed_by",
         f"reviewed_by must name who checked the text: {CONTENT_TEAM!r}, or the ward office"),
        (_short_title_ok(meta.get("short_title")), "short_title",
         f"short_title (the button label) must be 1 to {MAX_SHORT_TITLE} characters"),
    ]
    for passed, key, message in checks:
        if not passed:
            bad(line_of(key), message)
            ok = False
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        bad(end + 2, "the guide has no text")
        ok = False
    elif len(body) > MAX_BODY:
        bad(end + 2, f"the text has {len(body)} characters; keep it under {MAX_BODY} "
                     "(about three phone screens)")
        ok = False
    if not ok:
        return None
    return Guide(
        id=guide_id, lang=lang, title=str(meta["title"]).strip(), hazard=meta["hazard"],
        phase=meta["phase"], audience=tuple(meta["audience"]),
        keywords=tuple(str(k) for k in meta["keywords"]), source=str(meta["source"]),
        reviewed=meta["reviewed"], body=body, path=path, body_line=end + 2,
        related=tuple(str(r) for r in meta.get("related", [])),
        source_url=str(meta["source_url"]) if meta.get("source_url") else None,
        reviewed_by=str(meta["reviewed_by"]).strip(),
        short_title=str(meta["short_title"]).strip(),
    )
