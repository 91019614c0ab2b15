"""Updates at once through the fake Bot API: many chats together, one chat twice, a resident's
/unsubscribe racing a broadcast's 403. Each change of state is counted once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from telegram.ext import Application

from bot.reports import stats
from bot.store import Database
from tests.auxil.chat import REPLY_TIMEOUT, Person, eventually
from tests.fakes import FakeBotAPI

AREA, AREA_BUTTON = "an-bien", "Khu An Biên"


async def figures(db: Database, area: str = AREA) -> tuple[int, int, int]:
    """(subscribe events, unsubscribe events, chats receiving warnings by the log's count)."""
    row = await db.fetchone(
        "SELECT SUM(kind = 'subscribe'), SUM(kind = 'unsubscribe'), SUM(active) FROM events "
        "WHERE area_id = ?", (area,),
    )
    assert row is not None
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


async def report(bot: Application) -> stats.Report:  # type: ignore[type-arg]
    """Today's outreach report, as staff read it (from the daily roll-up)."""
    svc = bot.bot_data["services"]
    today = datetime.now(svc.config.tz).date()
    return await stats.report(svc.db, svc.areas, stats.Period(today, today))


async def receiving(db: Database, area: str = AREA) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM chats WHERE area_id = ? AND subscribed = 1 AND blocked = 0",
        (area,),
    )
    assert row is not None
    return int(row[0])


async def replies(api: FakeBotAPI, chats: list[int], each: int, mark: int) -> None:
    """Wait (bounded) until the bot has answered every chat `each` times since `mark`."""
    async def answered() -> bool:
        sent = [int(c.params.get("chat_id", 0)) for c in api.calls[mark:]
                if c.method == "sendMessage" and c.status == 200]
        return all(sent.count(chat) >= each for chat in chats)

    await eventually(answered, timeout=3 * REPLY_TIMEOUT)


def people(api: FakeBotAPI, first: int, n: int) -> list[Person]:
    out = []
    for i in range(n):
        api.add_chat(first + i, "private", first_name=f"Cư dân {i}")
        out.append(Person(api, first + i, first_name=f"Cư dân {i}"))
    return out


def say_now(p: Person, text: str) -> None:
    """The message reaches Telegram; the bot gets it with the others in its next poll."""
    p.api.send_message(p.user_id, text, first_name=p.first_name, language_code="vi")


