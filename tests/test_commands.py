"""Every command one types, in Telegram or on the command line, is wired, helped and documented.

Two sources only: `bot.channels.telegram.commands.COMMANDS` (Telegram: the menus, /help and
this test read it) and the argparse tree of `bot.cli.sansang.build_parser()` (the CLI).
Neither is copied here.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.channels.telegram.app import build_application
from bot.channels.telegram.commands import COMMANDS
from bot.cli.sansang import build_parser
from bot.config import EXAMPLE_TOKEN, Config
from bot.i18n import LANGUAGES, gettext

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def cli_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str | None]]:
    """Every command and subcommand of the parser, with the help its parent gives it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), helps.get(name)
                yield from cli_commands(sub, (*path, name))


def telegram_commands(handlers: list[BaseHandler]) -> set[str]:  # type: ignore[type-arg]
    """Commands that start something: plain command handlers and a conversation's entry points
    (a conversation's own fallbacks such as /cancel only work inside it)."""
    found: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            found |= handler.commands
        elif isinstance(handler, ConversationHandler):
            found |= telegram_commands(list(handler.entry_points))
    return found


def test_every_cli_command_has_help_and_a_line_in_the_readme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = dict(cli_commands(build_parser()))
    assert ("db", "migrate") in commands and ("broadcast", "create") in commands
    for path, text in commands.items():
        assert text, f"sansang {' '.join(path)} has no help text"
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args([*path, "--help"])
        assert done.value.code == 0
        assert "usage: sansang " + " ".join(path) in capsys.readouterr().out
        assert "sansang " + " ".join(path) in README, f"README: sansang {' '.join(path)}"


def test_every_telegram_command_is_wired_translated_and_in_the_readme(tmp_path: Path) -> None:
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": EXAMPLE_TOKEN,
                              "SANSANG_DB": str(tmp_path / "db.sqlite3")})
    app = build_application(config)
    wired = telegram_commands([h for group in app.handlers.values() for h in group])
    listed = [c.name for c in COMMANDS]
    assert len(listed) == len(set(listed))
    assert set(listed) == wired, "a handler without a COMMANDS entry, or the other way round"
    for command in COMMANDS:
        assert f"`/{command.name}" in README, f"README: /{command.name}"
        texts = {lang: gettext(lang)(command.help) for lang in LANGUAGES}
        assert all(texts.values()) and all(len(t) <= 256 for t in texts.values())
        assert texts["vi"] != texts["en"], f"/{command.name} is not translated into Vietnamese"
