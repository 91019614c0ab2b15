"""An installed copy runs anywhere: the wheel carries content/, broadcasts/ and db/.

The wheel is built from a copy of the sources without the network (no build isolation, no
index), installed into a fresh venv that borrows this venv's dependencies through a .pth line,
and run from an empty directory.
"""

from __future__ import annotations

import os
import shutil
import site
import sqlite3
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from bot.subscriptions.areas import AreaCatalog

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "bot", "content", "broadcasts", "db")
DATA = ("content", "broadcasts", "db")
TIMEOUT = 120  # seconds for any one step; building takes ~2 s on a quiet machine


def _cannot_build() -> str | None:
    """Why this venv cannot build a wheel offline, or None when it can."""
    try:
        found = version("setuptools")
    except PackageNotFoundError:
        return "setuptools is not installed in this venv (the dev extras bring it: make test)"
    if _version(found) < (70, 1):  # older ones need the `wheel` package for bdist_wheel
        return f"setuptools {found} cannot build a wheel alone; the dev extras want >= 70.1"
    if _version(version("pip")) < (22, 3):  # `pip --python` installs into another venv
        return f"pip {version('pip')} cannot install into another venv (make test upgrades it)"
    return None


def _version(text: str) -> tuple[int, int]:
    major, minor = (int(part) for part in text.split(".")[:2])
    return major, minor


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SANSANG_", "TELEGRAM_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _cannot_build()
    if reason:
        pytest.skip(reason)
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "-w", dist, src], src, _clean_env())
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = dist.glob("sansang-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--without-pip", root], root, _clean_env())
    assert made.returncode == 0, made.stderr
    python = root / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                   root, _clean_env())
    # A bare path line: this venv's dependencies resolve, but its .pth files (the editable
    # install of the checkout among them) are not run, so `bot` can only come from the wheel.
    deps = "\n".join(site.getsitepackages())
    Path(purelib.stdout.strip(), "_sansang_deps.pth").write_text(deps + "\n", encoding="utf-8")
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                      "--no-index", wheel], root, _clean_env())
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return root


def test_wheel_holds_every_module_and_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "bot").rglob("*.py")}
    assert modules - names == set(), "add the package to [tool.setuptools] packages"
    data = {f"bot/_data/{p.relative_to(REPO).as_posix()}"
            for name in DATA for p in (REPO / name).rglob("*") if p.is_file()}
    assert data - names == set(), "add a glob to [tool.setuptools.package-data]"
    assert {n for n in names if n.startswith("bot/locale/") and n.endswith(".mo")}


def test_installed_copy_runs_from_another_directory(venv: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "state" / "sansang.sqlite3"
    env = _clean_env(SANSANG_DB=str(db_path))
    work = tmp_path / "elsewhere"
    work.mkdir()
    sansang = venv / "bin" / "sansang"

    where = _run([venv / "bin" / "python", "-c",
                  "from bot.paths import data_dir; print(data_dir('db'))"], work, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    migrated = _run([sansang, "db", "migrate"], work, env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    with sqlite3.connect(db_path) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY 1")]
    assert applied == sorted(p.name for p in (REPO / "db" / "migrations").glob("*.sql"))

    checked = _run([sansang, "content", "check"], work, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "content OK" in checked.stdout

    listed = _run([sansang, "areas"], work, env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    catalog = AreaCatalog.load(REPO / "content" / "areas.toml")
    assert listed.stdout.splitlines()[: len(catalog.areas)] == [
        f"{a.id}\t{a.name_vi}" for a in catalog.areas
    ]
    assert list(work.iterdir()) == []  # nothing written where it was run


def test_a_copy_without_its_migrations_says_so(venv: Path, tmp_path: Path) -> None:
    """Before, `db migrate` printed "database is up to date" and applied nothing."""
    env = _clean_env(SANSANG_DB=str(tmp_path / "sansang.sqlite3"))
    shipped = _run([venv / "bin" / "python", "-c",
                    "from bot.paths import data_dir; print(data_dir('db') / 'migrations')"],
                   tmp_path, env)
    folder = Path(shipped.stdout.strip())
    assert folder.is_relative_to(venv)
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    try:
        migrated = _run([venv / "bin" / "sansang", "db", "migrate"], tmp_path, env)
    finally:
        shutil.move(moved, folder)
    assert migrated.returncode == 2
    assert "no migrations in" in migrated.stderr and "reinstall" in migrated.stderr


def test_an_installed_copy_writes_the_flood_map(venv: Path, tmp_path: Path) -> None:
    """The map's page template and the Leaflet it inlines ship in the wheel (package-data)."""
    env = _clean_env(SANSANG_DB=str(tmp_path / "sansang.sqlite3"))
    sansang = venv / "bin" / "sansang"
    migrated = _run([sansang, "db", "migrate"], tmp_path, env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    page = tmp_path / "diem-ngap.html"
    drawn = _run([sansang, "reports", "--map", page], tmp_path, env)
    assert drawn.returncode == 0, drawn.stdout + drawn.stderr
    text = page.read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in text and ".leaflet-container" in text
    assert "Chưa có điểm ngập nào" in text
