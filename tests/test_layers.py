"""The layers of DESIGN.md hold: the domain never imports a channel (Telegram or Zalo), and only
storage runs SQL.

Read from the source with `ast`, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
ADAPTERS = ("channels", "cli", "fakeapi", "__main__")  # may import python-telegram-bot
CHANNELS = ("telegram", "zalo")  # bot/channels/<name>: the adapters the domain never imports
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


def _forbidden_in_domain(name: str) -> bool:
    """An import the domain may not make: python-telegram-bot, any channel adapter (Telegram's,
    Zalo's, and any later one under bot.channels), or the CLI."""
    return name == "telegram" or name.startswith(("telegram.", "bot.channels", "bot.cli"))


def _domain_offenders(paths: list[Path], root: Path = BOT) -> list[str]:
    offenders = []
    for path in paths:
        if path.relative_to(root).parts[0].removesuffix(".py") in ADAPTERS:
            continue
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if _forbidden_in_domain(name):
                offenders.append(f"{path.relative_to(root.parent)} imports {name}")
    return offenders


def test_the_domain_never_imports_telegram_or_the_adapters() -> None:
    offenders = _domain_offenders(_modules())
    assert offenders == [], "\n".join(offenders)


def test_the_domain_imports_neither_channel(tmp_path: Path) -> None:
    """Both channels' packages count as adapters: a domain module importing Telegram's or
    Zalo's (in any import form) is caught, and each adapter may import the domain."""
    root = tmp_path / "bot"
    for package in ("broadcasts", "store", "subscriptions"):
        (root / package).mkdir(parents=True)
    for channel in CHANNELS:
        (root / "channels" / channel).mkdir(parents=True)
        (root / "channels" / channel / "sender.py").write_text(
            "from bot.broadcasts.delivery import Delivery\n", encoding="utf-8")
    forms = {
        "broadcasts/a.py": "from bot.channels.zalo.sender import ZaloSender\n",
        "store/b.py": "import bot.channels.zalo.client\n",
        "subscriptions/c.py": "from bot.channels.telegram import sender\n",
        "broadcasts/d.py": "from bot.channels import zalo\n",
        "store/e.py": "from telegram import Bot\n",
    }
    for name, text in forms.items():
        (root / name).write_text(text, encoding="utf-8")
    found = _domain_offenders(_modules(root), root)
    assert sorted({o.split()[0] for o in found}) == sorted(f"bot/{name}" for name in forms)
    assert not any("channels" in o.split()[0] for o in found)  # adapters may import the domain
    # And the real tree: the Zalo adapter, when present, is where the Telegram one is.
    zalo = BOT / "channels" / "zalo"
    if zalo.exists():
        assert all(_top(p) in ADAPTERS for p in _modules(zalo))
    for path in _modules():
        if _top(path) not in ADAPTERS:
            names = _imports(ast.parse(path.read_text(encoding="utf-8")))
            assert not [n for n in names if n.startswith(tuple(
                f"bot.channels.{c}" for c in CHANNELS))], path


# The one place one channel names another: the process's wiring. The Telegram application opens
# the services in its post_init and starts the Zalo channel beside it (entry points only).
WIRING = {("bot/channels/telegram/app.py", "bot.channels.zalo"),
          ("bot/channels/telegram/app.py", "bot.channels.zalo.app")}


def _cross_channel(paths: list[Path], root: Path = BOT) -> list[str]:
    """Imports of one channel's adapter by another's (Zalo importing Telegram's handlers, or
    python-telegram-bot itself): texts both channels say live in bot/channels/texts.py."""
    offenders = []
    for path in paths:
        parts = path.relative_to(root).parts
        if len(parts) < 3 or parts[0] != "channels" or parts[1] not in CHANNELS:
            continue
        others = tuple(f"bot.channels.{c}" for c in CHANNELS if c != parts[1])
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            where = str(path.relative_to(root.parent))
            if (where, name) in WIRING:
                continue
            if name.startswith(others) or (parts[1] != "telegram" and (
                    name == "telegram" or name.startswith("telegram."))):
                offenders.append(f"{path.relative_to(root.parent)} imports {name}")
    return offenders


def test_a_channel_never_imports_another_channel(tmp_path: Path) -> None:
    offenders = _cross_channel(_modules())
    assert offenders == [], "\n".join(offenders)
    # The check sees what it looks for.
    root = tmp_path / "bot"
    (root / "channels" / "zalo").mkdir(parents=True)
    (root / "channels" / "telegram").mkdir(parents=True)
    (root / "channels" / "zalo" / "a.py").write_text(
        "from bot.channels.telegram.handlers.info import emergency_text\n", encoding="utf-8")
    (root / "channels" / "zalo" / "b.py").write_text("import telegram\n", encoding="utf-8")
    (root / "channels" / "telegram" / "c.py").write_text(
        "from bot.channels.zalo import render\nfrom telegram import Bot\n", encoding="utf-8")
    (root / "channels" / "texts.py").write_text("import bot.services\n", encoding="utf-8")
    found = sorted({o.split()[0] for o in _cross_channel(_modules(root), root)})
    assert found == ["bot/channels/telegram/c.py", "bot/channels/zalo/a.py",
                     "bot/channels/zalo/b.py"]


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
