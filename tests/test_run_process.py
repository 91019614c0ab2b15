"""`sansang run` as an operator starts it: a real process against a Bot API at TELEGRAM_API_URL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.auxil.chat import Person
from tests.conftest import TOKEN
from tests.fakes import FakeBotAPI

STOP_LIMIT = 10.0  # DESIGN: SIGTERM stops the bot cleanly within 10 s


async def start_bot(api: FakeBotAPI, db: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "SANSANG_DB": str(db),
        "SANSANG_WEATHER": "off",
        "PYTHONUNBUFFERED": "1",
    }
    mark = api.mark()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=db.parent,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    # deleteWebhook comes right before polling starts (a getUpdates is recorded when it returns).
    await api.wait_for(lambda c: c.method == "deleteWebhook", since=mark, timeout=30)
    return proc


async def stop_bot(proc: asyncio.subprocess.Process) -> tuple[int, str, float]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    proc.send_signal(signal.SIGTERM)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=STOP_LIMIT + 20)
    except TimeoutError:
        proc.kill()
        output, _ = await proc.communicate()
        raise AssertionError("the bot did not stop on SIGTERM: " + output.decode()) from None
    return proc.returncode or 0, output.decode("utf-8", "replace"), loop.time() - started


async def test_run_onboards_keeps_subscription_across_restart_and_never_logs_token(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    api.add_chat(6660001, "private")
    resident = Person(api, 6660001, language_code="en")
    db = tmp_path / "run.sqlite3"

    proc = await start_bot(api, db)
    try:
        reply = await resident.say("/start")
        assert set(resident.buttons()) == {"🇻🇳 Tiếng Việt", "🇬🇧 English"}, reply
        await resident.press("English")
        await resident.press("Lam Sơn")
        assert "Subscribed to warnings for <b>Lam Sơn</b>" in resident.last()["text"]
        api.fail_next("sendMessage", status=500, chat_id=resident.chat)  # an error gets logged
        await resident.say("/help")
    finally:
        code, first_output, took = await stop_bot(proc)
    assert code == 0, first_output
    assert took < STOP_LIMIT, f"stopping took {took:.1f} s"

    proc = await start_bot(api, db)
    try:
        reply = await resident.say("/area")
        assert "Neighbourhood: <b>Lam Sơn</b>" in reply["text"]
    finally:
        code, second_output, _ = await stop_bot(proc)
    assert code == 0

    everything = first_output + second_output
    assert "handler failed" in everything  # the log did capture the failure...
    assert TOKEN not in everything  # ...and never the token
    assert TOKEN.split(":")[1] not in everything


async def test_a_refused_token_is_reported_without_echoing_it(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    other = "7000000002:ANOTHER-token-the-api-does-not-know-00"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    env |= {"TELEGRAM_BOT_TOKEN": other, "TELEGRAM_API_URL": api.url,
            "SANSANG_DB": str(tmp_path / "x.sqlite3")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = output.decode()
    assert proc.returncode == 1
    assert "refused TELEGRAM_BOT_TOKEN" in text
    assert other not in text and other.split(":")[1] not in text


async def test_a_broken_data_file_stops_the_start_with_its_name_and_the_process_exits(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """A malformed contacts.toml is found after the database is open: the start stops with the
    file's name and the process ends (the database's thread is closed, not left running)."""
    import shutil

    from bot.paths import data_dir

    content = tmp_path / "content"
    shutil.copytree(data_dir("content"), content)
    (content / "contacts.toml").write_text("[[contact]\nbroken", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
            "SANSANG_DB": str(tmp_path / "x.sqlite3"), "SANSANG_CONTENT": str(content),
            "SANSANG_WEATHER": "off"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    except TimeoutError:
        proc.kill()
        output, _ = await proc.communicate()
        raise AssertionError("the bot did not exit: " + output.decode()) from None
    assert proc.returncode == 1, output.decode()
    assert "contacts.toml" in output.decode() and TOKEN not in output.decode()
