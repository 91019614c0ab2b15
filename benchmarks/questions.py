"""Answer time and accuracy of residents' questions, in-process, over the whole guide library.

Builds the search index from content/ once. By default times `GuideSearch.search` for every
question of the evaluation set (tests/data/queries.toml) and its NFD spelling, several rounds, and
prints the median and 95th percentile. With --accuracy it prints top-1 and top-3 accuracy and the
danger-word agreement separately for the tuned set (tests/data/queries.toml) and for the untuned
set (tests/data/queries_new.toml, written before any tuning and never tuned on), with the misses.

    .venv/bin/python -m benchmarks.questions [--rounds 20]
    .venv/bin/python -m benchmarks.questions --accuracy [--misses]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.guides.library import Library
from bot.guides.search import GuideSearch, is_danger
from bot.paths import data_dir

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
QUERIES = DATA / "queries.toml"
SETS = {"old (tuned on)": QUERIES, "new (untuned)": DATA / "queries_new.toml"}


def load(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["q"]


@dataclass
class Accuracy:
    total: int = 0
    top1: int = 0
    top3: int = 0
    danger_right: int = 0
    unknown: int = 0  # questions expecting a guide the library does not have
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def line(self, name: str) -> str:
        n = max(1, self.total)
        unknown = ""
        if self.unknown:
            known = max(1, self.total - self.unknown)
            unknown = (f"; {self.unknown} expect a guide not in the library, of the other "
                       f"{known}: top-1 {self.top1 / known:.1%}, top-3 {self.top3 / known:.1%}")
        return (f"{name}: {self.total} questions, top-1 {self.top1 / n:.1%} ({self.top1}), "
                f"top-3 {self.top3 / n:.1%} ({self.top3}), danger words right "
                f"{self.danger_right / n:.1%}{unknown}")


def accuracy(engine: GuideSearch, questions: list[dict]) -> Accuracy:
    """Each question as written (its NFD spelling answers the same: tests/test_search.py)."""
    known = set(engine.library.ids())
    result = Accuracy()
    for q in questions:
        found = [h.guide_id for h in engine.search(q["text"], limit=3)]
        result.total += 1
        result.unknown += q["expect"] not in known
        result.top1 += found[:1] == [q["expect"]]
        result.top3 += q["expect"] in found
        result.danger_right += is_danger(q["text"]) is bool(q.get("danger", False))
        if found[:1] != [q["expect"]]:
            result.misses.append((q["text"], q["expect"], found))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--accuracy", action="store_true",
                        help="print top-1/top-3 of the tuned and the untuned question sets")
    parser.add_argument("--misses", action="store_true", help="with --accuracy: list misses")
    args = parser.parse_args()
    started = time.perf_counter()
    library = Library.load(data_dir("content"))
    engine = GuideSearch(library)
    built = time.perf_counter() - started
    if args.accuracy:
        print(f"library: {len(library.ids())} guides x 2 languages")
        for name, path in SETS.items():
            result = accuracy(engine, load(path))
            print(result.line(name))
            if args.misses:
                for text, expected, found in result.misses:
                    print(f"    {text!r}: want {expected}, got {found}")
        return
    texts = [q["text"] for q in load(QUERIES)]
    texts += [unicodedata.normalize("NFD", t) for t in texts]
    times = []
    for _ in range(args.rounds):
        for text in texts:
            t0 = time.perf_counter()
            engine.search(text)
            times.append(time.perf_counter() - t0)
    ordered = sorted(times)
    p95 = ordered[round(0.95 * len(ordered)) - 1]
    print(f"library: {len(library.ids())} guides x 2 languages, index built in "
          f"{built * 1000:.0f} ms")
    print(f"question -> ranked guides, {len(times)} searches: median "
          f"{statistics.median(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
          f"max {ordered[-1] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
