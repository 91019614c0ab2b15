"""A group says what it is (issue 12), through the real bot and the fake Bot API: asked when an
administrator subscribes it, chosen and changed by administrators only (checked with Telegram at
every press), asked once of a group subscribed before kinds existed, shown by /mydata and gone
after /forget."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from bot.channels.telegram.app import build_application, running
from bot.channels.telegram.handlers import callbacks
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ensure
from bot.store.chats import get as get_chat
from bot.store.chats import update as update_chat
from tests.auxil.chat import Person
from tests.conftest import make_config
from tests.fakes import FakeBotAPI

GROUP = -100200400
QUESTION = "Đây là nhóm của đơn vị nào?"
REFUSED = "Chỉ quản trị viên của nhóm mới chọn được loại nhóm."
KIND_BUTTONS = ["Trường học", "Chợ", "Cơ quan, đơn vị", "Tổ dân phố, khu dân cư", "Khác"]


async def subscribed_group(api: FakeBotAPI, admin_id: int = 7101) -> Person:
    """A group the bot was added to, whose administrator chose Khu An Biên."""
    mark = api.mark()
    api.bot_added_to_group(GROUP, admin_id, title="Chợ Cột Đèn")
    api.set_member_status(GROUP, admin_id, "administrator")
    group = Person(api, admin_id).in_group(GROUP)
    await group.reply_since(mark)
    mark = api.mark()
    await group.press("Khu An Biên")
    await api.wait_message(GROUP, since=mark, contains=QUESTION)
    return group


async def kind_events(bot: Application) -> list[tuple[str, str, int]]:  # type: ignore[type-arg]
    rows = await bot.bot_data["services"].db.fetchall(
        "SELECT kind, chat_kind, active FROM events WHERE kind = 'group_kind' ORDER BY id")
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_an_administrator_sets_the_kind_and_a_member_cannot(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    group = await subscribed_group(api)
    assert group.last()["text"].startswith(QUESTION)
    assert list(group.buttons()) == KIND_BUTTONS
    assert all(len(label) <= 30 for label in group.buttons())

    member = Person(api, 7102).in_group(GROUP)
    api.set_member_status(GROUP, 7102, "member")
    refused = await member.press_data(group.buttons()["Chợ"])
    assert refused.params["text"] == REFUSED
    assert refused.params.get("show_alert") in (True, "true")
    assert (await get_chat(svc.db, GROUP)).group_kind is None

    await group.press("Chợ")
    assert "<b>Chợ</b>" in group.last()["text"]
    row = await get_chat(svc.db, GROUP)
    assert (row.group_kind, row.kind_asked, row.subscribed) == ("market", True, True)
    assert await kind_events(bot) == [("group_kind", "group", -1), ("group_kind", "market", 1)]

    # An administrator who lost the role is refused at the next press: Telegram is asked again.
    api.set_member_status(GROUP, 7101, "member")
    refused = await group.press_data(callbacks.group_kind("school"))
    assert refused.params["text"] == REFUSED
    assert (await get_chat(svc.db, GROUP)).group_kind == "market"


async def test_the_kind_is_changed_later_from_area_by_administrators_only(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    group = await subscribed_group(api)
    await group.press("Chợ")
    reply = await group.say("/area")
    assert "Loại nhóm: <b>Chợ</b>" in reply["text"]

    member = Person(api, 7102).in_group(GROUP)
    api.set_member_status(GROUP, 7102, "member")
    refused = await member.press_data(group.buttons()["🏷 Loại nhóm"])
    assert refused.params["text"] == REFUSED

    await group.press("🏷 Loại nhóm")
    assert "Loại nhóm hiện tại: <b>Chợ</b>" in group.last()["text"]
    await group.press("Trường học")
    assert (await get_chat(svc.db, GROUP)).group_kind == "school"
    assert await kind_events(bot) == [
        ("group_kind", "group", -1), ("group_kind", "market", 1),
        ("group_kind", "market", -1), ("group_kind", "school", 1),
    ]


async def test_mydata_shows_the_kind_and_forget_removes_it(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    svc = bot.bot_data["services"]
    group = await subscribed_group(api)
    await group.press("Trường học")
    assert "Loại nhóm: Trường học" in (await group.say("/mydata"))["text"]
    await group.say("/forget")
    await group.press("Đồng ý xóa")
    assert await get_chat(svc.db, GROUP) is None
    forgotten = await svc.db.fetchall(
        "SELECT chat_kind, active FROM events WHERE kind IN ('forget', 'unsubscribe') "
        "ORDER BY id")
    assert [tuple(r) for r in forgotten] == [("school", -1), ("school", 0)]


async def old_group(bot: Application, api: FakeBotAPI) -> None:  # type: ignore[type-arg]
    """A group subscribed before group kinds existed: what migration 0009 leaves."""
    db = bot.bot_data["services"].db
    api.add_chat(GROUP, "group", title="Tổ dân phố 5")
    await ensure(db, GROUP, "group", "vi", None)
    await update_chat(db, GROUP, area_id="an-bien", subscribed=1, lang_chosen=1)


async def test_a_group_subscribed_before_kinds_is_asked_once_at_its_next_command(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    await old_group(bot, api)
    member = Person(api, 7103).in_group(GROUP)
    api.set_member_status(GROUP, 7103, "member")

    mark = api.mark()
    reply = await member.say("/emergency")
    assert "<b>112</b>" in reply["text"]  # the answer asked for comes first
    asked = await api.wait_message(GROUP, since=mark, contains=QUESTION)
    assert asked.params["reply_markup"]
    assert (await get_chat(bot.bot_data["services"].db, GROUP)).kind_asked

    # Never twice: later commands get their answers only, even before anyone chose.
    mark = api.mark()
    await member.say("/help")
    await member.say("/emergency")
    await member.say("/guides")
    assert not [c for c in api.calls[mark:]
                if c.method == "sendMessage" and QUESTION in str(c.params.get("text"))]


async def test_an_old_group_is_not_asked_at_a_command_for_another_bot(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    await old_group(bot, api)
    member = Person(api, 7103).in_group(GROUP)
    mark = api.mark()
    api.send_message(7103, "/help@another_bot", chat_id=GROUP, chat_type="group")
    reply = await member.say("/emergency")  # handled after the one before (one chat in order)
    asked = await api.wait_message(GROUP, since=mark, contains=QUESTION)
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert [c.params["text"] for c in sent][:2] == [reply["text"], asked.params["text"]]


async def test_a_group_from_a_database_before_kinds_is_asked_once_even_across_a_restart(
    api: FakeBotAPI, db_path: Path
) -> None:
    """A real database migrated to 0008 (before kinds), then opened by the bot (0009 applied)."""
    old = await Database.open(db_path, migrate=False)
    await old.migrate(sorted(p for p in (data_dir("db") / "migrations").glob("*.sql")
                             if p.name < "0009"))
    await old.execute(
        "INSERT INTO chats (chat_id, kind, lang, lang_chosen, area_id, subscribed, blocked, "
        "title, created_at, updated_at) VALUES (?, 'group', 'vi', 1, 'an-bien', 1, 0, "
        "'Trường Tiểu học', '2026-09-01T00:00:00+00:00', '2026-09-01T00:00:00+00:00')",
        (GROUP,))
    await old.close()
    api.add_chat(GROUP, "group", title="Trường Tiểu học")
    member = Person(api, 7103).in_group(GROUP)

    async def commands(count: int) -> list[str]:
        """Send /emergency `count` times to a freshly started bot; the kind questions asked."""
        app = build_application(make_config(api, db_path))
        async with running(app, poll_timeout=1):
            mark = api.mark()
            for _ in range(count):
                await member.say("/emergency")
            await member.say("/help")  # the last update before it was fully handled
        return [c.params["text"] for c in api.calls[mark:]
                if c.method == "sendMessage" and QUESTION in str(c.params.get("text"))]

    assert len(await commands(2)) == 1
    assert await commands(2) == []
