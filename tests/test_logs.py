"""The bot token never reaches a log line, tracebacks included."""

from __future__ import annotations

import io
import logging

from bot import logs

TOKEN = "7000000001:TEST-token-for-the-fake-api-000000000"


def test_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    logs.setup(logging.DEBUG, secrets=(TOKEN,))
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    log = logging.getLogger("bot.test")
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("another shape 123456789:%s", "B" * 35)
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("failed")
    out = stream.getvalue()
    assert TOKEN not in out and "B" * 35 not in out
    assert out.count(logs.REDACTED) == 3  # the URL, the other token, the exception message
    assert "failed" in out and "Traceback" in out
    logging.getLogger().handlers.clear()


def test_noisy_http_loggers_are_quiet() -> None:
    logs.setup(logging.DEBUG)
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    logging.getLogger().handlers.clear()


async def test_sql_parameters_never_reach_the_log_even_at_debug(tmp_path: object) -> None:
    """aiosqlite logs each statement's parameters at DEBUG: a phone number a resident shared
    for warnings would be written to the log."""
    import io
    from pathlib import Path

    from bot.store import Database

    logs.setup(logging.DEBUG)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        db = await Database.open(Path(str(tmp_path)) / "x.sqlite3")
        await db.execute("CREATE TABLE t (phone TEXT)")
        await db.execute("INSERT INTO t VALUES (?)", ("84912345678",))
        await db.close()
        assert "84912345678" not in stream.getvalue()
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
