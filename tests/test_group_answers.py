"""Guides for the kind of group (issue 12): a school's group that asks gets the school guide first
where one exists, a market's the market guide; residents keep the household guide. Through the
real bot and the fake Bot API (a group asks by naming the bot or answering it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.ext import Application

from bot.guides.answers import Answers
from bot.guides.library import Library
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ensure
from bot.store.chats import update as update_chat
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI

GROUP = -100200500
BOT = "@sansang_test_bot"


async def group_of_kind(bot: Application, api: FakeBotAPI, kind: str) -> Person:  # type: ignore[type-arg]
    svc = bot.bot_data["services"]
    api.add_chat(GROUP, "group", title="Nhóm thử")
    await ensure(svc.db, GROUP, "group", "vi", None)
    await update_chat(svc.db, GROUP, area_id="an-bien", subscribed=1, kind_asked=1)
    await svc.subscriptions.set_group_kind(GROUP, kind)
    return Person(api, 7201).in_group(GROUP)


async def ask_in_group(api: FakeBotAPI, group: Person, question: str) -> str:
    mark = api.mark()
    text = f"{BOT} {question}"
    api.send_message(group.user_id, text, chat_id=GROUP, chat_type="group",
                     entities=[{"type": "mention", "offset": 0, "length": len(BOT)}])
    return str((await group.reply_since(mark)).params["text"])


@pytest.mark.parametrize(("kind", "question", "title"), [
    ("school", "chuẩn bị gì trước bão", "Trường học chuẩn bị trước mùa mưa bão"),
    ("school", "sau bão cần làm gì", "Trường học sau bão"),
    ("market", "chuẩn bị gì trước bão", "Chợ trước khi bão đến"),
    ("market", "ngập nước", "Chợ khi mưa lớn, ngập nước"),
])
async def test_a_group_gets_the_guide_written_for_its_kind_first(
    bot: Application, api: FakeBotAPI, kind: str, question: str, title: str  # type: ignore[type-arg]
) -> None:
    group = await group_of_kind(bot, api, kind)
    assert title in await ask_in_group(api, group, question)
    db = bot.bot_data["services"].db
    logged = await db.fetchone(
        "SELECT chat_kind, guide_id FROM events WHERE kind = 'question' ORDER BY id DESC")
    assert logged["chat_kind"] == kind and logged["guide_id"].startswith(kind)


async def test_a_resident_keeps_the_household_guide(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("chuẩn bị gì trước bão")
    assert "Trường học" not in reply["text"] and "Chợ trước" not in reply["text"]


async def test_talk_between_members_is_not_a_question(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    group = await group_of_kind(bot, api, "school")
    mark = api.mark()
    api.send_message(7202, "@lan chuẩn bị gì trước bão", chat_id=GROUP, chat_type="group",
                     entities=[{"type": "mention", "offset": 0, "length": 4}])
    reply = await group.say("/emergency")  # handled after the message before (one chat, in order)
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert [c.params["text"] for c in sent] == [reply["text"]]


async def test_no_guide_for_the_kind_keeps_the_best_hit_and_danger_stays_first(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        answers = Answers(db, Library.load(data_dir("content")))
        # No school guide for a landslide: the best hit stays.
        plain = await answers.ask("sạt lở đất", "vi", area_id=None, chat_kind="private")
        school = await answers.ask("sạt lở đất", "vi", area_id=None, chat_kind="school")
        assert plain.guide is not None and school.guide is not None
        assert school.guide.id == plain.guide.id
        # A heat question from an office: the outdoor workers' guide (audience office) first.
        office = await answers.ask("nắng nóng", "vi", area_id=None, chat_kind="office")
        assert office.guide is not None and office.guide.id == "heat-outdoor-workers"
        # Danger: the life-safety answer first, whoever asks.
        danger = await answers.ask("cứu tôi với nước ngập đến cổ", "vi", area_id=None,
                                   chat_kind="market")
        assert danger.danger and danger.guide is not None and "market" not in danger.guide.id
    finally:
        await db.close()
