"""Answer time of a resident's question, in-process, over the whole guide library.

Builds the search index from content/ once, then times `GuideSearch.search` for every question of
the evaluation set (tests/data/queries.toml) and its NFD spelling, several rounds, and prints the
median and 95th percentile.

    .venv/bin/python -m benchmarks.questions [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
import unicodedata
from pathlib import Path

from bot.guides.library import Library
from bot.guides.search import GuideSearch
from bot.paths import data_dir

QUERIES = Path(__file__).resolve().parents[1] / "tests" / "data" / "queries.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    library = Library.load(data_dir("content"))
    engine = GuideSearch(library)
    built = time.perf_counter() - started
    texts = [q["text"] for q in tomllib.loads(QUERIES.read_text(encoding="utf-8"))["q"]]
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
