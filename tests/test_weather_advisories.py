"""Drafting from the fake forecast, dedup and supersede, and what staff do with a draft:
approve (an urgent broadcast, in the same transaction), discard, edit, choose areas, reminders."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta

import pytest

from bot.weather.advisories import AdvisoryError
from bot.weather.models import Advisory
from tests.auxil.weather import AREAS, SETTINGS, World, day_values, world_fixture  # noqa: F401

STAFF = 900002
OTHER = 900001


async def drafted(world: World, *days: dict[str, float]) -> list[Advisory]:
    world.fake.calm()
    for i, values in enumerate(days):
        world.fake.set_day(i, **values)
    result = await world.weather.poll()
    assert result.ok and result.error is None
    return list(result.drafts)


async def one(world: World, *days: dict[str, float]) -> Advisory:
    found = await drafted(world, *days)
    assert len(found) == 1, found
    return found[0]


async def rows(world: World, sql: str) -> list[dict[str, object]]:
    return [dict(r) for r in await world.db.fetchall(sql)]


@pytest.mark.parametrize(("hazard", "level"), [
    ("rain", 1), ("rain", 2), ("wind", 1), ("wind", 2), ("heat", 1), ("heat", 2), ("heat", 3),
    ("cold", 1), ("cold", 2)])
async def test_each_hazard_gives_a_draft_with_its_text(
        world: World, hazard: str, level: int) -> None:
    advisory = await one(world, {}, day_values(hazard, level))
    cat = SETTINGS.hazards[hazard].category(level)
    assert (advisory.hazard, advisory.level, advisory.status) == (hazard, level, "draft")
    assert advisory.first_day == world.fake.day(1) == advisory.last_day
    assert cat.name_vi in advisory.text_vi.lower() and cat.name_en in advisory.text_en.lower()
    assert advisory.guides == SETTINGS.hazards[hazard].guides
    assert advisory.areas is None and advisory.broadcast_id is None
    assert await world.advisories.get(advisory.id) == advisory
    assert await rows(world, "SELECT * FROM broadcasts") == []  # nothing without approval


async def test_strong_wind_from_gusts_alone_is_drafted(world: World) -> None:
    gust = dict(SETTINGS.beaufort)[8] + 1
    advisory = await one(world, {"wind": 20.0, "gust": gust})
    assert (advisory.hazard, advisory.level, advisory.beaufort, advisory.gust_beaufort) == (
        "wind", 2, None, 8)
    assert "gió giật cấp 8" in advisory.text_vi


async def test_the_same_event_is_drafted_once(world: World) -> None:
    wet = day_values("rain", 1)
    await one(world, wet)
    assert await drafted(world, wet) == []
    assert await drafted(world, wet) == []
    assert len(await rows(world, "SELECT id FROM advisories")) == 1


async def test_worse_by_a_category_supersedes_the_undecided_draft(world: World) -> None:
    first = await one(world, day_values("rain", 1))
    worse = await one(world, day_values("rain", 2))
    assert (worse.level, worse.supersedes) == (2, first.id)
    old = await world.advisories.get(first.id)
    assert old is not None and old.status == "superseded"
    # and back to heavy rain again is not news
    assert await drafted(world, day_values("rain", 1)) == []
    # a superseded draft can no longer be approved
    decision = await world.advisories.approve(first.id, STAFF)
    assert not decision.changed and decision.broadcast_id is None


async def test_a_new_day_of_the_same_event_is_drafted_again(world: World) -> None:
    hot = day_values("heat", 1)
    first = await one(world, hot)
    longer = await one(world, hot, hot)
    assert (longer.first_day, longer.last_day, longer.supersedes) == (
        world.fake.day(0), world.fake.day(1), first.id)


async def test_another_hazard_on_the_same_days_is_its_own_draft(world: World) -> None:
    await one(world, day_values("rain", 1))
    both = await drafted(world, {**day_values("rain", 1), **day_values("wind", 1)})
    assert [a.hazard for a in both] == ["wind"]


async def test_a_discarded_event_stays_quiet_unless_it_worsens(world: World) -> None:
    first = await one(world, day_values("cold", 1))
    decision = await world.advisories.discard(first.id, STAFF)
    assert decision.changed and decision.advisory.status == "discarded"
    assert decision.advisory.decided_by == STAFF
    assert await drafted(world, day_values("cold", 1)) == []
    worse = await one(world, day_values("cold", 2))
    assert worse.supersedes is None  # the discarded one is decided, not superseded
    assert (await world.advisories.get(first.id)).status == "discarded"  # type: ignore[union-attr]
    assert await rows(world, "SELECT * FROM broadcasts") == []


async def test_approve_sends_an_urgent_broadcast_to_the_chosen_areas(
        world: World) -> None:
    advisory = await one(world, day_values("rain", 2))
    chosen = (AREAS.areas[2].id, AREAS.areas[0].id)
    moved = await world.advisories.set_areas(advisory.id, STAFF, chosen)
    assert moved.changed and moved.advisory.areas == (AREAS.areas[0].id, AREAS.areas[2].id)
    decision = await world.advisories.approve(advisory.id, STAFF)
    assert decision.changed and decision.advisory.status == "approved"
    assert decision.broadcast_id is not None
    assert decision.broadcast_id == decision.advisory.broadcast_id
    assert decision.advisory.decided_by == STAFF and decision.advisory.decided_at is not None
    (b,) = await rows(world, "SELECT * FROM broadcasts")
    assert b["id"] == decision.broadcast_id
    assert (b["status"], b["urgent"], b["target_all"]) == ("scheduled", 1, 0)
    assert json.loads(str(b["areas"])) == sorted(chosen)
    assert (b["text_vi"], b["text_en"]) == (advisory.text_vi, advisory.text_en)
    assert b["created_by"] == f"advisory:{advisory.id}/tg:{STAFF}"
    assert b["notify_chat"] == STAFF
    actions = [r["action"] for r in await rows(world, "SELECT action FROM audit ORDER BY id")]
    assert actions[-3:] == ["advisory.areas", "broadcast.create", "advisory.approve"]
    assert [a.id for a in await world.advisories.approved()] == [advisory.id]
    assert [a.id for a in await world.advisories.active(world.fake.day(0))] == [advisory.id]
    assert await world.advisories.active(world.fake.day(1)) == []

    # what an operator sees of it
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SANSANG_")},
           "SANSANG_DB": str(world.db.path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "broadcast", "show", str(b["id"]), "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    shown = json.loads(stdout)
    assert (shown["urgent"], shown["target"], shown["created_by"]) == (
        True, sorted(chosen), f"advisory:{advisory.id}/tg:{STAFF}")
    assert shown["text_vi"] == advisory.text_vi


async def test_approve_without_chosen_areas_goes_to_every_area(world: World) -> None:
    advisory = await one(world, day_values("heat", 2))
    decision = await world.advisories.approve(advisory.id, STAFF)
    (b,) = await rows(world, "SELECT target_all, urgent FROM broadcasts")
    assert decision.changed and (b["target_all"], b["urgent"]) == (1, 1)


async def test_two_approvals_at_once_make_one_broadcast(world: World) -> None:
    advisory = await one(world, day_values("wind", 2))
    decisions = await asyncio.gather(world.advisories.approve(advisory.id, STAFF),
                                     world.advisories.approve(advisory.id, OTHER),
                                     world.advisories.discard(advisory.id, OTHER))
    assert [d.changed for d in decisions].count(True) == 1
    assert len(await rows(world, "SELECT id FROM broadcasts")) == 1
    winner = next(d for d in decisions if d.changed)
    assert all(d.advisory == decisions[-1].advisory for d in decisions)
    assert winner.advisory.status == "approved"
    assert len(await rows(world, "SELECT id FROM audit WHERE action = 'advisory.approve'")) == 1


async def test_a_decided_draft_cannot_be_edited_or_moved(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    await world.advisories.discard(advisory.id, STAFF)
    assert not (await world.advisories.edit(advisory.id, STAFF, "khác", None)).changed
    assert not (await world.advisories.set_areas(advisory.id, STAFF, None)).changed
    assert not (await world.advisories.approve(advisory.id, STAFF)).changed
    after = await world.advisories.get(advisory.id)
    assert after is not None and after.text_vi == advisory.text_vi
    assert await rows(world, "SELECT * FROM broadcasts") == []


async def test_edit_changes_the_text_that_is_sent(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    kept_en = await world.advisories.edit(advisory.id, STAFF, "  Bà con chú ý mưa to.  ", None)
    assert kept_en.changed and kept_en.advisory.text_vi == "Bà con chú ý mưa to."
    assert kept_en.advisory.text_en == advisory.text_en
    both = await world.advisories.edit(advisory.id, STAFF, "Mưa to.", "Heavy rain.")
    assert (both.advisory.text_vi, both.advisory.text_en) == ("Mưa to.", "Heavy rain.")
    await world.advisories.approve(advisory.id, STAFF)
    (b,) = await rows(world, "SELECT text_vi, text_en FROM broadcasts")
    assert (b["text_vi"], b["text_en"]) == ("Mưa to.", "Heavy rain.")


@pytest.mark.parametrize(("text_vi", "text_en", "says"), [
    ("  ", None, "Vietnamese text is empty"), ("x", " ", "English text is empty"),
    ("x" * 5000, None, "at most"),
])
async def test_a_bad_edit_is_refused_and_changes_nothing(
        world: World, text_vi: str, text_en: str | None, says: str) -> None:
    advisory = await one(world, day_values("rain", 1))
    with pytest.raises(AdvisoryError, match=says):
        await world.advisories.edit(advisory.id, STAFF, text_vi, text_en)
    assert await world.advisories.get(advisory.id) == advisory


async def test_unknown_areas_and_advisories_are_refused(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    with pytest.raises(AdvisoryError, match="unknown area 'atlantis'"):
        await world.advisories.set_areas(advisory.id, STAFF, ("atlantis",))
    with pytest.raises(AdvisoryError, match="no area chosen"):
        await world.advisories.set_areas(advisory.id, STAFF, ())
    with pytest.raises(AdvisoryError, match="no advisory 999"):
        await world.advisories.approve(999, STAFF)
    assert await world.advisories.get(999) is None


async def test_staff_copies_are_remembered_per_chat(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    await world.advisories.add_message(advisory.id, STAFF, 11)
    await world.advisories.add_message(advisory.id, OTHER, 12)
    await world.advisories.add_message(advisory.id, STAFF, 13)  # sent again: the newer copy
    assert await world.advisories.messages(advisory.id) == [(OTHER, 12), (STAFF, 13)]


async def test_an_unanswered_draft_is_reminded_once(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    later = advisory.created_at + timedelta(minutes=SETTINGS.remind_after_minutes)
    assert await world.advisories.due_reminders(later - timedelta(minutes=1)) == []
    (due,) = await world.advisories.due_reminders(later)
    assert due.id == advisory.id and due.reminded_at is not None
    assert await world.advisories.due_reminders(later + timedelta(days=1)) == []


async def test_a_decided_draft_is_not_reminded(world: World) -> None:
    advisory = await one(world, day_values("rain", 1))
    await world.advisories.discard(advisory.id, STAFF)
    assert await world.advisories.due_reminders(advisory.created_at + timedelta(days=1)) == []
