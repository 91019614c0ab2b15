"""`sansang groups`: one subscribed group a line, member counts from the (fake) Bot API, cached a
day; a count that fails shows the cached one or ?, and never a group's title."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import groups
from bot.store import Database
from bot.store.chats import ensure, update
from tests.conftest import TOKEN, make_config
from tests.fakes import FakeBotAPI
from tests.test_cli import sansang

TITLE = "Chợ Cột Đèn - ban quản lý"
SINCE = "2026-06-01"  # the local day `fill` says the bot first knew the groups
GROUPS = {  # chat_id: (area, group kind, members in Telegram; None: the count fails)
    -91001: ("an-bien", "market", 57),
    -91002: ("an-bien", None, 12),
    -1000000091003: ("lam-son", "school", None),
}


def serve_counts(api: FakeBotAPI, counts: dict[int, int | None]) -> Callable[[], list[int]]:
    """The fake answers getChatMemberCount with these counts; None: "chat not found" (400).
    Returns a function listing the chats asked since this call."""
    for chat_id, n in counts.items():
        api.add_chat(chat_id, "group" if chat_id > -10**12 else "supergroup", title=TITLE)
        if n is None:
            api.fail_next("getChatMemberCount", status=400,
                          description="Bad Request: chat not found", chat_id=chat_id)
        else:
            api.set_member_count(chat_id, n)
    mark = api.mark()

    def asked() -> list[int]:
        return [int(c.params["chat_id"]) for c in api.calls[mark:]
                if c.method == "getChatMemberCount"]
    return asked


async def fill(db: Database) -> None:
    for chat_id, (area, kind, _n) in GROUPS.items():
        await ensure(db, chat_id, "group" if chat_id > -10**12 else "supergroup", "vi", TITLE)
        await update(db, chat_id, area_id=area, subscribed=1, group_kind=kind)
    await ensure(db, 91004, "private", "vi", None)  # a household: not listed
    await update(db, 91004, area_id="an-bien", subscribed=1)
    await ensure(db, -91005, "group", "vi", TITLE)  # not subscribed: not listed
    # Fixed first-seen times: the listing is by area, then oldest first, and rows written in
    # the same second (or not) must not change the order the tests expect.
    for chat_id, at in ((-91002, "2026-06-01T02:59:59+00:00"),
                        (-91001, "2026-06-01T03:00:00+00:00"),
                        (-1000000091003, "2026-06-01T03:00:01+00:00")):
        await db.execute("UPDATE chats SET created_at = ? WHERE chat_id = ?", (at, chat_id))


async def test_groups_lists_area_kind_members_since_and_caches_a_day(
    api: FakeBotAPI, db_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked = serve_counts(api, {c: n for c, (_a, _k, n) in GROUPS.items()})
    config = make_config(api, db_path)
    db = await Database.open(db_path)
    try:
        await fill(db)
        today = SINCE
        with caplog.at_level(logging.WARNING):
            assert await groups.run(config, db) == 0
        out = capsys.readouterr().out
        assert out.splitlines() == [
            f"an-bien\tunset\t12\t{today}", f"an-bien\tmarket\t57\t{today}",
            f"lam-son\tschool\t?\t{today}"]
        assert TITLE not in out and "Chợ" not in out
        assert "chat not found" in caplog.text and TOKEN not in caplog.text
        assert sorted(asked()) == sorted(GROUPS)

        # Within a day: the cached counts, Telegram is asked only for the one it did not give.
        asked = serve_counts(api, {})
        assert await groups.run(config, db) == 0
        assert capsys.readouterr().out.splitlines()[1] == f"an-bien\tmarket\t57\t{today}"
        assert asked() == [-1000000091003]

        # A day later the count fails: the cached one is shown, the others go on.
        old = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds")
        await db.execute("UPDATE chats SET members_at = ?", (old,))
        serve_counts(api, {-91001: None, -91002: 13, -1000000091003: 400})
        assert await groups.run(config, db) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"an-bien\tunset\t13\t{today}", f"an-bien\tmarket\t57\t{today}",
            f"lam-son\tschool\t400\t{today}"]
    finally:
        await db.close()


async def test_sansang_groups_through_the_command_line(api: FakeBotAPI, db_path: Path) -> None:
    serve_counts(api, {-91001: 8, -91002: 9, -1000000091003: 10})
    db = await Database.open(db_path)
    await fill(db)
    await db.close()
    env = {"SANSANG_DB": str(db_path), "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_URL": api.url}
    result = await asyncio.to_thread(sansang, "groups", env=env)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[:3] for r in rows] == [["an-bien", "unset", "9"], ["an-bien", "market", "8"],
                                     ["lam-son", "school", "10"]]
    assert TITLE not in result.stdout
    no_token = await asyncio.to_thread(sansang, "groups", env={"SANSANG_DB": str(db_path)})
    assert no_token.returncode == 0
    assert [line.split("\t")[2] for line in no_token.stdout.splitlines()] == ["9", "8", "10"]
