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


def test_campaign_kinds_are_read_and_a_bad_kind_is_named(tmp_path: Path) -> None:
    guides = set(Library.load(data_dir("content")).ids())
    found = {c.key: c for c in campaigns.load(data_dir("broadcasts"), KNOWN_AREAS, guides)}
    assert found["school-safety-week"].kinds == ("school",)
    market = found["market-storm-check"]
    assert market.kinds == ("market",) and market.guide == "market-before-storm"
    assert found["storm-season"].kinds is None
    for guide in ("market-before-storm", "market-flood", "market-after-storm"):
        assert guide in guides
    # The last Monday of May to October: before each month of June-November.
    sends = market.occurrences(datetime(2026, 1, 1, tzinfo=TZ), datetime(2026, 12, 31, tzinfo=TZ),
                               TZ)
    assert [m.date() for m in sends] == [date(2026, 5, 25), date(2026, 6, 29), date(2026, 7, 27),
                                         date(2026, 8, 31), date(2026, 9, 28),
                                         date(2026, 10, 26)]
    spec = campaigns._from_spec(campaigns._spec(market), False)
    assert spec.kinds == ("market",) and spec.last_week_only

    bad = (data_dir("broadcasts") / "heat.toml").read_text(encoding="utf-8").replace(
        'target = "all"', 'target = "all"\nkinds = ["school", "church"]')
    (tmp_path / "heat.toml").write_text(bad, encoding="utf-8")
    _found, problems = campaigns.load_each(tmp_path, guides)
    assert len(problems) == 1 and "heat.toml" in problems[0] and "'church'" in problems[0]
    assert "household, school, market, office, residential, other" in problems[0]


async def test_the_school_campaign_reaches_only_schools(tmp_path: Path) -> None:
    from bot.store.chats import ensure, update

    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        for chat_id, kind, group_kind in ((1, "private", None), (-2, "group", "school"),
                                          (-3, "group", "market"), (-4, "group", None),
                                          (-1000000000005, "supergroup", "school")):
            await ensure(db, chat_id, kind, "vi", None)
            await update(db, chat_id, area_id="an-bien", subscribed=1, group_kind=group_kind)
        guides = set(Library.load(data_dir("content")).ids())
        school = next(c for c in campaigns.load(data_dir("broadcasts"), KNOWN_AREAS, guides)
                      if c.key == "school-safety-week")
        broadcasts = Broadcasts(db, AREAS)
        service = Campaigns(db, broadcasts, TZ)
        await service.sync([school])
        await db.execute("UPDATE campaigns SET synced_at = ?", ("2026-01-01T00:00:00+00:00",))
        made = await service.plan(datetime(2026, 9, 1, 8, 0, tzinfo=TZ).astimezone(UTC))
        assert len(made) == 1  # Monday 7 September
        b = await broadcasts.get(made[0])
        assert b is not None and b.kinds == ("school",)
        assert await broadcasts.start(b.id) == 2
        rows = await db.fetchall("SELECT chat_id, chat_kind FROM outbox ORDER BY chat_id")
        assert [tuple(r) for r in rows] == [(-1000000000005, "school"), (-2, "school")]
    finally:
        await db.close()
