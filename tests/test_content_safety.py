"""`sansang content check` fails a guide giving a dangerous instruction listed in
content/dangerous_phrases.toml, naming the guide, its line and the reason; negated advice passes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.guides.content_check import PHRASES_FILE, check
from bot.paths import data_dir
from tests.test_cli import sansang

DANGER_VI = "9. Nếu phải lội qua dòng nước chảy xiết, hãy mặc áo phao."
DANGER_EN = "9. If you must cross fast water, wear a life jacket."
SAFE_VI = "9. Tuyệt đối không lội qua dòng nước chảy xiết."
SAFE_EN = "9. Never cross fast water, even with a life jacket."
MOVING_WATER = "15 cm of moving water can knock an adult down"

@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(data_dir("content"), folder)
    return folder


def add_step(content: Path, lang: str, step: str, gid: str = "evacuation") -> tuple[Path, int]:
    """The step added before the guide's source line; the file and the step's line number."""
    path = content / "guides" / lang / f"{gid}.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = max(i for i, line in enumerate(lines) if line.strip()) - 1  # the blank line before
    lines.insert(at, step)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, at + 1


def content_check(content: Path, tmp_path: Path) -> tuple[int, str]:
    result = sansang("content", "check", env={"SANSANG_CONTENT": str(content),
                                              "SANSANG_DB": str(tmp_path / "none.sqlite3")})
    return result.returncode, result.stdout + result.stderr


def test_a_guide_advising_to_cross_moving_water_fails_with_guide_line_and_reason(
    content: Path, tmp_path: Path,
) -> None:
    vi_path, vi_line = add_step(content, "vi", DANGER_VI)
    en_path, en_line = add_step(content, "en", DANGER_EN)
    code, out = content_check(content, tmp_path)
    assert code == 1, out
    problems = [line for line in out.splitlines() if "dangerous instruction" in line]
    assert len(problems) == 2, out
    vi, en = sorted(problems, key=lambda line: "/en/" in line)
    assert vi.startswith(f"{vi_path}:{vi_line}: guide 'evacuation' (vi)"), vi
    assert '"lội qua dòng nước"' in vi and MOVING_WATER in vi and "facts 8.1" in vi
    assert en.startswith(f"{en_path}:{en_line}: guide 'evacuation' (en)"), en
    assert '"cross fast water"' in en and MOVING_WATER in en
    assert not _problems(out, ignore=(vi, en)), out  # no other problem


def test_the_same_advice_negated_passes(content: Path, tmp_path: Path) -> None:
    add_step(content, "vi", SAFE_VI)
    add_step(content, "en", SAFE_EN)
    code, out = content_check(content, tmp_path)
    assert code == 0, out
    assert "evacuation" not in out


@pytest.mark.parametrize(("lang", "gid", "step", "reason"), [
    ("vi", "electrical-safety", "9. Dùng gậy tre khô gạt dây điện khi đang đứng trong nước.",
     "facts 8.2"),
    ("en", "electrical-safety", "9. Push the wire off with a dry stick while standing in water.",
     "facts 8.2"),
    ("vi", "thunder-during", "9. Người bị sét đánh: vùi xuống đất cho hết điện.", "facts 8.3"),
    ("en", "thunder-during", "9. Bury the victim in sand to draw out the charge.", "facts 8.3"),
    ("vi", "flood-illness", "9. Sốt cao: uống aspirin để hạ sốt.", "facts 8.4"),
    ("en", "flood-illness", "9. For a fever, give ibuprofen.", "facts 8.4"),
    ("vi", "flood-during", "9. Cứ đi xe máy qua chỗ ngập, đi chậm.", "facts 8.1"),
    ("en", "flood-during", "9. Drive through flood water slowly.", "facts 8.1"),
])
def test_each_kind_of_dangerous_instruction_is_caught(
    content: Path, lang: str, gid: str, step: str, reason: str,
) -> None:
    path, line = add_step(content, lang, step, gid)
    _library, problems = check(content)
    found = [p for p in problems if p.path == path and "dangerous instruction" in p.message]
    assert [(p.line, reason in p.message) for p in found] == [(line, True)], problems


def test_a_malformed_phrase_list_is_a_problem_naming_the_file(
    content: Path, tmp_path: Path,
) -> None:
    (content / PHRASES_FILE).write_text(
        '[[phrase]]\nlang = "vi"\npattern = \'lội (qua\'\nreason = "x"\n', encoding="utf-8")
    code, out = content_check(content, tmp_path)
    assert code == 1
    assert f"{PHRASES_FILE}:1:" in out and "phrase #1" in out and "regular expression" in out
    (content / PHRASES_FILE).unlink()
    code, out = content_check(content, tmp_path)
    assert code == 1 and f"{PHRASES_FILE}:1:" in out and "cannot read" in out


def _problems(out: str, ignore: tuple[str, ...] = ()) -> list[str]:
    """Problem lines of the check's output, but those in `ignore`."""
    lines = [line for line in out.splitlines()
             if ".md:" in line or ".toml:" in line or "guides;" in line]
    return [line for line in lines if line not in ignore]


def test_the_shipped_guides_give_no_dangerous_instruction() -> None:
    content = data_dir("content")
    _library, problems = check(content)
    dangerous = [p for p in problems if "dangerous instruction" in p.message]
    assert dangerous == [], "\n".join(map(str, dangerous))
    assert not [p for p in problems if p.path.name == PHRASES_FILE]
