"""Weather advisories on Telegram, through the real bot, the fake Bot API and a fake forecast
server (real HTTP on 127.0.0.1): drafts reach every staff and lead chat, staff decide with
buttons (role re-checked on every press), residents get only what was approved, /weather."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from babel.dates import format_skeleton
from telegram.ext import Application

from bot.channels.telegram import weather_jobs
from bot.channels.telegram.app import build_application, running
from bot.channels.telegram.handlers import callbacks
from bot.i18n import gettext
from bot.notices import TEXTS
from bot.paths import data_dir
from bot.store.chats import ensure, update
from bot.weather.thresholds import WeatherSettings
from tests.auxil.chat import Person, eventually
from tests.conftest import LEAD_ID, STAFF_ID, make_config
from tests.fakes import FakeBotAPI
from tests.fakes.forecast import FakeForecast

SETTINGS = WeatherSettings.load(data_dir("content") / "weather.toml")
REFUSED = "Xin lỗi, chức năng này chỉ dành cho cán bộ phường."
SLOW = 30.0  # bound for waits that span several polls (a failing poll retries with backoff)


def hazard_day(hazard: str, level: int = 1) -> dict[str, float]:
    """Forecast values that cross `hazard`'s category `level`, from the same weather.toml."""
    bound = SETTINGS.hazards[hazard].category(level).bound
    if hazard == "rain":
        return {"rain": bound + 10}
    if hazard == "heat":
        return {"tmax": bound + 0.5}
    if hazard == "cold":
        return {"tmin": bound - 4, "tmax": bound - 1, "mean": bound - 1}
    kmh = dict(SETTINGS.beaufort)[int(bound)]
    return {"wind": kmh + 1, "gust": kmh + 1}


@pytest_asyncio.fixture
async def forecast() -> AsyncIterator[FakeForecast]:
    async with FakeForecast() as fake:
        yield fake


