"""kill -9 mid-broadcast loses no recipient; duplicates stay within what was in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.broadcasts.broadcasts import Broadcasts
from bot.broadcasts.delivery import duplicates_bound
from bot.store import Database
from bot.store.chats import ensure, update
from tests.auxil.chat import eventually
from tests.conftest import TOKEN
from tests.fakes import FakeBotAPI
from tests.test_broadcasts import AREAS

RECIPIENTS = 300
IN_FLIGHT = duplicates_bound(150)  # the most a crash can duplicate at this rate


def env_for(api: FakeBotAPI, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return env | {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
                  "SANSANG_DB": str(db), "SANSANG_WEATHER": "off",
                  "SANSANG_PAID_BROADCAST": "on", "SANSANG_BROADCAST_RATE": "150"}


async def test_kill_9_mid_broadcast_then_restart_loses_nothing(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    api.latency = 0.05
    db_path = tmp_path / "crash.sqlite3"
    db = await Database.open(db_path)
    chats = list(range(60001, 60001 + RECIPIENTS))
    for chat in chats:
        api.add_chat(chat, "private")
        await ensure(db, chat, "private", "vi", None)
        await update(db, chat, area_id="an-duong", subscribed=1)
    service = Broadcasts(db, AREAS)
    b = await service.create("Cảnh báo ngập", targets=["an-duong"], created_by="cli")
    await db.close()

    def sent() -> Counter[int]:
        return Counter(int(c.params["chat_id"]) for c in api.calls
                       if c.method == "sendMessage" and c.status == 200)

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env_for(api, db_path), cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )

    async def some_sent() -> bool:
        return sum(sent().values()) >= RECIPIENTS // 4

    try:
        await eventually(some_sent, timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    before_restart = sum(sent().values())
    assert before_restart < RECIPIENTS, "the broadcast finished before the kill; slow it down"

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env_for(api, db_path), cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    db = await Database.open(db_path)
    try:
        async def done() -> bool:
            row = await db.fetchone("SELECT status FROM broadcasts WHERE id = ?", (b.id,))
            return row is not None and row[0] == "done"

        await eventually(done, timeout=90)
    finally:
        await db.close()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    got = sent()
    lost = [c for c in chats if got[c] == 0]
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    print(f"kill -9 after {before_restart} of {RECIPIENTS} sent: lost {len(lost)}, "
          f"duplicates {duplicates}")
    assert lost == []
    assert duplicates <= IN_FLIGHT
