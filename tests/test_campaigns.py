"""Seasonal campaigns: synced from broadcasts/, one broadcast per weekly occurrence, pausable."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.broadcasts import campaigns
from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.campaigns import Campaign, Campaigns
from bot.errors import ContentError
from bot.guides.library import Library
from bot.paths import data_dir
from bot.store import Database
from tests.test_broadcasts import AREAS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KNOWN_AREAS = {a.id for a in AREAS.areas} | {g.id for g in AREAS.groups}
STORM = Campaign("storm-season", "Mùa bão", "Storm season", (6, 1), (11, 30), 0, time(7, 30),
                 None, False, "Mùa bão", "Storm season", "storm-before")


def test_the_shipped_campaigns_load_and_point_to_guides() -> None:
    found = campaigns.load(data_dir("broadcasts"), KNOWN_AREAS,
                           set(Library.load(data_dir("content")).ids()))
    assert {c.key for c in found} >= {"storm-season", "rainy-season-flooding", "heat",
                                      "cold-spells", "storm-surge-king-tides",
                                      "school-safety-week"}
    assert all(c.guide for c in found)


def test_occurrences_are_mondays_0730_local_within_the_season() -> None:
    start = datetime(2026, 5, 20, tzinfo=TZ)
    found = STORM.occurrences(start, datetime(2026, 6, 16, tzinfo=TZ), TZ)
    assert found == [datetime(2026, 6, d, 7, 30, tzinfo=TZ) for d in (1, 8, 15)]
    cold = replace(STORM, season_from=(12, 1), season_to=(2, 28), weekday=1)
    assert cold.in_season(date(2027, 1, 15)) and not cold.in_season(date(2026, 6, 1))
    assert STORM.next_after(datetime(2026, 12, 1, tzinfo=TZ), TZ) == datetime(
        2027, 6, 7, 7, 30, tzinfo=TZ)


def test_a_bad_campaign_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('key = "x"\nweekday = "funday"\n', encoding="utf-8")
    with pytest.raises(ContentError, match="x.toml"):
        campaigns.load(tmp_path, KNOWN_AREAS, set())


async def test_plan_creates_each_occurrence_once_and_pause_cancels(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        service = Campaigns(db, Broadcasts(db, AREAS), TZ)
        await service.sync([STORM])
        await db.execute("UPDATE campaigns SET synced_at = ?", ("2026-01-01T00:00:00+00:00",))
        now = datetime(2026, 6, 3, 8, 0, tzinfo=TZ).astimezone(UTC)
        first = await service.plan(now)
        assert len(first) == 1  # Monday 8 June, the only one in the coming 8 days
        assert await service.plan(now) == []  # never twice
        b = await Broadcasts(db, AREAS).get(first[0])
        assert b is not None and b.campaign == "storm-season" and b.target_all
        assert b.send_at == datetime(2026, 6, 8, 7, 30, tzinfo=TZ)
        assert await service.set_paused("storm-season", True, actor="cli")
        assert (await Broadcasts(db, AREAS).get(first[0])).status == "cancelled"
        assert await service.plan(now + timedelta(days=7)) == []
        await service.set_paused("storm-season", False, actor="cli")
        assert len(await service.plan(now + timedelta(days=7))) == 1
        # Editing the file (here: the text) and syncing updates; removing it stops it.
        await service.sync([replace(STORM, text_vi="Mùa bão (sửa)")])
        assert (await service.all())[0].text_vi == "Mùa bão (sửa)"
        await service.sync([])
        assert await service.all() == []
        assert await Broadcasts(db, AREAS).list(("scheduled",)) == []
        audit = await db.fetchall("SELECT actor, action FROM audit WHERE action LIKE 'campaign%'")
        assert [tuple(a) for a in audit] == [("cli", "campaign.pause"), ("cli", "campaign.resume")]
    finally:
        await db.close()


async def test_a_broken_campaign_file_is_told_to_staff_and_the_bot_still_runs(
    tmp_path: Path,
) -> None:
    import shutil

    from bot.channels.telegram.app import build_application, running
    from tests.conftest import LEAD_ID, TOKEN, make_config
    from tests.fakes import FakeBotAPI

    shutil.copytree(data_dir("content"), tmp_path / "content")
    (tmp_path / "broadcasts").mkdir()
    (tmp_path / "broadcasts" / "bad.toml").write_text('key = "bad"\n', encoding="utf-8")
    api = FakeBotAPI(token=TOKEN)
    await api.start()
    try:
        api.add_chat(LEAD_ID, "private")
        config = make_config(api, tmp_path / "db.sqlite3",
                             SANSANG_CONTENT=str(tmp_path / "content"),
                             SANSANG_CAMPAIGNS=str(tmp_path / "broadcasts"))
        async with running(build_application(config), poll_timeout=1):
            told = await api.wait_message(LEAD_ID, since=0, contains="bad.toml")
            assert "Không đọc được tệp tin tuyên truyền theo mùa" in told.params["text"]
    finally:
        await api.stop()