@pytest_asyncio.fixture
async def wbot(
    api: FakeBotAPI, db_path: Path, forecast: FakeForecast, staff: Person, lead: Person
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The bot following the fake forecast every second; staff and lead chats exist."""
    config = make_config(api, db_path, SANSANG_WEATHER="on", SANSANG_WEATHER_URL=forecast.url,
                         SANSANG_WEATHER_INTERVAL="1")
    app = build_application(config)
    async with running(app, poll_timeout=1):
        yield app


def drafts(api: FakeBotAPI, chat: int) -> list[dict[str, Any]]:
    """The draft copies in a chat, as shown now."""
    return [m for m in api.messages(chat)
            if "draft #" in m["visible_text"] or "Bản nháp cảnh báo thời tiết #" in
            m["visible_text"]]


async def first_draft(api: FakeBotAPI, *chats: int) -> None:
    async def arrived() -> bool:
        return all(drafts(api, c) for c in chats)

    await eventually(arrived)


async def the_advisory(app: Application) -> Any:  # type: ignore[type-arg]
    svc = app.bot_data["services"]
    row = await svc.db.fetchall("SELECT id FROM advisories ORDER BY id DESC LIMIT 1")
    return await svc.advisories.get(row[0][0])


async def named(person: Person, name: str) -> None:
    """The person's Telegram name (shown as who approved or discarded)."""
    person.first_name = name
    await person.sync()


async def subscriber(api: FakeBotAPI, app: Application, chat: int, area: str,  # type: ignore[type-arg]
                     lang: str = "vi") -> None:
    svc = app.bot_data["services"]
    api.add_chat(chat, "private")
    await ensure(svc.db, chat, "private", lang, None)
    await update(svc.db, chat, area_id=area, subscribed=1)


@pytest.mark.parametrize("hazard", ["rain", "wind", "heat", "cold"])
async def test_each_hazard_drafts_to_staff_and_lead_in_their_language_with_buttons(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
    lead: Person, hazard: str,
) -> None:
    svc = wbot.bot_data["services"]
    await ensure(svc.db, LEAD_ID, "private", "en", None)
    forecast.set_day(1, **hazard_day(hazard))
    await first_draft(api, STAFF_ID, LEAD_ID)
    category = SETTINGS.hazards[hazard].category(1)
    vi, en = drafts(api, STAFF_ID)[0]["visible_text"], drafts(api, LEAD_ID)[0]["visible_text"]
    assert category.name_vi in vi and "nchmf.gov.vn" in vi and "Open-Meteo.com" in vi
    assert "Bản nháp cảnh báo thời tiết" in vi and "tất cả khu vực" in vi
    assert category.name_en in en and "Weather advisory draft" in en and "nchmf.gov.vn" in en
    advisory = await the_advisory(wbot)
    assert advisory.text_vi in vi and advisory.text_en in en  # both texts shown
    guide = SETTINGS.hazards[hazard].guides[0]
    for person, labels in ((staff, ("✅ Duyệt", "🗑 Bỏ", "✏️ Sửa nội dung", "📍 Chọn khu vực")),
                           (lead, ("✅ Approve", "🗑 Discard", "✏️ Edit text",
                                   "📍 Choose areas"))):
        found = person.buttons()
        assert all(label in found for label in labels), found
        assert found[labels[0]] == callbacks.weather("ok", advisory.id)
        assert callbacks.guide(guide) in found.values()
    assert [m["message_id"] for m in drafts(api, STAFF_ID)] == [
        mid for chat, mid in await svc.advisories.messages(advisory.id) if chat == STAFF_ID]


async def test_approve_sends_an_urgent_broadcast_to_the_chosen_areas_only(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
    lead: Person,
) -> None:
    svc = wbot.bot_data["services"]
    await named(staff, "Minh")
    await subscriber(api, wbot, 74001, "an-bien")
    await subscriber(api, wbot, 74002, "ho-nam")
    forecast.set_day(1, **hazard_day("rain", 2))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    await staff.press("Chọn khu vực")
    await staff.press("Khu An Biên")
    assert "✅ Khu An Biên" in staff.buttons()
    await staff.press("Xong")
    for chat in (STAFF_ID, LEAD_ID):
        assert "Khu vực: Khu An Biên" in drafts(api, chat)[0]["visible_text"]
    answer = await staff.press("✅ Duyệt")
    assert "bản tin khẩn" in answer.params["text"]

    async def delivered() -> bool:
        last = api.last_message(74001)
        return bool(last) and last["visible_text"] == advisory.text_vi

    await eventually(delivered)
    approved = await svc.advisories.get(advisory.id)
    assert approved.status == "approved" and approved.decided_by == STAFF_ID
    broadcast = await svc.broadcasts.get(approved.broadcast_id)
    assert broadcast.urgent and broadcast.areas == ("an-bien",)
    assert api.messages(74002) == []
    for chat in (STAFF_ID, LEAD_ID):
        copy = drafts(api, chat)[0]
        assert f"Đã được Minh duyệt: bản tin khẩn #{broadcast.id}" in copy["visible_text"]
        labels = [b["text"] for row in copy["reply_markup"]["inline_keyboard"] for b in row]
        assert labels and not any("Duyệt" in x or "Bỏ" in x for x in labels)  # guides stay
    # A late (or forged) press on the decided draft changes nothing and says who decided.
    late = await lead.press_data(callbacks.weather("no", advisory.id),
                                 drafts(api, LEAD_ID)[0]["message_id"])
    assert late.params["text"] == "Đã được Minh duyệt rồi."
    assert (await svc.advisories.get(advisory.id)).status == "approved"
    assert [b.id for b in await svc.broadcasts.list() if not b.campaign] == [broadcast.id]


async def test_discard_sends_nothing_and_updates_every_copy(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
    lead: Person,
) -> None:
    svc = wbot.bot_data["services"]
    await named(lead, "Hoa")
    await subscriber(api, wbot, 74101, "an-bien")
    forecast.set_day(2, **hazard_day("heat"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    answer = await lead.press("Bỏ")
    assert answer.params["text"] == "Đã bỏ: không gửi gì cho người dân."
    assert (await svc.advisories.get(advisory.id)).status == "discarded"
    assert "Đã được Hoa bỏ" in drafts(api, STAFF_ID)[0]["visible_text"]
    late = await staff.press_data(callbacks.weather("ok", advisory.id),
                                  drafts(api, STAFF_ID)[0]["message_id"])
    assert late.params["text"] == "Đã được Hoa bỏ rồi."
    assert [b for b in await svc.broadcasts.list() if not b.campaign] == []
    assert api.messages(74101) == []


async def test_a_residents_forged_presses_change_nothing(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, resident: Person,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]
    await resident.say("/start")  # a keyboard of their own to forge presses on
    forecast.set_day(1, **hazard_day("wind"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    for step, area in (("ok", ""), ("no", ""), ("ed", ""), ("ar", ""), ("t", "an-bien"),
                       ("al", ""), ("dn", "")):
        answer = await resident.press_data(callbacks.weather(step, advisory.id, area))
        assert answer.params["text"] == REFUSED, step
    after = await svc.advisories.get(advisory.id)
    assert (after.status, after.areas, after.text_vi) == ("draft", None, advisory.text_vi)
    assert [b for b in await svc.broadcasts.list() if not b.campaign] == []
    audit = await svc.db.fetchall(
        "SELECT actor FROM audit WHERE action LIKE 'advisory.%' AND actor != 'weather'")
    assert audit == []


async def test_the_same_event_is_not_sent_twice(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast,  # type: ignore[type-arg]
) -> None:
    forecast.set_day(1, **hazard_day("rain"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    polled = len(forecast.requests)

    async def polled_again() -> bool:
        return len(forecast.requests) >= polled + 3

    await eventually(polled_again)
    assert len(drafts(api, STAFF_ID)) == 1 and len(drafts(api, LEAD_ID)) == 1
    # Worse by a category: a new draft, and the old copies say they were replaced.
    forecast.set_day(1, **hazard_day("rain", 2))

    async def redrafted() -> bool:
        return len(drafts(api, STAFF_ID)) == 2

    await eventually(redrafted)
    assert "Đã thay bằng bản nháp mới hơn" in drafts(api, STAFF_ID)[0]["visible_text"]


async def test_edit_text_changes_what_residents_receive(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
    lead: Person,
) -> None:
    svc = wbot.bot_data["services"]
    await subscriber(api, wbot, 74201, "lam-son", lang="en")
    forecast.set_day(1, **hazard_day("cold"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    await staff.press("Sửa nội dung")
    assert "nội dung tiếng Việt mới" in staff.last()["text"]
    reply = await staff.say("x" * 3501)
    assert "tối đa 3.500 ký tự" in reply["text"]
    new = "Rét đậm từ mai: giữ ấm cho người già & trẻ nhỏ, không đốt than trong phòng kín."
    reply = await staff.say(new)  # taken as the text, not as a question
    assert "tiếng Anh" in reply["text"]
    await staff.press("Gửi tiếng Việt cho mọi người")
    assert "đã có nội dung mới" in staff.last()["text"]
    edited = await svc.advisories.get(advisory.id)
    assert (edited.text_vi, edited.text_en) == (new, new)
    assert "giữ ấm cho người già &amp; trẻ nhỏ" not in drafts(api, LEAD_ID)[0]["visible_text"]
    assert new in drafts(api, LEAD_ID)[0]["visible_text"]
    await lead.press("Duyệt")

    async def delivered() -> bool:
        last = api.last_message(74201)
        return bool(last) and last["visible_text"] == new

    await eventually(delivered)


async def test_edit_can_be_cancelled_and_keeps_the_english(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]
    forecast.set_day(1, **hazard_day("heat"))
    await first_draft(api, STAFF_ID)
    advisory = await the_advisory(wbot)
    await staff.press("Sửa nội dung")
    reply = await staff.say("/cancel")
    assert reply["text"] == "Đã hủy: bản nháp giữ nguyên."
    assert (await svc.advisories.get(advisory.id)).text_vi == advisory.text_vi
    await staff.press_data(callbacks.weather("ed", advisory.id),
                           drafts(api, STAFF_ID)[0]["message_id"])
    await staff.say("Nắng nóng, bà con hạn chế ra ngoài buổi trưa.")
    await staff.press("Giữ bản tiếng Anh đã soạn")
    edited = await svc.advisories.get(advisory.id)
    assert edited.text_vi.startswith("Nắng nóng") and edited.text_en == advisory.text_en


async def test_an_undecided_draft_is_reminded_once(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]
    forecast.set_day(1, **hazard_day("rain"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    later = datetime.now(UTC) + timedelta(minutes=SETTINGS.remind_after_minutes + 1)
    await weather_jobs.remind(wbot, now=later)
    await weather_jobs.remind(wbot, now=later + timedelta(hours=1))
    copies = dict(await svc.advisories.messages(advisory.id))
    for chat in (STAFF_ID, LEAD_ID):
        reminders = [m for m in api.messages(chat) if "vẫn đang chờ quyết định" in
                     m["visible_text"]]
        assert len(reminders) == 1
        assert reminders[0]["reply_to_message_id"] == copies[chat]


async def test_weather_answers_in_both_languages_with_the_active_advisory_first(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]

    async def have_forecast() -> bool:
        return await svc.weather.latest() is not None

    await eventually(have_forecast)
    api.add_chat(74301, "private")
    vi = Person(api, 74301)
    api.add_chat(74302, "private")
    en = Person(api, 74302, language_code="en")
    today = forecast.day(0)
    reply = await vi.say("/weather")
    assert "Dự báo thời tiết" in reply["text"] and "Open-Meteo.com" in reply["text"]
    assert format_skeleton("MMMEd", today, locale="vi") in reply["text"]
    assert "°C" in reply["text"] and "nchmf.gov.vn" in reply["text"]
    assert "Cảnh báo của phường" not in reply["text"]
    reply = await en.say("/weather")
    assert "Forecast for" in reply["text"]
    assert format_skeleton("MMMEd", today, locale="en") in reply["text"]
    forecast.set_day(1, **hazard_day("rain"))
    await first_draft(api, STAFF_ID)
    advisory = await the_advisory(wbot)
    await staff.press("Duyệt")
    reply = await vi.say("/weather")
    assert reply["text"].startswith("⚠️ <b>Cảnh báo của phường")
    assert advisory.text_vi.splitlines()[1] in reply["text"]
    reply = await en.say("/weather")
    assert reply["text"].startswith("⚠️ <b>Ward warning")


async def test_weather_off_says_so_kindly(
    bot: Application, resident: Person  # type: ignore[type-arg]
) -> None:
    reply = await resident.say("/weather")
    assert "Hiện bot không theo dõi dự báo thời tiết." in reply["text"]
    assert "nchmf.gov.vn" in reply["text"]


async def test_weather_in_a_group_before_the_first_forecast(
    api: FakeBotAPI, db_path: Path, resident: Person, staff: Person, lead: Person,
) -> None:
    async with FakeForecast() as forecast:
        forecast.fail_always(400)  # refused: no forecast yet, and nothing else breaks
        config = make_config(api, db_path, SANSANG_WEATHER="on",
                             SANSANG_WEATHER_URL=forecast.url, SANSANG_WEATHER_INTERVAL="1")
        app = build_application(config)
        async with running(app, poll_timeout=1):
            api.add_chat(-100740, "group", title="Chợ Lê Chân")
            reply = await resident.in_group(-100740).say("/weather")
            assert "Chưa có dự báo cho Phường Lê Chân" in reply["text"]
            assert "nchmf.gov.vn" in reply["text"]


async def test_an_outage_gives_staff_one_notice_and_one_when_back(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]
    await ensure(svc.db, LEAD_ID, "private", "en", None)
    forecast.fail_next(3, 500)  # one poll: the client retries twice
    forecast.malformed_next(SETTINGS.failures_before_notice + 2)
    failing = SETTINGS.failures_before_notice + 3

    def told(chat: int, kind: str, lang: str) -> int:
        """How many notices of that kind the chat got (their words up to the first value)."""
        words = gettext(lang)(TEXTS[kind]).split("{")[0]
        return sum(m["visible_text"].startswith(words) for m in api.messages(chat))

    async def all_failed_and_back() -> bool:
        return told(STAFF_ID, "weather_back", "vi") == 1 and told(LEAD_ID, "weather_back",
                                                                    "en") == 1

    await eventually(all_failed_and_back, timeout=SLOW)
    assert sum(r.mode != "ok" for r in forecast.requests) == failing + 2
    assert told(STAFF_ID, "weather_down", "vi") == 1 and told(LEAD_ID, "weather_down", "en") == 1


async def test_one_staff_chat_failing_never_stops_the_others(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast,  # type: ignore[type-arg]
) -> None:
    svc = wbot.bot_data["services"]
    api.block(STAFF_ID)  # the staff member blocked the bot: Telegram answers 403
    forecast.set_day(1, **hazard_day("wind"))
    await first_draft(api, LEAD_ID)
    advisory = await the_advisory(wbot)
    assert drafts(api, STAFF_ID) == []
    assert [chat for chat, _ in await svc.advisories.messages(advisory.id)] == [LEAD_ID]


async def test_two_approvals_at_once_send_one_broadcast(
    wbot: Application, api: FakeBotAPI, forecast: FakeForecast, staff: Person,  # type: ignore[type-arg]
    lead: Person,
) -> None:
    import asyncio

    svc = wbot.bot_data["services"]
    forecast.set_day(1, **hazard_day("heat"))
    await first_draft(api, STAFF_ID, LEAD_ID)
    advisory = await the_advisory(wbot)
    answers = await asyncio.gather(
        staff.press_data(callbacks.weather("ok", advisory.id),
                         drafts(api, STAFF_ID)[0]["message_id"]),
        lead.press_data(callbacks.weather("ok", advisory.id),
                        drafts(api, LEAD_ID)[0]["message_id"]),
    )
    texts = sorted(a.params["text"] for a in answers)
    assert texts[0].startswith("Đã duyệt: bản tin khẩn") and texts[1].startswith("Đã được")
    assert len([b for b in await svc.broadcasts.list() if not b.campaign]) == 1


async def test_an_idle_edit_ends_by_itself_and_the_draft_stays(
    api: FakeBotAPI, db_path: Path, forecast: FakeForecast, staff: Person, lead: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.channels.telegram.handlers import weather_edit

    monkeypatch.setattr(weather_edit, "EDIT_TIMEOUT", 1)  # PTB's own conversation timeout
    config = make_config(api, db_path, SANSANG_WEATHER="on", SANSANG_WEATHER_URL=forecast.url,
                         SANSANG_WEATHER_INTERVAL="1")
    app = build_application(config)
    async with running(app, poll_timeout=1):
        forecast.set_day(1, **hazard_day("rain"))
        await first_draft(api, STAFF_ID)
        advisory = await the_advisory(app)
        await staff.press("Sửa nội dung")
        await api.wait_message(STAFF_ID, contains="Đã dừng sửa bản nháp", timeout=SLOW)
        reply = await staff.say("bão")  # a question again, not the draft's new text
        assert "Bản nháp" not in reply["text"]
        assert (await app.bot_data["services"].advisories.get(advisory.id)).text_vi == (
            advisory.text_vi)
