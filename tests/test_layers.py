"""The layers of DESIGN.md hold: the domain never imports Telegram, and only storage runs SQL.

Read from the source with `ast`, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
ADAPTERS = ("channels", "cli", "fakeapi", "__main__")  # may import python-telegram-bot
SQL_CALLS = {"execute", "executemany", "executescript", "fetchall", "fetchone"}
SQL_TEXT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH|REPLACE)\s"
)


def _modules(where: Path = BOT) -> list[Path]:
    return sorted(p for p in where.rglob("*.py") if "__pycache__" not in p.parts)


def _top(path: Path) -> str:
    return path.relative_to(BOT).parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_the_domain_never_imports_telegram_or_the_adapters() -> None:
    offenders = []
    for path in _modules():
        if _top(path) in ADAPTERS:
            continue
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if name == "telegram" or name.startswith(("telegram.", "bot.channels", "bot.cli")):
                offenders.append(f"{path.relative_to(BOT.parent)} imports {name}")
    assert offenders == [], "\n".join(offenders)


def test_only_the_storage_layer_runs_sql() -> None:
    offenders = []
    for path in _modules():
        if _top(path) == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(BOT.parent)}:{getattr(node, 'lineno', '?')}"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_CALLS):
                offenders.append(f"{where} calls .{node.func.attr}()")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and SQL_TEXT.match(node.value)):
                offenders.append(f"{where} holds SQL {node.value[:40]!r}")
    assert offenders == [], "\n".join(offenders)


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The two checks above would catch a handler running SQL or a domain module on Telegram."""
    bad = tmp_path / "bad.py"
    bad.write_text("from telegram import Bot\nasync def f(db):\n"
                   "    await db.fetchall('SELECT 1')\n", encoding="utf-8")
    tree = ast.parse(bad.read_text(encoding="utf-8"))
    assert "telegram" in _imports(tree)
    calls = [n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "fetchall" in calls
    assert SQL_TEXT.match("SELECT 1")
