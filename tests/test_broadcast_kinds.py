"""Issue 12: broadcasts to some kinds of recipients (households, schools, markets, offices, ...),
sent through the real bot to the fake Bot API."""

from __future__ import annotations

import json
from pathlib import Path

from telegram.ext import Application

from bot.broadcasts.broadcasts import RECIPIENT_KINDS, Broadcasts
from bot.cli.sansang import RECIPIENT_KINDS as CLI_KINDS
from bot.store import Database
from bot.store.chats import ensure, update
from tests.auxil.chat import eventually
from tests.fakes import FakeBotAPI
from tests.test_broadcasts import AREAS
from tests.test_cli import sansang

# chat_id: (telegram type, area, group kind)
CHATS: dict[int, tuple[str, str, str | None]] = {
    81001: ("private", "an-bien", None),
    81002: ("private", "lam-son", None),
    -81003: ("group", "an-bien", "market"),
    -1000000081004: ("supergroup", "an-bien", "market"),
    -81005: ("group", "lam-son", "market"),
    -81006: ("group", "an-bien", "school"),
    -81007: ("group", "lam-son", "school"),
    -81008: ("group", "an-bien", None),  # kind not set yet: "other"
    -81009: ("group", "an-bien", "office"),
}


async def fill(db: Database, api: FakeBotAPI | None = None) -> None:
    for chat_id, (kind, area, group_kind) in CHATS.items():
        if api is not None:
            api.add_chat(chat_id, kind, title=None if kind == "private" else f"Nhóm {chat_id}")
        await ensure(db, chat_id, kind, "vi", None if kind == "private" else f"Nhóm {chat_id}")
        await update(db, chat_id, area_id=area, subscribed=1, group_kind=group_kind)


def reached(api: FakeBotAPI, text: str) -> set[int]:
    return {c for c in CHATS if any(m["visible_text"] == text for m in api.messages(c))}


async def test_a_broadcast_to_markets_in_one_area_reaches_exactly_those_groups(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await fill(svc.db, api)
    b = await svc.broadcasts.create("Chợ: chằng buộc mái tôn", targets=["an-bien"],
                                    kinds=["market"], created_by="cli")
    assert b.kinds == ("market",)
    assert await svc.broadcasts.recipients_now(b) == 2

    async def done() -> bool:
        return (await svc.broadcasts.get(b.id)).status == "done"

    await eventually(done)
    assert reached(api, "Chợ: chằng buộc mái tôn") == {-81003, -1000000081004}
    logged = await svc.db.fetchall(
        "SELECT chat_kind, COUNT(*) FROM events WHERE kind = 'delivery_sent' GROUP BY 1")
    assert [tuple(r) for r in logged] == [("market", 2)]


async def test_households_and_unset_groups_as_other(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    await fill(svc.db, api)
    b = await svc.broadcasts.create("Tin cho hộ dân", targets=None,
                                    kinds=["other", "household"], created_by="cli")
    assert b.kinds == ("household", "other")  # canonical order

    async def done() -> bool:
        return (await svc.broadcasts.get(b.id)).status == "done"

    await eventually(done)
    assert reached(api, "Tin cho hộ dân") == {81001, 81002, -81008}


async def test_recipients_by_kind_for_the_wizard_preview(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "k.sqlite3")
    try:
        await fill(db)
        service = Broadcasts(db, AREAS)
        assert await service.recipients_by_kind(["an-bien"]) == {
            "household": 1, "school": 1, "market": 2, "office": 1, "residential": 0,
            "other": 1}
        everywhere = await service.recipients_by_kind(None)
        assert everywhere["market"] == 3 and everywhere["household"] == 2
        assert sum(everywhere.values()) == len(CHATS)
        # every kind chosen is the same as no choice
        b = await service.create("x", targets=None, kinds=RECIPIENT_KINDS, created_by="cli")
        assert b.kinds is None and await service.recipients_now(b) == len(CHATS)
    finally:
        await db.close()


async def test_cli_kind_and_show_json(tmp_path: Path) -> None:
    assert CLI_KINDS == RECIPIENT_KINDS
    path = tmp_path / "cli.sqlite3"
    db = await Database.open(path)
    await fill(db)
    await db.close()
    env = {"SANSANG_DB": str(path)}
    made = sansang("broadcast", "create", "--to", "an-bien", "--kind", "school", "--kind",
                   "office", "--text", "Diễn tập", "--at", "2030-01-01T07:00", env=env)
    assert made.returncode == 0, made.stderr
    assert "school, office only" in made.stdout and "2 recipients" in made.stdout
    new_id = made.stdout.splitlines()[-1]
    shown = json.loads(sansang("broadcast", "show", new_id, "--json", env=env).stdout)
    assert shown["kinds"] == ["school", "office"] and shown["recipients"] == 2
    every = sansang("broadcast", "create", "--all", "--text", "Tất cả", "--at",
                    "2030-01-01T07:00", env=env)
    every_id = every.stdout.splitlines()[-1]
    shown = json.loads(sansang("broadcast", "show", every_id, "--json", env=env).stdout)
    assert shown["kinds"] is None and shown["recipients"] == len(CHATS)
    listed = sansang("broadcast", "list", env=env).stdout.splitlines()
    assert [line.split("\t")[-1] for line in listed] == ["all", "school,office"]

    bad = sansang("broadcast", "create", "--all", "--kind", "church", "--text", "x", env=env)
    assert bad.returncode == 2
    assert "church" in bad.stderr
    for kind in RECIPIENT_KINDS:
        assert kind in bad.stderr


async def test_the_school_campaign_reaches_only_school_groups_through_telegram(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """The shipped school-safety-week file, planned and started by the bot's own scheduler,
    reaches the two school groups and nobody else."""
    from datetime import datetime

    svc = bot.bot_data["services"]
    scheduler = bot.bot_data["scheduler"]
    await fill(svc.db, api)
    tz = svc.db.tz
    # 1 September 2027: the week's Monday 6 September is within the planner's horizon.
    await scheduler.reconcile(datetime(2027, 9, 1, 8, 0, tzinfo=tz))
    made = await svc.db.fetchall(
        "SELECT id FROM broadcasts WHERE campaign = 'school-safety-week'")
    assert len(made) == 1
    school = await svc.broadcasts.get(made[0]["id"])
    assert school is not None and school.kinds == ("school",)
    started = await scheduler.reconcile(datetime(2027, 9, 6, 7, 0, 5, tzinfo=tz))
    assert school.id in started

    async def done() -> bool:
        return (await svc.broadcasts.get(school.id)).status == "done"

    await eventually(done)
    fragment = "Đầu năm học, cũng là giữa mùa bão"
    got = {c for c in CHATS if any(fragment in m["visible_text"] for m in api.messages(c))}
    assert got == {-81006, -81007}
    logged = await svc.db.fetchall(
        "SELECT chat_kind, COUNT(*) FROM events WHERE kind = 'delivery_sent' AND detail = ? "
        "GROUP BY 1", (str(school.id),))
    assert [tuple(r) for r in logged] == [("school", 2)]
