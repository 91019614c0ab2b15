"""Issue 16's "Must show", end to end: the real bot (Telegram against the fake Bot API, and its
Zalo channel with SANSANG_ZALO=on) and the fake Zalo server over real HTTP on 127.0.0.1. The
Zalo residents follow, tap, type and share locations through signed webhook events, as Zalo
posts them; what the bot sends is what the fake Zalo accepted."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.channels.telegram.app import build_application, running
from bot.channels.telegram.handlers import callbacks
from bot.store.chats import ensure, update
from tests.auxil.chat import Person, eventually
from tests.auxil.zalo import (  # noqa: F401 - fixtures
    TEMPLATE,
    WAIT,
    Follower,
    zalo_bot_fixture,
    zalo_chat,
    zalo_env,
    zalo_fixture,
)
from tests.conftest import STAFF_ID, make_config
from tests.fakes import FakeBotAPI, FakeZalo
from tests.test_cli import sansang

ZALO_CHAT_BASE = 2**62
QUESTION = "nước vào nhà rồi phải làm gì"
WARNING = "Bão số 3: mực nước > 1m & đang lên, bà con ở nhà"  # HTML-special on purpose
AN_BIEN = (20.8575, 106.6860)  # the sample centre of Khu An Biên

App = Application  # type: ignore[type-arg]


def svc(app: App) -> Any:
    return app.bot_data["services"]


async def zalo_chats(app: App) -> int:
    row = await svc(app).db.fetchone("SELECT COUNT(*) FROM chats WHERE channel = 'zalo'")
    return int(row[0])


async def settled(zalo: FakeZalo, follower: Follower) -> None:
    """Round trip one more text of this follower: their earlier events (handled in order) are
    done, and so is every reply to them."""
    await follower.say("số khẩn cấp", contains="115 – ")  # in no guide, only in this list


async def show(app: App, broadcast_id: int) -> dict[str, Any]:
    """`sansang broadcast show ID --json` on the running bot's database, as an operator runs it."""
    result = await asyncio.to_thread(
        sansang, "broadcast", "show", str(broadcast_id), "--json",
        env={"SANSANG_DB": str(svc(app).config.db_path)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


async def done(app: App, broadcast_id: int) -> None:
    async def finished() -> bool:
        return (await svc(app).broadcasts.get(broadcast_id)).status == "done"

    await eventually(finished, timeout=30)  # the scheduler looks every few seconds


# ---------------------------------------------------------------------- onboarding and questions
async def test_a_follower_picks_an_area_and_gets_a_guide_for_a_question(
        zalo_bot: App, zalo: FakeZalo) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    assert float(follower.user_id) != int(follower.user_id)  # a float would change this id
    greeting = await follower.follow()
    assert {"Tiếng Việt", "English"} <= set(greeting.buttons)
    confirmed = await follower.onboard("Khu An Biên")
    assert "Khu An Biên" in confirmed.text

    row = await zalo_chat(zalo_bot, follower.user_id)
    assert row is not None
    assert (row["address"], row["area_id"], row["subscribed"], row["lang"]) == (
        follower.user_id, "an-bien", 1, "vi")
    assert row["chat_id"] >= ZALO_CHAT_BASE
    # Once onboarded, the bot asks (once) for a phone number with Zalo's own form.
    await zalo.wait_for(lambda s: s.user_id == follower.user_id and s.asks_for_info,
                        timeout=WAIT)

    mark = zalo.mark()
    answer = await follower.say(QUESTION)
    asked = await svc(zalo_bot).db.fetchone(
        "SELECT * FROM events WHERE kind = 'question' ORDER BY id DESC LIMIT 1")
    assert asked is not None and asked["area_id"] == "an-bien"
    guide = svc(zalo_bot).library.get(asked["guide_id"], "vi")
    assert answer.text.startswith(guide.title)
    for sent in zalo.sent[mark:]:  # plain text Zalo shows well: no Markdown, no HTML
        assert "**" not in sent.text and "<b>" not in sent.text and len(sent.text) <= 2000
        assert sent.user_id == follower.user_id  # the id, exactly, as a string
    assert not zalo.refused()


async def test_zalo_ids_longer_than_2_53_survive_exactly(zalo_bot: App, zalo: FakeZalo) -> None:
    ids = ["9007199254740993", "9223372036854775807"]  # 2**53 + 1, and the largest int64
    for user_id in ids:
        assert str(int(float(user_id))) != user_id  # what a float (a JSON number) would do
        await Follower(zalo, user_id).follow()
    rows = await svc(zalo_bot).db.fetchall(
        "SELECT address, typeof(address) AS kind FROM chats WHERE channel = 'zalo'")
    assert sorted((r["address"], r["kind"]) for r in rows) == [(i, "text") for i in ids]
    assert {s.user_id for s in zalo.sent} == set(ids) and not zalo.refused()


async def test_events_record_the_zalo_channel(zalo_bot: App, zalo: FakeZalo) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    await follower.onboard("Khu An Biên")
    await follower.say(QUESTION)
    await settled(zalo, follower)
    asked = await follower.share_location(*AN_BIEN)
    await follower.press(list(asked.buttons)[0])
    await zalo.unfollow(follower.user_id)
    witness = Follower(zalo, zalo.new_user_id())
    await witness.follow()  # after the unfollow was handled

    async def unsubscribed() -> bool:
        rows = await svc(zalo_bot).db.fetchall("SELECT kind FROM events")
        return "unsubscribe" in {r["kind"] for r in rows}

    await eventually(unsubscribed)
    rows = await svc(zalo_bot).db.fetchall("SELECT kind, channel FROM events ORDER BY id")
    kinds = {r["kind"] for r in rows}
    assert {"subscribe", "question", "guide_view", "flood_report", "unsubscribe"} <= kinds
    assert [(r["kind"], r["channel"]) for r in rows if r["channel"] != "zalo"] == []


async def test_a_long_guide_is_split_and_buttons_stay_within_five(
        zalo_bot: App, zalo: FakeZalo) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    await follower.onboard("Khu An Biên")
    await settled(zalo, follower)
    assert not zalo.refused()  # no message over 2,000 characters, no sixth button
    for sent in zalo.messages_to(follower.user_id):
        assert len(sent.text) <= 2000 and len(sent.buttons) <= 5


# ---------------------------------------------------------------------- the webhook
async def test_a_forged_webhook_changes_nothing(zalo_bot: App, zalo: FakeZalo) -> None:
    stranger = zalo.new_user_id()
    for forged in (zalo.follow(stranger, forged=True),
                   zalo.user_text(stranger, QUESTION, forged=True),
                   zalo.user_location(stranger, *AN_BIEN, forged=True),
                   zalo.user_submit_phone(stranger, "84912345678", forged=True)):
        assert (await forged).status == 401
    event = zalo.posted[0].event
    assert (await zalo.post(event, signature="")).status == 401  # no signature at all
    genuine = await zalo.follow(stranger)
    tampered = genuine.body.replace(b"follow", b"unfollow", 1)
    assert (await zalo.post_raw(tampered, genuine.signature)).status == 401
    # The genuine follow is answered; nothing forged before it made a chat or a reply.
    await zalo.wait_message(stranger, timeout=WAIT)
    row = await zalo_chat(zalo_bot, stranger)
    assert row is not None and row["area_id"] is None and row["phone"] is None
    assert await zalo_chats(zalo_bot) == 1
    reports = await svc(zalo_bot).db.fetchone("SELECT COUNT(*) FROM flood_reports")
    assert reports[0] == 0
    questions = await svc(zalo_bot).db.fetchone(
        "SELECT COUNT(*) FROM events WHERE kind = 'question'")
    assert questions[0] == 0


async def test_a_forged_webhook_alone_makes_no_chat(zalo_bot: App, zalo: FakeZalo) -> None:
    stranger, witness = zalo.new_user_id(), Follower(zalo, zalo.new_user_id())
    assert (await zalo.follow(stranger, forged=True)).status == 401
    assert (await zalo.user_text(stranger, QUESTION, forged=True)).status == 401
    await witness.follow()  # handled after anything queued before it
    await settled(zalo, witness)
    assert await zalo_chat(zalo_bot, stranger) is None
    assert zalo.messages_to(stranger) == [] and zalo.refused(stranger) == []
    assert await zalo_chats(zalo_bot) == 1


async def test_a_repeated_msg_id_is_handled_once(zalo_bot: App, zalo: FakeZalo) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    await follower.onboard("Khu An Biên")
    await settled(zalo, follower)
    mark = zalo.mark()
    first = await zalo.user_text(follower.user_id, QUESTION)
    answer = await zalo.wait_message(follower.user_id, since=mark, timeout=WAIT)
    assert (await zalo.repost(first)).status == 200  # Zalo posting the same event again
    again = await zalo.user_text(follower.user_id, QUESTION, msg_id=first.msg_id)  # new time
    assert again.status == 200
    await settled(zalo, follower)
    answers = [s for s in zalo.messages_to(follower.user_id) if s.text == answer.text]
    assert len(answers) == 1
    questions = await svc(zalo_bot).db.fetchone(
        "SELECT COUNT(*) FROM events WHERE kind = 'question'")
    assert questions[0] == 1


# ---------------------------------------------------------------------- broadcasts
async def test_a_broadcast_reaches_telegram_and_zalo_subscribers_once_each(
        zalo_bot: App, zalo: FakeZalo, api: FakeBotAPI, staff: Person) -> None:
    for chat in (71001, 71002):
        api.add_chat(chat, "private")
        await ensure(svc(zalo_bot).db, chat, "private", "vi", None)
        await update(svc(zalo_bot).db, chat, area_id="an-bien", subscribed=1)
    here = [Follower(zalo, zalo.new_user_id()) for _ in range(2)]
    elsewhere = Follower(zalo, zalo.new_user_id())
    for follower in here:
        await follower.onboard("Khu An Biên")
    await elsewhere.onboard("Khu Cát Dài")
    for follower in (*here, elsewhere):
        await settled(zalo, follower)

    b = await svc(zalo_bot).broadcasts.create(WARNING, targets=["an-bien"], created_by="cli",
                                              notify_chat=STAFF_ID)
    for follower in here:
        await zalo.wait_message(follower.user_id, contains=WARNING, timeout=30)
    await done(zalo_bot, b.id)
    for chat in (71001, 71002):
        shown = [m for m in api.messages(chat) if WARNING in m["visible_text"]]
        assert len(shown) == 1
    for follower in here:
        assert follower.texts().count(WARNING) == 1  # plain text: "> 1m & …", not "&gt;"
    assert WARNING not in elsewhere.texts()
    counts = await show(zalo_bot, b.id)
    assert (counts["recipients"], counts["sent"], counts["unreachable"]) == (4, 4, 0)
    assert counts["by_channel"]["telegram"]["recipients"] == 2
    assert counts["by_channel"]["telegram"]["sent"] == 2
    assert counts["by_channel"]["zalo"]["recipients"] == 2
    assert counts["by_channel"]["zalo"]["sent"] == 2
    assert counts["by_channel"]["zalo"]["unreachable"] == 0


async def test_a_long_broadcast_is_split_at_paragraphs_and_a_lost_follower_unsubscribed(
        zalo_bot: App, zalo: FakeZalo) -> None:
    reader, gone = Follower(zalo, zalo.new_user_id()), Follower(zalo, zalo.new_user_id())
    for follower in (reader, gone):
        await follower.onboard("Khu An Biên")
        await settled(zalo, follower)
    zalo.lose_follower(gone.user_id)
    paragraphs = [f"Đoạn {i}: " + "bà con chuẩn bị đèn pin, nước uống, thuốc. " * 14
                  for i in range(1, 6)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert 2000 < len(text) <= 3500
    mark = zalo.mark()
    b = await svc(zalo_bot).broadcasts.create(text, targets=["an-bien"], created_by="cli")
    await done(zalo_bot, b.id)
    parts = [s.text for s in zalo.sent[mark:] if s.error == 0 and s.user_id == reader.user_id]
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert all(p.startswith("Đoạn ") for p in parts)  # cut between paragraphs
    assert "\n\n".join(parts) == text
    counts = await show(zalo_bot, b.id)
    assert counts["by_channel"]["zalo"]["sent"] == 1
    assert counts["by_channel"]["zalo"]["blocked"] == 1  # Zalo said -213: not a follower
    row = await zalo_chat(zalo_bot, gone.user_id)
    assert row["subscribed"] == 0


async def test_zalo_rate_limit_is_waited_out(zalo_bot: App, zalo: FakeZalo) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    await follower.onboard("Khu An Biên")
    await settled(zalo, follower)
    zalo.fail_next(-32, 1)
    answer = await follower.say(QUESTION)
    assert answer.text and [s.error for s in zalo.refused(follower.user_id)] == [-32]


async def test_a_silent_follower_with_a_phone_gets_the_template_one_without_is_unreachable(
        zalo_bot: App, zalo: FakeZalo, api: FakeBotAPI, staff: Person,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the level `sansang run` logs at
    with_phone, without = Follower(zalo, zalo.new_user_id()), Follower(zalo, zalo.new_user_id())
    # Time, driven honestly: they followed, chose the area and (one of them) shared a phone
    # number 8 days ago. Zalo's signed events say so; nothing is written into the bot's
    # database behind its back, and the fake refuses consultation messages from Zalo's record.
    with zalo.days_ago(8):
        for follower in (with_phone, without):
            await follower.onboard("Khu An Biên")
        await with_phone.share_phone("0912345678")
        for follower in (with_phone, without):
            await settled(zalo, follower)
    row = await zalo_chat(zalo_bot, with_phone.user_id)
    assert row["phone"] == "84912345678"
    for follower in (with_phone, without):
        seen = datetime.fromisoformat((await zalo_chat(zalo_bot, follower.user_id))
                                      ["last_interaction_at"])
        assert timedelta(days=7) < datetime.now(UTC) - seen < timedelta(days=9)

    mark = zalo.mark()
    b = await svc(zalo_bot).broadcasts.create(WARNING, targets=["an-bien"], created_by="cli",
                                              notify_chat=STAFF_ID)
    template = await zalo.wait_for(lambda s: s.kind == "template", since=mark, timeout=30)
    await done(zalo_bot, b.id)
    assert template.error == 0 and template.phone == "84912345678"
    assert template.body["template_id"] == TEMPLATE
    assert any(WARNING[:40] in value for value in template.body["template_data"].values())
    assert isinstance(template.body["tracking_id"], str) and template.body["tracking_id"]
    # The bot chose from its own record: no consultation message was even tried.
    assert [s for s in zalo.sent[mark:] if s.kind == "cs"] == []
    counts = await show(zalo_bot, b.id)
    assert (counts["recipients"], counts["sent"], counts["unreachable"]) == (2, 1, 1)
    assert counts["by_channel"]["zalo"]["unreachable"] == 1
    assert counts["by_channel"]["zalo"]["sent"] == 1
    summary = await api.wait_message(STAFF_ID, since=0, contains=f"#{b.id} đã gửi xong",
                                     timeout=WAIT)
    text = summary.params["text"]
    assert "Đã gửi: 1" in text and "Không gửi được: 1" in text and "7 ngày" in text
    assert summary is not None
    assert "912345678" not in caplog.text  # a phone number never reaches a log


# ---------------------------------------------------------------------- tokens
async def test_an_expired_token_is_refreshed_once_and_the_message_resent(
        zalo_bot: App, zalo: FakeZalo) -> None:
    followers = [Follower(zalo, zalo.new_user_id()) for _ in range(2)]
    for follower in followers:
        await follower.onboard("Khu An Biên")
        await settled(zalo, follower)
    refreshed = len(zalo.refreshes())
    zalo.expire_access_token()
    mark = zalo.mark()
    answers = await asyncio.gather(*(f.say(QUESTION) for f in followers))
    assert len(zalo.refreshes()) == refreshed + 1  # one refresh, however many were refused
    after = zalo.sent[mark:]
    refused = [s for s in after if s.error]
    assert refused and all(s.error == -216 for s in refused)
    for stale in refused:  # each message refused for the token was sent again, once
        assert [s.body for s in after if not s.error].count(stale.body) == 1
    for follower, answer in zip(followers, answers, strict=True):
        assert [s.text for s in zalo.messages_to(follower.user_id)].count(answer.text) == 1
    stored = await svc(zalo_bot).db.fetchone(
        "SELECT access_token, refresh_token FROM zalo_tokens WHERE id = 1")
    issued = zalo.refreshes()[-1].issued
    assert issued is not None
    assert (stored["access_token"], stored["refresh_token"]) == (
        issued["access_token"], issued["refresh_token"])
    assert stored["refresh_token"] == zalo.refresh_token  # the one that still works


async def test_the_rotated_refresh_token_survives_a_restart(
        api: FakeBotAPI, zalo: FakeZalo, db_path: Path) -> None:
    first = zalo.refresh_token  # ZALO_REFRESH_TOKEN, left in .env after the first start
    follower = Follower(zalo, zalo.new_user_id())
    async with running(build_application(make_config(api, db_path, **zalo_env(zalo))),
                       poll_timeout=1):
        await follower.onboard("Khu An Biên")
        await settled(zalo, follower)
    zalo.expire_access_token()
    async with running(build_application(make_config(api, db_path, **zalo_env(zalo))),
                       poll_timeout=1) as again:
        answer = await follower.say(QUESTION)
        assert answer.text
        stored = await svc(again).db.fetchone("SELECT refresh_token FROM zalo_tokens")
    issued = [c.issued for c in zalo.refreshes()]
    assert [c.form["refresh_token"] for c in zalo.token_calls] == [
        first, issued[0]["refresh_token"]]  # the stored one; the spent one never again
    assert [c.error for c in zalo.token_calls] == [0, 0]
    assert stored["refresh_token"] == issued[1]["refresh_token"] == zalo.refresh_token


async def test_a_failed_refresh_tells_staff_once_and_a_new_token_mends_it(
        api: FakeBotAPI, zalo: FakeZalo, db_path: Path, staff: Person) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    told = "Bot không gửi được tin qua Zalo nữa"
    async with running(build_application(make_config(api, db_path, **zalo_env(zalo))),
                       poll_timeout=1) as bot:
        await follower.onboard("Khu An Biên")
        await settled(zalo, follower)
        zalo.revoke_refresh_token()  # the OA's admin removed the app, say
        zalo.expire_access_token()
        mark = api.mark()
        for text in ("bão", "nắng nóng", "rét đậm"):
            assert (await zalo.user_text(follower.user_id, text)).status == 200
        await api.wait_message(STAFF_ID, since=mark, contains=told, timeout=WAIT)
        await bot.bot_data["zalo"].webhook.idle(timeout=WAIT)
        await staff.sync()
        assert len([m for m in api.messages(STAFF_ID) if told in m["text"]]) == 1
    # The operator re-authorises the OA (README) and restarts with the new refresh token.
    renewed = zalo.authorise_again()
    env = {**zalo_env(zalo), "ZALO_REFRESH_TOKEN": renewed}
    async with running(build_application(make_config(api, db_path, **env)), poll_timeout=1):
        answer = await follower.say(QUESTION)
        assert answer.text
    assert zalo.refreshes()[-1].form["refresh_token"] == renewed


# ---------------------------------------------------------------------- flood reports
async def test_a_flood_report_by_location_reaches_staff_in_telegram(
        zalo_bot: App, zalo: FakeZalo, api: FakeBotAPI, staff: Person) -> None:
    follower = Follower(zalo, zalo.new_user_id())
    await follower.onboard("Khu An Biên")
    await settled(zalo, follower)
    asked = await follower.share_location(*AN_BIEN)
    assert len(asked.buttons) == 4  # the four depths
    mark = api.mark()
    depth = list(asked.buttons)[2]  # knee to waist
    thanks = await follower.press(depth)
    [report] = list(await svc(zalo_bot).flood_reports.in_period(
        "2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"))
    assert str(report.id) in thanks.text
    row = await zalo_chat(zalo_bot, follower.user_id)
    assert (report.area_id, report.depth, report.reporter_chat) == (
        "an-bien", "waist", row["chat_id"])
    copy = await api.wait_message(STAFF_ID, since=mark, contains=f"Báo cáo ngập số {report.id}",
                                  timeout=WAIT)
    shown = copy.result["text"]
    assert "Khu vực: Khu An Biên" in shown and "Mức nước: Đầu gối – thắt lưng" in shown
    # Staff resolve it in Telegram; the resident hears it on Zalo, where they reported it.
    mark = zalo.mark()
    answer = await staff.press_data(callbacks.report_resolve(report.id),
                                    message_id=copy.result["message_id"])
    assert answer.params["text"] == f"Đã đánh dấu báo cáo số {report.id}: đã xử lý."
    told = await zalo.wait_message(follower.user_id, since=mark,
                                   contains=f"Phường đã xử lý điểm ngập trong báo cáo số "
                                            f"{report.id}", timeout=WAIT)
    assert "/report" not in told.text  # Zalo has no commands
