"""What the benchmarks run in processes of their own: the fake Bot API, `sansang run`, a CPU hog;
and a database of many subscribers built directly with sqlite3.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp

from bot.store import Database

TOKEN = "7000000001:BENCH-token-for-the-fake-api-00000000"  # noqa: S105 - a fake
FIRST_CHAT = 50_000_001


class FakeProcess:
    """`python -m bot.fakeapi` in its own process, driven over HTTP."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc = proc
        self.url = url
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))

    async def get(self, path: str) -> Any:
        async with self.session.get(self.url + path) as resp:
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.post(self.url + path, json=body or {}) as resp:
            return await resp.json()

    async def ask(self, chat_id: int, text: str = "/emergency") -> float | None:
        """A resident writes; the bot's reply time, net of the reply's own latency."""
        answer = await self.post("/fake/ask", {"chat_id": chat_id, "text": text, "timeout": 30})
        return answer["seconds"] if answer["ok"] else None


@contextlib.asynccontextmanager
async def fake_api(*args: str) -> AsyncIterator[FakeProcess]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.fakeapi", "--token", TOKEN, *args,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    fake = FakeProcess(proc, url)
    try:
        yield fake
    finally:
        await fake.session.close()
        proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)


def bot_env(url: str, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANSANG_", "TELEGRAM_"))}
    return env | {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": url, "SANSANG_DB": str(db),
                  "SANSANG_WEATHER": "off", **extra}


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], cwd: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`sansang run` (python -m bot run), stopped with SIGTERM at the end."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@contextlib.contextmanager
def cpu_hog(core: int = 0) -> Iterator[None]:
    """A busy loop on one core, as another program on the same machine."""
    import subprocess

    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # noqa: S603
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(hog.pid, {core})
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process, in KiB, from /proc."""
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


async def subscribers_db(path: Path, count: int, area: str = "an-bien") -> None:
    """A migrated database with `count` subscribed private chats, inserted directly."""
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    try:
        now = "2026-01-01T00:00:00+00:00"
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        step = 100_000
        for start in range(FIRST_CHAT, FIRST_CHAT + count, step):
            stop = min(start + step, FIRST_CHAT + count)
            conn.executemany(
                "INSERT INTO chats (chat_id, kind, lang, area_id, subscribed, created_at, "
                "updated_at) VALUES (?, 'private', ?, ?, 1, ?, ?)",
                ((c, "en" if c % 10 == 0 else "vi", area, now, now) for c in range(start, stop)),
            )
            conn.commit()
    finally:
        conn.close()
