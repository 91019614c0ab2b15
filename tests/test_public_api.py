"""We use python-telegram-bot's public API only: its private modules change without notice."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRIVATE = re.compile(r"\btelegram(?:\.\w+)*\._\w+")


def _private_uses(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Attribute):
            names = [ast.unparse(node)]
        found += [f"{path.relative_to(REPO)}:{node.lineno}: {n}"
                  for n in names if PRIVATE.match(n)]
    return found


def test_no_module_reaches_into_private_telegram_modules() -> None:
    files = [p for folder in ("bot", "tests", "benchmarks") for p in (REPO / folder).rglob("*.py")]
    assert len(files) > 20
    found = sorted({use for path in files for use in _private_uses(path)})
    assert found == [], "use public names (BaseRequest.DEFAULT_NONE...):\n" + "\n".join(found)