async def test_fifty_residents_subscribing_at_once_twice_each_are_counted_once(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """Fifty residents scan the notice board's QR code at once, and each taps it twice."""
    db = bot.bot_data["services"].db
    residents = people(api, 781300000, 50)
    mark = api.mark()
    for p in residents:
        say_now(p, f"/start {AREA}")
        say_now(p, f"/start {AREA}")
    await replies(api, [p.chat for p in residents], 2, mark)
    assert await receiving(db) == 50
    assert await figures(db) == (50, 0, 50)
    assert (await report(bot)).total.subscribers_active == 50

    async def no_lock_left() -> bool:
        return bool(bot.update_processor.chats_in_hand == 0)  # memory stays bounded

    await eventually(no_lock_left)


async def test_one_chat_pressing_twice_or_unsubscribing_twice_counts_once(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    db = bot.bot_data["services"].db
    await resident.say("/start")
    await resident.press("Tiếng Việt")
    data = next(d for label, d in resident.buttons().items() if AREA_BUTTON in label)
    message_id = resident.keyboard_message_id()
    mark = api.mark()
    ids = [api.press_button(resident.user_id, resident.chat, message_id, data) for _ in "12"]
    await api.wait_for(
        lambda c: c.method == "answerCallbackQuery"
        and str(c.params["callback_query_id"]) == ids[1],
        since=mark, timeout=REPLY_TIMEOUT,
    )
    await resident.sync()
    assert await figures(db) == (1, 0, 1)

    mark = api.mark()
    say_now(resident, "/unsubscribe")
    say_now(resident, "/unsubscribe")
    await replies(api, [resident.chat], 2, mark)
    assert await figures(db) == (1, 1, 0)
    texts = [c.params["text"] for c in api.calls[mark:] if c.method == "sendMessage"]
    assert "Chưa đăng ký nhận cảnh báo" in texts[-1]  # the second one, handled after


async def test_one_chats_updates_are_handled_in_order(
    bot: Application, api: FakeBotAPI, resident: Person  # type: ignore[type-arg]
) -> None:
    """A resident who changes their mind quickly ends where they last asked to be."""
    db = bot.bot_data["services"].db
    await resident.say(f"/start {AREA}")
    mark = api.mark()
    for _ in range(5):
        say_now(resident, "/unsubscribe")
        say_now(resident, "/subscribe")
    await replies(api, [resident.chat], 10, mark)
    assert await figures(db) == (6, 5, 1)
    kinds = await db.fetchall("SELECT kind FROM events WHERE kind LIKE '%subscribe' ORDER BY id")
    assert [r[0] for r in kinds] == ["subscribe"] + ["unsubscribe", "subscribe"] * 5


async def test_unsubscribe_racing_a_broadcasts_403_takes_each_chat_away_once(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """Residents send /unsubscribe and block the bot while a broadcast is being sent: the 403
    and the command come in either order, and each chat leaves the count once.

    The test holds the database a moment (as any other write would) so that the broadcast's
    403s are written while the commands are being handled: the order that took a chat away
    twice when /unsubscribe decided on the state it had read before. The short pauses only
    line that order up; with the state read inside the transaction any order counts right."""
    svc = bot.bot_data["services"]
    residents = people(api, 781400000, 20)
    mark = api.mark()
    for p in residents:
        say_now(p, f"/start {AREA}")
    await replies(api, [p.chat for p in residents], 1, mark)
    assert await figures(svc.db) == (20, 0, 20)
    for p in residents:
        api.block(p.chat)
    mark = api.mark()
    b = await svc.broadcasts.create("Cảnh báo", targets=[AREA], created_by="cli")
    await bot.bot_data["scheduler"].reconcile()

    async def refused() -> bool:
        return any(c.method == "sendMessage" and c.status == 403 for c in api.calls[mark:])

    async with svc.db.transaction():
        await eventually(refused)
        await asyncio.sleep(0.3)  # the delivery writes its first 403s: it waits for the db
        for p in residents:
            say_now(p, "/unsubscribe")
        await asyncio.sleep(0.5)  # the commands are read and wait for the db too

    async def done() -> bool:
        got: Any = await svc.broadcasts.get(b.id)
        rows = await svc.db.fetchall("SELECT subscribed FROM chats WHERE area_id = ?", (AREA,))
        return bool(got.status == "done") and not any(r[0] for r in rows)

    await eventually(done, timeout=3 * REPLY_TIMEOUT)
    assert await receiving(svc.db) == 0
    _subscribed, unsubscribed, active = await figures(svc.db)
    assert unsubscribed == 20
    assert active == 0  # twenty in, twenty out: never a chat taken away twice
    assert (await report(bot)).total.subscribers_active == 0


async def test_a_slow_chat_does_not_hold_up_the_others(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    slow, quick = people(api, 781500000, 2)
    await slow.say("/help")
    mark = api.mark()
    api.slow_next("sendMessage", 2.0)  # the next answer (to `slow`) takes two seconds
    say_now(slow, "/emergency")
    await asyncio.sleep(0.5)  # its handler is now waiting for Telegram
    reply = await quick.say("/help")
    assert int(reply["chat_id"]) == quick.chat
    answered = [int(c.params["chat_id"]) for c in api.calls[mark:]
                if c.method == "sendMessage" and c.status == 200]
    assert answered[0] == quick.chat  # `slow` is still waiting for its answer


async def test_updates_without_a_chat_need_no_lock() -> None:
    from bot.channels.telegram.update_processor import PerChatUpdateProcessor

    processor = PerChatUpdateProcessor(handling=2)
    done: list[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0)
        done.append(n)

    async with processor:
        await asyncio.gather(*(processor.process_update(object(), work(n)) for n in range(5)))
    assert sorted(done) == [0, 1, 2, 3, 4] and processor.chats_in_hand == 0
