"""`sansang shell`: a newcomer subscribes and reads /emergency with no token and no Telegram."""

from __future__ import annotations

import os
import subprocess
import sys


def test_shell_subscribes_and_shows_emergency_numbers() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    script = "\n".join(["/start", "2", "1", "/emergency", ":as lead", "/help", ":quit"]) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "shell"], input=script, capture_output=True, text=True,
        timeout=120, env=env, check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] 🇻🇳 Tiếng Việt  [2] 🇬🇧 English" in out
    assert "Which neighbourhood do you live in?" in out  # pressed 2: English
    assert "Subscribed to warnings for Lam Sơn" in out  # pressed 1: the first area
    assert "112 – disasters, search and rescue" in out
    assert "(you are now lead, user 3003)" in out
    assert "/staff" in out.split("(you are now lead")[1]
