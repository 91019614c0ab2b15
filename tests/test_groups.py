"""Group chats of schools and markets: greeting, admin-only changes, removal, supergroups."""

from __future__ import annotations

from telegram.ext import Application

from bot.store.chats import get as get_chat
from tests.auxil.chat import Person, eventually
from tests.fakes import FakeBotAPI

GROUP = -100200300


async def added(api: FakeBotAPI, admin: Person) -> Person:
    mark = api.mark()
    api.bot_added_to_group(GROUP, admin.user_id, title="Trường THCS Lê Chân")
    api.set_member_status(GROUP, admin.user_id, "administrator")
    group = admin.in_group(GROUP)
    await group.reply_since(mark)
    return group


async def test_added_group_is_greeted_and_admin_chooses_area(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    group = await added(api, Person(api, 7001))
    greeting = group.last()["text"]
    assert "Nhóm này thuộc khu dân cư nào?" in greeting
    assert "Khu An Biên" in group.buttons()

    await group.press("Khu An Biên")
    # The subscription is confirmed in place; the question of the group's kind follows it.
    texts = [m["text"] for m in api.messages(GROUP)]
    assert any("Nhóm sẽ nhận cảnh báo cho <b>Khu An Biên</b>" in t for t in texts)
    row = await get_chat(bot.bot_data["services"].db, GROUP)
    assert (row.kind, row.area_id, row.subscribed) == ("group", "an-bien", True)


async def test_a_member_who_is_not_admin_cannot_change_the_group(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    group = await added(api, Person(api, 7001))
    member = Person(api, 7002).in_group(GROUP)
    api.set_member_status(GROUP, 7002, "member")
    data = group.buttons()["Khu An Biên"]

    answer = await member.press_data(data)
    assert answer.params.get("show_alert") in (True, "true")
    assert "Chỉ quản trị viên" in answer.params["text"]
    reply = await member.say("/unsubscribe")
    assert "Chỉ quản trị viên" in reply["text"]
    reply = await member.say("/start an-bien")
    assert "Chỉ quản trị viên" in reply["text"]
    row = await get_chat(bot.bot_data["services"].db, GROUP)
    assert not row.subscribed


async def test_removing_the_bot_unsubscribes_the_group(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    admin = Person(api, 7001)
    group = await added(api, admin)
    await group.press("Khu An Biên")
    api.bot_removed_from_group(GROUP, admin.user_id)
    svc = bot.bot_data["services"]

    async def unsubscribed() -> bool:
        row = await get_chat(svc.db, GROUP)
        return not row.subscribed

    await eventually(unsubscribed)
    events = await svc.db.fetchall("SELECT kind, chat_kind, detail FROM events ORDER BY id")
    assert [tuple(e) for e in events][-1] == ("unsubscribe", "group", "removed")


async def test_group_help_and_emergency_work_for_anyone(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    await added(api, Person(api, 7001))
    member = Person(api, 7002).in_group(GROUP)
    assert "<b>112</b>" in (await member.say("/emergency"))["text"]
    assert "/emergency" in (await member.say("/help@sansang_test_bot"))["text"]


async def test_a_group_upgraded_to_a_supergroup_keeps_its_area(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    admin = Person(api, 7001)
    group = await added(api, admin)
    await group.press("Khu An Biên")
    new_id = -1009998887
    api.add_chat(new_id, "supergroup", title="Trường THCS Lê Chân")
    api.send_message(7001, None, chat_id=GROUP, migrate_to_chat_id=new_id)  # type: ignore[arg-type]
    svc = bot.bot_data["services"]

    async def moved() -> bool:
        row = await get_chat(svc.db, new_id)
        return row is not None and row.area_id == "an-bien" and row.kind == "supergroup"

    await eventually(moved)
    assert await get_chat(svc.db, GROUP) is None


async def test_a_resident_who_blocks_the_bot_is_marked_and_counted(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    await resident.say("/start an-bien")
    api.user_blocks_bot(resident.user_id)
    svc = bot.bot_data["services"]

    async def blocked() -> bool:
        row = await get_chat(svc.db, resident.chat)
        return row.blocked

    await eventually(blocked)
    api.user_unblocks_bot(resident.user_id)

    async def back() -> bool:
        return not (await get_chat(svc.db, resident.chat)).blocked

    await eventually(back)
    kinds = [r["kind"] for r in await svc.db.fetchall("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["subscribe", "blocked", "unblocked"]
