"""The fake Bot API in a process of its own (benchmarks): its URL on stdout, Telegram's limit as
a sliding second with an allowance, counted at arrival, and its traffic over HTTP."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from tests.conftest import TOKEN


async def test_the_standalone_fake_refuses_past_the_allowance_and_counts_it() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.fakeapi", "--token", TOKEN, "--rate-allowance", "1.1",
        "--auto-chats", "--lean", stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async def send(chat_id: int) -> int:
                async with http.post(f"{url}/bot{TOKEN}/sendMessage",
                                     json={"chat_id": chat_id, "text": "Cảnh báo"}) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(send(7_000 + n) for n in range(40)))
            async with http.get(f"{url}/fake/traffic") as resp:
                traffic = await resp.json()
        assert sorted(statuses).count(200) == 33  # 30 a second, 10 % allowed over
        assert statuses.count(429) == 7
        assert traffic["sent"] == 33 and traffic["busiest_second"] == 33
        assert traffic["refused_429"] == 7 and traffic["episodes_429"] == 1
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.stdout is not None
    summary = (await proc.stdout.read()).decode()
    assert '"sent": 33' in summary  # printed again at exit
