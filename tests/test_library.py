"""The guide library's checks: every problem is reported with its file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.guides.content_check import check
from bot.guides.library import Library
from bot.guides.render import markdown_to_html, split_message
from bot.paths import data_dir

GOOD = """+++
id = "{id}"
lang = "{lang}"
title = "Title {id}"
short_title = "Short {id}"
hazard = "storm"
phase = "before"
audience = ["household"]
keywords = ["bão"]
source = 'VDDMA, "Hướng dẫn" https://example.org/a'
reviewed = 2026-11-25
reviewed_by = "Sẵn sàng content team"
related = {related}
+++
1. **Do this** first.
2. Then *that* & more < less.

{src} VDDMA, "Hướng dẫn" https://example.org/a
"""


def write(root: Path, gid: str, lang: str, related: str = "[]", **replace: str) -> Path:
    text = GOOD.format(id=gid, lang=lang, related=related,
                       src="Nguồn:" if lang == "vi" else "Source:")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = root / "guides" / lang / f"{gid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def copy_ward_data(root: Path) -> None:
    for name in ("areas.toml", "contacts.toml", "dangerous_phrases.toml",
                 "weak_sources.toml", "report.toml"):
        (root / name).write_text((data_dir("content") / name).read_text(encoding="utf-8"),
                                 encoding="utf-8")


def test_a_good_pair_loads_and_renders(tmp_path: Path) -> None:
    copy_ward_data(tmp_path)
    write(tmp_path, "a", "vi", related='["b"]')
    write(tmp_path, "a", "en", related='["b"]')
    write(tmp_path, "b", "vi")
    write(tmp_path, "b", "en")
    library, problems = check(tmp_path)
    assert problems == []
    guide = library.get("a", "en")
    assert guide is not None and guide.related == ("b",) and guide.body_line == 15
    assert markdown_to_html(guide.body).startswith("1. <b>Do this</b> first.")
    assert "&amp; more &lt; less" in markdown_to_html(guide.body)


def test_problems_name_file_and_line(tmp_path: Path) -> None:
    copy_ward_data(tmp_path)
    write(tmp_path, "a", "vi", related='["ghost"]', **{'hazard = "storm"': 'hazard = "meteor"'})
    write(tmp_path, "a", "en")
    write(tmp_path, "b", "vi",
          **{'Nguồn: VDDMA, "Hướng dẫn" https://example.org/a': "(no source)"})
    write(tmp_path, "b", "en", **{"reviewed = 2026-11-25": "reviewed = soon"})
    write(tmp_path, "c", "vi", **{'id = "c"': 'id = "other"'})
    (tmp_path / "guides" / "vi" / "d.md").write_text("no front matter", encoding="utf-8")
    _, problems = check(tmp_path)
    text = "\n".join(str(p) for p in problems)
    assert "vi/a.md:6: unknown hazard 'meteor'" in text
    assert "vi/b.md:18: the last line must cite the source" in text
    assert "en/b.md:" in text and "not valid TOML" in text
    assert "vi/c.md:2: id 'other' must match the file name 'c'" in text
    assert "vi/d.md:1: front matter must start" in text
    assert "no en version of 'c'" in text or "no en version" in text


def test_long_text_splits_at_paragraphs_under_the_limit() -> None:
    paragraphs = [f"Đoạn {i}. " + "chữ " * 300 for i in range(6)]
    parts = split_message("\n\n".join(paragraphs))
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "") == "".join(paragraphs).replace("\n", "")
    one_line = "&amp;" * 1000  # a single line over the limit, full of entities
    assert all(len(p) <= 4096 and p.count("&") == p.count(";") for p in split_message(one_line))


def test_content_check_passes_on_the_shipped_library() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "content", "check"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content OK" in result.stdout
    library = Library.load(data_dir("content"))
    assert len(library.in_lang("vi")) >= 55 and len(library.in_lang("en")) >= 55


def test_content_check_fails_with_file_and_line(tmp_path: Path) -> None:
    copy_ward_data(tmp_path)
    write(tmp_path, "a", "vi", **{'phase = "before"': 'phase = "someday"'})
    result = subprocess.run([sys.executable, "-m", "bot", "content", "check"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={"SANSANG_CONTENT": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "vi/a.md:7: unknown phase 'someday'" in result.stdout


def test_reviewed_by_is_required_and_short_titles_fit_a_button(tmp_path: Path) -> None:
    copy_ward_data(tmp_path)
    write(tmp_path, "a", "vi", **{'reviewed_by = "Sẵn sàng content team"\n': ""})
    write(tmp_path, "a", "en")
    write(tmp_path, "b", "vi", **{'short_title = "Short b"': 'short_title = "' + "x" * 28 + '"'})
    write(tmp_path, "b", "en", **{'short_title = "Short b"': 'short_title = "Storm: before"'})
    write(tmp_path, "c", "vi", **{'short_title = "Short c"\n': ""})
    write(tmp_path, "c", "en")
    library, problems = check(tmp_path)
    text = "\n".join(str(p) for p in problems)
    assert "vi/a.md:1: missing field 'reviewed_by'" in text
    assert "vi/b.md:5: short_title (the button label) must be 1 to 27 characters" in text
    assert "vi/c.md:1: missing field 'short_title'" in text
    guide = library.get("b", "en")
    assert guide is not None and guide.label == "Storm: before" and not guide.signed_off


def test_sources_must_be_links_to_documents_not_weak_sites(tmp_path: Path) -> None:
    from bot.guides.content_check import load_weak_sources, source_problems

    copy_ward_data(tmp_path)
    old = 'VDDMA, "Hướng dẫn" https://example.org/a'
    cases = {
        "plain": 'VDDMA: guidance; WHO, "Water" https://who.int/x; QĐ 18/2021/QĐ-TTg, Điều 4; '
                 'WHO, "PFA" (2011), ISBN 978 92 4 154820 5; '
                 'WHO, UNICEF, joint statement (2005) (no link on file)',
        "weak": 'Textbook https://123docz.net/trich-doan/1.htm',
        "cut": 'VDDMA https://baothanhhoa.vn/…-263154.htm',
        "differs": old,
    }
    for gid, source in cases.items():
        path = write(tmp_path, gid, "en")
        front, body = path.read_text(encoding="utf-8").split("+++\n1.")
        body = body.replace(old, "something else" if gid == "differs" else source)
        path.write_text(front.replace(old, source) + "+++\n1." + body, encoding="utf-8")
    weak = load_weak_sources(tmp_path / "weak_sources.toml")
    library = Library.load(tmp_path)
    found = {gid: " | ".join(p.message for p in source_problems(library.guides[(gid, "en")],
                                                                  weak, require_links=True))
             for gid in cases}
    assert "source item 'VDDMA: guidance' has no link" in found["plain"]
    assert found["plain"].count("has no link") == 1, found["plain"]
    assert "is weak: a document-sharing site" in found["weak"]
    assert "is cut short" in found["cut"]
    assert found["differs"] == ("the source on the last line differs from the front matter's "
                                "source")
    # Without the link rule, only weak, cut and differing sources count.
    assert source_problems(library.guides[("plain", "en")], weak, require_links=False) == []


def test_coverage_lists_the_guides_the_ward_has_not_signed_off(tmp_path: Path) -> None:
    from bot.guides.content_check import coverage

    copy_ward_data(tmp_path)
    signed = {'reviewed_by = "Sẵn sàng content team"':
              'reviewed_by = "Ban Chỉ huy PCTT phường Lê Chân (Nguyễn Văn A)"'}
    write(tmp_path, "a", "vi", **signed)
    write(tmp_path, "a", "en")
    write(tmp_path, "b", "vi", **signed)
    write(tmp_path, "b", "en", **signed)
    table = coverage(Library.load(tmp_path))
    assert "| storm | 2 | 2 |" in table
    assert "1 guide(s) not yet signed off by the ward" in table
    assert "a (en), reviewed 2026-11-25, guides/en/a.md" in table
    assert "(vi)" not in table and "b (en)" not in table
    for lang in ("vi", "en"):
        write(tmp_path, "a", lang, **signed)
    assert "every guide is signed off by the ward" in coverage(Library.load(tmp_path))


def test_content_check_names_a_bad_report_data_file(tmp_path: Path) -> None:
    copy_ward_data(tmp_path)
    write(tmp_path, "a", "vi")
    write(tmp_path, "a", "en")
    assert check(tmp_path)[1] == []
    (tmp_path / "report.toml").write_text('ward = "Phường Lê Chân"\n', encoding="utf-8")
    text = "\n".join(str(p) for p in check(tmp_path)[1])
    assert "report.toml" in text and "must be a non-empty text" in text
