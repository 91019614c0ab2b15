"""SANSANG_STAFF_GROUP: residents' flood reports go to the ward staff's Telegram group instead of
each staff and lead private chat; only staff can mark them there; a group the bot cannot reach
sends them to the private chats after all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.channels.telegram.app import build_application, running
from bot.config import Config
from bot.errors import ConfigError
from tests.auxil.chat import Person, eventually
from tests.conftest import LEAD_ID, STAFF_ID, make_config
from tests.fakes import FakeBotAPI
from tests.test_flood_report_telegram import REFUSED, _all_reports, _sent

GROUP = -1001234500099


@pytest_asyncio.fixture
async def grouped_bot(api: FakeBotAPI, db_path: Path
                      ) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    api.add_chat(GROUP, "supergroup", title="Cán bộ phường")
    app = build_application(make_config(api, db_path, SANSANG_STAFF_GROUP=str(GROUP)))
    async with running(app, poll_timeout=1):
        yield app


def _sent_to(api: FakeBotAPI, chat: int, since: int) -> list[Any]:
    return [c for c in api.calls[since:] if c.method in ("sendMessage", "sendPhoto")
            and int(c.params["chat_id"]) == chat]


async def test_reports_go_to_the_staff_group_where_only_staff_can_resolve_them(
    resident: Person, staff: Person, lead: Person, api: FakeBotAPI,
    grouped_bot: Application,  # type: ignore[type-arg]
) -> None:
    mark = await _sent(resident, api)
    [report] = await _all_reports(grouped_bot)
    copy = await api.wait_message(GROUP, since=mark, contains=f"Báo cáo ngập số {report.id}")
    assert "Khu vực: Khu An Biên" in copy.params["text"]
    # The private chats get no copy of their own: the group is where staff work on it.
    assert _sent_to(api, STAFF_ID, mark) == [] and _sent_to(api, LEAD_ID, mark) == []

    # A resident in the staff group (or anyone who is not staff) cannot resolve it.
    outsider = Person(api, 5550777, GROUP, "supergroup")
    refused = await outsider.press_data(f"r:r:{report.id}", copy.result["message_id"])
    assert refused.params["text"] == REFUSED
    assert (await _all_reports(grouped_bot))[0].status == "new"

    mark = api.mark()
    await staff.in_group(GROUP, "supergroup").press_data(f"r:r:{report.id}",
                                                          copy.result["message_id"])
    await api.wait_message(resident.chat, since=mark, contains=f"số {report.id}")

    async def resolved() -> bool:
        return (await _all_reports(grouped_bot))[0].status == "resolved"

    await eventually(resolved)


async def test_a_staff_group_the_bot_cannot_reach_sends_reports_to_the_private_chats(
    resident: Person, staff: Person, lead: Person, api: FakeBotAPI,
    grouped_bot: Application,  # type: ignore[type-arg]
) -> None:
    api.block(GROUP)  # e.g. the bot was removed from the group
    mark = await _sent(resident, api)
    [report] = await _all_reports(grouped_bot)
    for chat in (STAFF_ID, LEAD_ID):
        await api.wait_message(chat, since=mark, contains=f"Báo cáo ngập số {report.id}")


@pytest.mark.parametrize("value", ["12345", "-12a", "group", "-"])
def test_a_staff_group_that_is_not_a_group_id_is_a_configuration_error(value: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "7000000001:TEST-token-for-the-fake-api-000000000",
           "SANSANG_STAFF_GROUP": value}
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env)
    assert "SANSANG_STAFF_GROUP" in str(caught.value) and "-1001234567890" in str(caught.value)
    assert Config.from_env({**env, "SANSANG_STAFF_GROUP": "-1001234567890"}).staff_group == (
        -1001234567890)
