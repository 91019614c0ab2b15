"""A storm of questions is answered, every one: replies go through the bot's rate limiter (30 a
second, 429s waited out and resent), oldest question first, with Telegram's limits on."""

from __future__ import annotations

import asyncio

from telegram.ext import Application

from tests.fakes import FakeBotAPI

RESIDENTS = 100


async def test_a_hundred_residents_asking_at_once_all_get_an_answer_in_order(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    api.enforce_limits = True  # Telegram's 30 a second for the bot, 1 a second per chat
    chats = list(range(8_100_001, 8_100_001 + RESIDENTS))
    for chat in chats:
        api.add_chat(chat, "private")
    await asyncio.sleep(1.1)  # start-up's own messages leave the second's window
    api.stats.clear()
    mark = api.mark()
    for chat in chats:  # all at once: one getUpdates brings them together
        api.send_message(chat, "/emergency")

    def answered() -> list[int]:
        return [int(c.params["chat_id"]) for c in api.calls[mark:]
                if c.method == "sendMessage" and c.status == 200
                and int(c.params.get("chat_id", 0)) in set(chats)]

    for _ in range(120):  # bounded: 100 answers at 30 a second take ~4 s
        if len(set(answered())) == RESIDENTS:
            break
        await asyncio.sleep(0.25)
    order = answered()
    assert sorted(set(order)) == chats  # every one answered...
    assert len(order) == RESIDENTS  # ...once
    assert api.stats["429"] <= 3  # the limiter keeps under Telegram's limit
    # A reply Telegram refused (429) is resent after its retry_after, a second later by design:
    # the order is that of the others.
    refused = {int(c.params["chat_id"]) for c in api.calls[mark:]
               if c.method == "sendMessage" and c.status == 429}
    asked = [chat for chat in chats if chat not in refused]
    kept = [chat for chat in order if chat not in refused]
    late = [(n, asked.index(chat)) for n, chat in enumerate(kept)
            if abs(asked.index(chat) - n) > 20]
    assert not late, f"the oldest questions are answered first; refused: {sorted(refused)}"


async def test_replies_and_a_broadcast_share_one_budget_and_replies_go_first(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    """A broadcast at 25 a second and 60 questions at once: together they would pass Telegram's
    30 a second; sharing one budget, nothing is refused and the questions wait less."""
    from tests.test_broadcasts import finished, subscribe

    svc = bot.bot_data["services"]
    api.enforce_limits = True
    readers = list(range(8_200_001, 8_200_081))
    for chat in readers:
        await subscribe(svc.db, api, chat, "an-bien")
    askers = list(range(8_300_001, 8_300_061))
    for chat in askers:
        api.add_chat(chat, "private")
    await asyncio.sleep(1.1)
    api.stats.clear()
    mark = api.mark()
    b = await svc.broadcasts.create("Cảnh báo ngập", targets=["an-bien"], created_by="cli")
    await bot.bot_data["scheduler"].reconcile()
    await asyncio.sleep(0.5)  # the broadcast is under way
    for chat in askers:
        api.send_message(chat, "/emergency")
    await finished(svc.broadcasts, b.id)
    for _ in range(80):  # bounded
        got = {int(c.params["chat_id"]) for c in api.calls[mark:]
               if c.method == "sendMessage" and c.status == 200}
        if set(askers) <= got:
            break
        await asyncio.sleep(0.25)
    calls = [c for c in api.calls[mark:] if c.method == "sendMessage" and c.status == 200]
    got = {int(c.params["chat_id"]) for c in calls}
    assert set(askers) <= got and set(readers) <= got
    assert api.stats["429"] == 0  # without one shared budget: 429s, waited out
    # Replies first: the last answer came before the broadcast's last message.
    last_reply = max(n for n, c in enumerate(calls) if int(c.params["chat_id"]) in askers)
    last_read = max(n for n, c in enumerate(calls) if int(c.params["chat_id"]) in readers)
    assert last_reply < last_read
