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
