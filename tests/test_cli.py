"""The `sansang` command line as an operator's scripts use it: outputs and exit codes."""

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bot.paths import data_dir
from bot.subscriptions.areas import AreaCatalog

AREAS = AreaCatalog.load(data_dir("content") / "areas.toml")


def sansang(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
        env={**base, **(env or {})}, cwd=cwd, check=False,
    )


@pytest.fixture
def db_env(tmp_path: Path) -> dict[str, str]:
    return {"SANSANG_DB": str(tmp_path / "cli.sqlite3")}


def test_areas_prints_id_tab_name() -> None:
    result = sansang("areas")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(AREAS.areas)
    for line, area in zip(lines, AREAS.areas, strict=True):
        area_id, name = line.split("\t")
        assert re.fullmatch(r"[a-z0-9_-]{1,32}", area_id)
        assert (area_id, name) == (area.id, area.name_vi)


def test_areas_qr_writes_one_svg_per_area_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "qr"
    result = sansang("areas", "--qr", str(out), "--bot-username", "sansang_lechan_bot")
    assert result.returncode == 0, result.stderr
    assert sorted(f.stem for f in out.glob("*.svg")) == sorted(a.id for a in AREAS.areas)
    for area in AREAS.areas:
        svg = (out / f"{area.id}.svg").read_text(encoding="utf-8")
        root = ElementTree.fromstring(svg.split("\n", 1)[1])  # noqa: S314 - our own file
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert area.name_vi in texts
        assert f"https://t.me/sansang_lechan_bot?start={area.id}" in texts
        assert root.find("{http://www.w3.org/2000/svg}svg") is not None  # the code itself


def test_areas_qr_without_username_or_token_explains(tmp_path: Path) -> None:
    result = sansang("areas", "--qr", str(tmp_path / "qr"))
    assert result.returncode == 2
    assert "--bot-username" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr
    bad = sansang("areas", "--qr", str(tmp_path / "qr"), "--bot-username", "no spaces!")
    assert bad.returncode == 2 and "--bot-username" in bad.stderr


def test_db_migrate_then_up_to_date(db_env: dict[str, str]) -> None:
    first = sansang("db", "migrate", env=db_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [
        "0001_chats_and_events.sql", "0002_roles.sql", "0003_broadcasts.sql",
        "0004_report_indexes.sql", "0005_event_days.sql", "0006_active_changes.sql",
        "0007_event_day_column.sql",
        "0008_cancelled_outbox.sql", "0009_group_kinds.sql", "0010_weather.sql",
        "0011_flood_reports.sql", "0012_zalo.sql",
    ]
    again = sansang("db", "migrate", env=db_env)
    assert again.returncode == 0 and again.stdout.strip() == "database is up to date"


def test_staff_add_list_remove_is_audited(db_env: dict[str, str]) -> None:
    assert sansang("staff", "add", "555", "--role", "staff", env=db_env).returncode == 0
    assert sansang("staff", "add", "777", "--role", "lead", env=db_env).returncode == 0
    listed = sansang("staff", "list", env=db_env).stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [
        ["777", "lead", "cli"], ["555", "staff", "cli"],
    ]
    assert sansang("staff", "remove", "555", env=db_env).returncode == 0
    assert sansang("staff", "list", env=db_env).stdout.startswith("777\tlead")
    missing = sansang("staff", "remove", "555", env=db_env)
    assert missing.returncode == 1 and "no role" in missing.stderr

    import sqlite3

    with sqlite3.connect(db_env["SANSANG_DB"]) as conn:
        audit = conn.execute(
            "SELECT actor, action, target, detail FROM audit ORDER BY id"
        ).fetchall()
    assert audit == [
        ("cli", "role.add", "555", "staff"),
        ("cli", "role.add", "777", "lead"),
        ("cli", "role.remove", "555", "staff"),
    ]


@pytest.mark.parametrize(
    "args", [("staff", "add", "abc", "--role", "staff"), ("staff", "add", "1", "--role", "king"),
             ("frobnicate",), ()],
)
def test_bad_cli_input_exits_2_with_usage(args: tuple[str, ...], db_env: dict[str, str]) -> None:
    result = sansang(*args, env=db_env)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_run_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = sansang("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "@BotFather" in result.stderr and ".env" in result.stderr


def test_run_reads_the_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=oops\nSANSANG_WEATHER=off\n")
    result = sansang("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not look like a bot token" in result.stderr
    assert "oops" not in result.stderr


def test_make_run_without_token_fails_with_help(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    if not (root / ".venv" / "bin" / "sansang").exists():
        pytest.skip("make run needs the project's .venv (made by make test)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    if (root / ".env").exists():
        pytest.skip("a local .env would give make run a token")
    result = subprocess.run(["make", "-s", "run"], cwd=root, capture_output=True, text=True,
                            timeout=120, env=env, check=False)
    assert result.returncode != 0
    assert "@BotFather" in result.stderr
