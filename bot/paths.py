"""Where the data directories (content/, db/, broadcasts/) are: beside the package in a checkout,
else in the working directory (the Docker image installs the package and keeps them in /app)."""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    beside = CHECKOUT / name
    return beside if beside.is_dir() else Path.cwd() / name
