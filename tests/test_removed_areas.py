"""One bad item never stops the rest: campaigns and broadcasts naming areas no longer in
areas.toml, and a campaigns folder that is empty, with the real bot against the fake Bot API."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram.ext import Application

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.campaigns import STAFF_PREFIX, Campaign, Campaigns
from bot.channels.telegram.app import build_application, running
from bot.paths import data_dir
from bot.store import Database
from bot.store.chats import ensure
from bot.subscriptions.areas import Area, AreaCatalog
from tests.auxil.chat import eventually
from tests.conftest import LEAD_ID, STAFF_ID, make_config
from tests.fakes import FakeBotAPI
from tests.test_broadcasts import AREAS, finished, sends, subscribe

GONE = "to-dan-pho-99"  # an area id the ward's areas.toml no longer has
OTHER_STAFF = 900003  # a staff member whose chat fails: the others are still told
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def campaign_file(folder: Path, key: str, target: str) -> None:
    """A campaign that sends every week, all year, today's weekday: it always has an
    occurrence in the coming week, so the planner always meets it."""
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
               "sunday")[datetime.now(UTC).weekday()]
    (folder / f"{key}.toml").write_text(
        f'key = "{key}"\nname_vi = "Chiến dịch {key}"\nname_en = "Campaign {key}"\n'
        'season = { from = "01-01", to = "12-31" }\n'
        f'weekday = "{weekday}"\ntime = "23:59"\ntarget = {target}\n'
        f'text_vi = "Tin {key}"\ntext_en = "News {key}"\n',
        encoding="utf-8",
    )


@asynccontextmanager
async def bot_with(api: FakeBotAPI, tmp_path: Path, campaigns: Path
                   ) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    config = make_config(api, tmp_path / "db.sqlite3", SANSANG_CAMPAIGNS=str(campaigns))
    async with running(build_application(config), poll_timeout=1) as app:
        yield app


def told(api: FakeBotAPI, chat: int, text: str) -> int:
    """How many messages to this chat contain `text`."""
    return sum(1 for c in api.calls if c.method == "sendMessage" and c.status == 200
               and int(c.params["chat_id"]) == chat and text in c.params["text"])


async def test_campaigns_naming_a_removed_area_never_stop_the_bot_and_are_told_once(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    folder = tmp_path / "broadcasts"
    folder.mkdir()
    campaign_file(folder, "gone-only", f'["{GONE}"]')  # no area left: paused
    campaign_file(folder, "partly", f'["an-bien", "{GONE}"]')  # goes to An Biên only
    db = await Database.open(tmp_path / "db.sqlite3")
    await subscribe(db, api, 7101, "an-bien")
    await subscribe(db, api, 7102, "lam-son")
    api.add_chat(LEAD_ID, "private")
    api.add_chat(STAFF_ID, "private")
    await ensure(db, STAFF_ID, "private", "en", None)  # this staff member reads English
    # A weekly broadcast staff made in /broadcast when the area still existed.
    then = AreaCatalog((*AREAS.areas, Area("Tổ 99", "Block 99", GONE)), AREAS.groups, True)
    weekly = await Campaigns(db, Broadcasts(db, then), TZ).add_weekly(Campaign(
        key=STAFF_PREFIX + "new", name_vi="Họp tổ", name_en="Block meeting",
        season_from=(1, 1), season_to=(12, 31), weekday=datetime.now(UTC).weekday(),
        at=time(23, 59), targets=(GONE,), urgent=False, text_vi="Họp tổ", text_en=None,
        guide=None), actor=str(STAFF_ID))
    await db.execute("INSERT INTO roles (user_id, role, source, added_at, added_by) "
                     "VALUES (?, 'staff', 'cli', '2026-01-01', 'cli')", (OTHER_STAFF,))
    await db.close()  # OTHER_STAFF's chat is unknown to the Bot API: sending to it fails

    async with bot_with(api, tmp_path, folder) as bot:  # it starts: nothing raised
        svc = bot.bot_data["services"]
        # An urgent broadcast made with the service (as the CLI does) is still sent.
        urgent = await svc.broadcasts.create("Khẩn: nước lên", targets=["lam-son"],
                                             urgent=True, created_by="cli")
        await bot.bot_data["scheduler"].reconcile()
        await finished(svc.broadcasts, urgent.id)
        assert sends(api)[7102] == 1

        for chat, words in (
            (LEAD_ID, ("“Chiến dịch gone-only”", "đã tạm dừng", "sửa mục target")),
            (STAFF_ID, ("“Campaign gone-only”", "is paused", "correct the target")),
        ):
            text = (await api.wait_message(chat, since=0, contains="gone-only")).params["text"]
            assert all(w in text for w in words), text
        await api.wait_message(LEAD_ID, since=0, contains="partly")
        assert told(api, LEAD_ID, "chỉ gửi đến các khu còn lại") == 1
        assert told(api, STAFF_ID, "It now goes only to the areas that remain") == 1
        await api.wait_message(STAFF_ID, since=0, contains=weekly.key)
        assert told(api, STAFF_ID, "make a new weekly broadcast with /broadcast") == 1

        paused = {c.key: c.paused for c in await svc.campaigns.all()}
        assert paused == {"gone-only": True, "partly": False, weekly.key: True}
        planned = await svc.broadcasts.list(("scheduled",))
        assert planned and {(b.campaign, b.areas) for b in planned} == {("partly", ("an-bien",))}

        for _ in range(3):  # every 5 s the bot reconciles: nothing is told twice
            await bot.bot_data["scheduler"].reconcile()
        for chat in (LEAD_ID, STAFF_ID):
            for key in ("gone-only", "partly", weekly.key):
                assert told(api, chat, key) == 1, (chat, key)
        audit = await svc.db.fetchall(
            "SELECT actor, action, target FROM audit WHERE action = 'campaign.pause'")
        assert sorted(tuple(a) for a in audit) == [
            ("system", "campaign.pause", "gone-only"), ("system", "campaign.pause", weekly.key)]
        # Resumed without a fix: paused again, and told again (not silently).
        assert await svc.campaigns.set_paused("gone-only", False, actor=str(STAFF_ID))
        await bot.bot_data["scheduler"].reconcile()
        assert (await svc.campaigns.all())[0].paused

        async def told_again() -> bool:
            return told(api, LEAD_ID, "gone-only") == 2

        await eventually(told_again)


async def test_a_due_broadcast_to_removed_areas_goes_to_those_left_or_is_not_sent(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    await subscribe(db, api, 7201, "an-bien")
    await subscribe(db, api, 7202, GONE)  # still set on a chat: it must not get the message
    api.add_chat(LEAD_ID, "private")
    then = AreaCatalog((*AREAS.areas, Area("Tổ 99", "Block 99", GONE)), AREAS.groups, True)
    made_then = Broadcasts(db, then)
    some = await made_then.create("Một phần", targets=["an-bien", GONE], created_by="cli")
    none = await made_then.create("Không còn khu", targets=[GONE], created_by="cli")
    await db.close()

    async with bot_with(api, tmp_path, data_dir("broadcasts")) as bot:
        svc = bot.bot_data["services"]
        await finished(svc.broadcasts, some.id)
        assert sends(api)[7201] == 1 and sends(api)[7202] == 0
        await api.wait_message(LEAD_ID, since=0, contains=f"#{some.id}")
        cancelled = await svc.broadcasts.get(none.id)
        assert cancelled.status == "cancelled" and GONE in (cancelled.reason or "")
        text = (await api.wait_message(LEAD_ID, since=0, contains=f"#{none.id}")).params["text"]
        assert "không được gửi" in text and GONE in text
        await bot.bot_data["scheduler"].reconcile()
        assert told(api, LEAD_ID, f"#{some.id}") == 1 and told(api, LEAD_ID, f"#{none.id}") == 1
        event = await svc.db.fetchone("SELECT area_id FROM events WHERE kind = 'broadcast'")
        assert event["area_id"] == "an-bien"  # the areas it was really sent to


async def test_an_emptied_campaigns_folder_keeps_its_campaigns_and_one_file_removed_stops_one(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    folder = tmp_path / "broadcasts"
    shutil.copytree(data_dir("broadcasts"), folder)
    shipped = sorted(p.stem for p in folder.glob("*.toml"))
    api.add_chat(LEAD_ID, "private")
    async with bot_with(api, tmp_path, folder) as bot:
        keys = [c.key for c in await bot.bot_data["services"].campaigns.all()]
    assert len(keys) == len(shipped) >= 2

    for path in folder.glob("*.toml"):
        path.unlink()
    for _ in range(2):  # told once, however many restarts
        async with bot_with(api, tmp_path, folder) as bot:
            svc = bot.bot_data["services"]
            assert [c.key for c in await svc.campaigns.all()] == keys
            await api.wait_message(LEAD_ID, since=0, contains="không có tệp nào")
    assert told(api, LEAD_ID, "không có tệp nào") == 1

    shutil.copytree(data_dir("broadcasts"), folder, dirs_exist_ok=True)
    (folder / "heat.toml").unlink()
    async with bot_with(api, tmp_path, folder) as bot:
        svc = bot.bot_data["services"]
        assert [c.key for c in await svc.campaigns.all()] == [k for k in keys if k != "heat"]


async def test_content_check_names_campaigns_and_weekly_broadcasts_with_unknown_areas(
    tmp_path: Path,
) -> None:
    from tests.test_cli import sansang

    folder = tmp_path / "broadcasts"
    shutil.copytree(data_dir("broadcasts"), folder)
    campaign_file(folder, "old-blocks", f'["an-bien", "{GONE}"]')
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    then = AreaCatalog((*AREAS.areas, Area("Tổ 98", "Block 98", "to-dan-pho-98")),
                       AREAS.groups, True)
    weekly = await Campaigns(db, Broadcasts(db, then), TZ).add_weekly(Campaign(
        key=STAFF_PREFIX + "new", name_vi="Họp tổ", name_en="Block meeting",
        season_from=(1, 1), season_to=(12, 31), weekday=0, at=time(7, 30),
        targets=("to-dan-pho-98",), urgent=False, text_vi="Họp tổ", text_en=None,
        guide=None), actor=str(STAFF_ID))
    await db.close()
    before = path.read_bytes()

    env = {"SANSANG_CAMPAIGNS": str(folder), "SANSANG_DB": str(path)}
    result = sansang("content", "check", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "areas not in areas.toml" in line]
    assert len(lines) == 2, result.stdout
    assert "old-blocks.toml" in lines[0] and GONE in lines[0]
    assert weekly.key in lines[1] and "to-dan-pho-98" in lines[1]
    assert path.read_bytes() == before  # read without writing

    clean = sansang("content", "check", env={"SANSANG_DB": str(tmp_path / "none.sqlite3")})
    assert clean.returncode == 0 and "content OK" in clean.stdout
    assert not (tmp_path / "none.sqlite3").exists()


async def test_a_broken_file_never_hides_the_others_nor_deletes_on_a_guess(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    folder = tmp_path / "broadcasts"
    folder.mkdir()
    campaign_file(folder, "good", '"all"')
    (folder / "broken.toml").write_text('key = "broken"\n', encoding="utf-8")
    api.add_chat(LEAD_ID, "private")
    async with bot_with(api, tmp_path, folder) as bot:
        assert [c.key for c in await bot.bot_data["services"].campaigns.all()] == ["good"]
        await api.wait_message(LEAD_ID, since=0, contains="broken.toml")
    (folder / "good.toml").unlink()  # gone while another file is broken: kept, not guessed
    async with bot_with(api, tmp_path, folder) as bot:
        assert [c.key for c in await bot.bot_data["services"].campaigns.all()] == ["good"]
    assert told(api, LEAD_ID, "broken.toml") == 1


async def test_a_staff_notice_telegram_makes_wait_never_holds_the_next_broadcast_back(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """Staff are told on the side: the lead's chat answering 429 (waited out, then resent)
    does not keep the scheduler from starting the next due broadcast meanwhile."""
    db = await Database.open(tmp_path / "db.sqlite3")
    await subscribe(db, api, 7301, "an-bien")
    api.add_chat(LEAD_ID, "private")
    api.add_chat(STAFF_ID, "private")
    then = AreaCatalog((*AREAS.areas, Area("Tổ 99", "Block 99", GONE)), AREAS.groups, True)
    made_then = Broadcasts(db, then)
    lost = await made_then.create("Không còn khu", targets=[GONE], created_by="cli",
                                  urgent=True)  # first in line: its notice is told first
    after = await made_then.create("Tin tiếp theo", targets=["an-bien"], created_by="cli")
    await db.close()
    api.fail_next("sendMessage", status=429, retry_after=3, chat_id=LEAD_ID)

    async with bot_with(api, tmp_path, data_dir("broadcasts")) as bot:
        svc = bot.bot_data["services"]
        await finished(svc.broadcasts, after.id)
        await api.wait_message(LEAD_ID, since=0, contains=f"#{lost.id}")
        sent = [(int(c.params["chat_id"]), c.params["text"]) for c in api.calls
                if c.method == "sendMessage" and c.status == 200]
        resident = sent.index((7301, "Tin tiếp theo"))
        notice = next(i for i, (chat, text) in enumerate(sent)
                      if chat == LEAD_ID and f"#{lost.id}" in text)
        assert resident < notice  # the broadcast went out while the notice waited
