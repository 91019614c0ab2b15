"""Where the shipped data folders (content/, broadcasts/, db/) are.

An installed wheel carries them inside the package as `bot/_data/<name>` (pyproject maps the
repository's top-level folders there); a checkout, editable install included, keeps them at the
top of the repository, beside the package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = "bot"


def data_dir(name: str) -> Path:
    """The shipped folder `name` ("content", "broadcasts" or "db") of this copy of the bot."""
    package = Path(str(files(PACKAGE)))
    packaged = package / "_data" / name
    return packaged if packaged.is_dir() else package.parent / name
