"""/staff: only the lead office manages roles; every press re-checks; every change is audited."""

from __future__ import annotations

from telegram.ext import Application

from bot.channels.telegram.handlers import callbacks
from tests.auxil.chat import Person, eventually
from tests.conftest import LEAD_ID
from tests.fakes import FakeBotAPI


async def test_lead_adds_and_removes_staff_with_confirmation(
    lead: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    roles = bot.bot_data["services"].roles
    api.add_chat(424242, "private")
    reply = await lead.say("/staff add 424242 staff")
    assert "Giao cho người có mã số 424242 vai trò <b>cán bộ phường</b>?" in reply["text"]
    assert await roles.of(424242) == 0  # nothing before confirmation
    await lead.press("Xác nhận")
    assert "Xong: người có mã số 424242 nay là cán bộ phường." in lead.last()["text"]
    assert await roles.is_staff(424242)
    menu = api.commands({"type": "chat", "chat_id": 424242}, "vi")
    assert menu and "staff" not in {c["command"] for c in menu}

    listing = (await lead.say("/staff"))["text"]
    assert "424242 – cán bộ phường" in listing and f"{LEAD_ID} – cán bộ đầu mối" in listing

    await lead.say("/staff remove 424242")
    await lead.press("Xác nhận")
    assert not await roles.is_staff(424242)
    audit = await bot.bot_data["services"].db.fetchall(
        "SELECT actor, action, target, detail FROM audit WHERE target = '424242' ORDER BY id"
    )
    assert [tuple(a) for a in audit] == [
        (str(LEAD_ID), "role.add", "424242", "staff"),
        (str(LEAD_ID), "role.remove", "424242", "staff"),
    ]


async def test_residents_and_staff_are_refused(
    bot: Application, resident: Person, staff: Person  # type: ignore[type-arg]
) -> None:
    assert "chỉ dành cho cán bộ đầu mối" in (await resident.say("/staff"))["text"]
    assert "chỉ dành cho cán bộ đầu mối" in (await staff.say("/staff add 1 lead"))["text"]


async def test_forged_staff_button_is_refused(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    roles = bot.bot_data["services"].roles
    await resident.say("/start")
    answer = await resident.press_data(callbacks.staff_add(resident.user_id, "lead"))
    assert "chỉ dành cho cán bộ đầu mối" in answer.params["text"]
    assert await roles.of(resident.user_id) == 0


async def test_a_role_taken_away_stops_buttons_already_shown(
    lead: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    roles = bot.bot_data["services"].roles
    await lead.say("/staff add 515151 lead")
    data, message_id = lead.buttons()["Xác nhận"], lead.keyboard_message_id()
    await roles.remove(LEAD_ID, actor="cli")  # as `sansang staff remove` would
    answer = await lead.press_data(data, message_id)
    assert "chỉ dành cho cán bộ đầu mối" in answer.params["text"]
    assert await roles.of(515151) == 0


async def test_cli_role_change_reaches_the_menus(
    lead: Person, bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    from bot.channels.telegram.handlers.menus import sync_scopes

    await bot.bot_data["services"].roles.remove(LEAD_ID, actor="cli")
    await sync_scopes(bot)  # what the 10-second job runs

    async def menu_gone() -> bool:
        return not api.commands({"type": "chat", "chat_id": LEAD_ID}, "vi")

    await eventually(menu_gone)


async def test_bad_staff_arguments_get_usage(
    lead: Person, bot: Application  # type: ignore[type-arg]
) -> None:
    for junk in ("/staff add", "/staff add abc staff", "/staff add 1 king", "/staff fire 1"):
        assert "/staff add" in (await lead.say(junk))["text"], junk
    assert "Không thể tự gỡ" in (await lead.say(f"/staff remove {LEAD_ID}"))["text"]
