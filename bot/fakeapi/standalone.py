"""The fake Bot API in a process of its own, for benchmarks: its event loop is not the bot's, so
what it counts is what arrives, as Telegram counts it.

    python -m bot.fakeapi --port 0 --latency 0.25 --rate-allowance 1.1 [--lean] [--auto-chats]

prints its URL on the first line of stdout and serves until SIGTERM/SIGINT, then prints its
traffic as one JSON line. Control routes (not Telegram's): GET /fake/traffic (the same JSON),
POST /fake/reset, POST /fake/chats {"first", "count", "type"}, POST /fake/ask
{"chat_id", "text", "timeout"}: a resident writes to the bot; the answer is how long the bot took
to send its reply (to the reply's arrival, so net of the reply's own latency); POST /fake/storm
{"first", "count", "text", "timeout"}: that many residents at once, each one's wait (null: none).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from bisect import bisect_left
from typing import Any

from aiohttp import web

from bot.fakeapi.server import FakeBotAPI

EPISODE_GAP = 2.0  # 429s less than this apart are one episode (one ban)


def traffic(api: FakeBotAPI) -> dict[str, Any]:
    """sendMessage traffic: sends answered 200, the busiest sliding second, 429s and episodes."""
    sent = sorted(api.sent_at)
    refused = sorted(api.refused_at)
    busiest = 0
    for i, t in enumerate(sent):
        busiest = max(busiest, bisect_left(sent, t + 1.0, lo=i) - i)
    per_second: list[int] = []
    if sent:
        per_second = [0] * (int(sent[-1] - sent[0]) + 1)
        for t in sent:
            per_second[int(t - sent[0])] += 1
    episodes = sum(1 for i, t in enumerate(refused) if i == 0 or t - refused[i - 1] > EPISODE_GAP)
    return {
        "sent": len(sent), "first": sent[0] if sent else None, "last": sent[-1] if sent else None,
        "busiest_second": busiest, "per_second": per_second, "refused_429": len(refused),
        "episodes_429": episodes, "now": time.monotonic(),
    }


def control_routes(api: FakeBotAPI) -> list[web.RouteDef]:
    async def get_traffic(_request: web.Request) -> web.Response:
        return web.json_response(traffic(api))

    async def reset(_request: web.Request) -> web.Response:
        api.sent_at.clear()
        api.refused_at.clear()
        api.stats.clear()
        return web.json_response({"ok": True})

    async def chats(request: web.Request) -> web.Response:
        body = await request.json()
        first, count = int(body["first"]), int(body["count"])
        for chat_id in range(first, first + count):
            api.add_chat(chat_id, str(body.get("type", "private")))
        return web.json_response({"ok": True, "count": count})

    async def ask(request: web.Request) -> web.Response:
        body = await request.json()
        chat_id = int(body["chat_id"])
        api.watched.add(chat_id)
        if api.chat(chat_id) is None:
            api.add_chat(chat_id, "private")
        mark = api.mark()
        asked = time.monotonic()
        api.send_message(chat_id, str(body.get("text", "/emergency")))
        try:
            reply = await api.wait_message(chat_id, since=mark,
                                           timeout=float(body.get("timeout", 30)))
        except TimeoutError:
            return web.json_response({"ok": False, "seconds": None})
        return web.json_response({"ok": True, "seconds": reply.at - asked})

    async def storm(request: web.Request) -> web.Response:
        body = await request.json()
        first, count = int(body["first"]), int(body["count"])
        residents = list(range(first, first + count))
        for chat_id in residents:
            api.watched.add(chat_id)
            if api.chat(chat_id) is None:
                api.add_chat(chat_id, "private")
        mark = api.mark()
        refused = api.stats["429"]
        asked = time.monotonic()
        for chat_id in residents:  # all at once: the bot's next getUpdates brings them together
            api.send_message(chat_id, str(body.get("text", "/emergency")))

        async def answer(chat_id: int) -> float | None:
            try:
                reply = await api.wait_message(chat_id, since=mark,
                                               timeout=float(body.get("timeout", 90)))
            except TimeoutError:
                return None
            return reply.at - asked

        waits = await asyncio.gather(*(answer(c) for c in residents))
        return web.json_response({"waits": waits, "refused_429": api.stats["429"] - refused})

    return [web.get("/fake/traffic", get_traffic), web.post("/fake/reset", reset),
            web.post("/fake/chats", chats), web.post("/fake/ask", ask),
            web.post("/fake/storm", storm)]


async def serve(args: argparse.Namespace) -> None:
    api = FakeBotAPI(token=args.token, latency=args.latency,
                     enforce_limits=args.rate_allowance is not None or args.limits,
                     allowance=args.rate_allowance, lean=args.lean, auto_chats=args.auto_chats)
    await api.start(args.port, routes=control_routes(api))
    print(api.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    await api.stop()
    summary = traffic(api)
    summary.pop("per_second")
    print(json.dumps(summary), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.fakeapi", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--limits", action="store_true",
                        help="enforce Telegram's limits as token buckets")
    parser.add_argument("--rate-allowance", type=float, default=None,
                        help="enforce them as a sliding second: at most rate × this")
    parser.add_argument("--lean", action="store_true",
                        help="keep no sent message (long benchmarks)")
    parser.add_argument("--auto-chats", action="store_true",
                        help="any positive chat id is a private chat")
    parser.add_argument("--token", default=None, help="the one token accepted (default: any)")
    asyncio.run(serve(parser.parse_args(argv)))
    sys.exit(0)
