"""The webhook Zalo posts events to: `POST /zalo/webhook` on SANSANG_ZALO_WEBHOOK.

The signature (`X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp + OA
secret)>`, app_id and timestamp read from the JSON) is checked on the raw body: a bad or
missing one gets 401 and nothing is done. A good event is answered 200 at once and handled
after, from a queue; an event already handled (its msg_id, or for follow/unfollow its user and
timestamp) is handled once; one bad event never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.store import Database
from bot.store import zalo as store

logger = logging.getLogger(__name__)

PATH = "/zalo/webhook"
HEADER = "X-ZEvent-Signature"
MAX_BODY = 256 * 1024
QUEUE_SIZE = 10_000
WORKERS = 4
SEEN_DAYS = 7
PRUNE_EVERY = 3600.0  # seconds

Handle = Callable[[dict[str, Any]], Awaitable[None]]


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The header's value Zalo sends with an event."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode())
    return "mac=" + digest.hexdigest()


def verify(header: str | None, body: bytes, event: dict[str, Any], oa_secret: str) -> bool:
    if not header:
        return False
    app_id, timestamp = event.get("app_id"), event.get("timestamp")
    if not isinstance(app_id, str | int) or not isinstance(timestamp, str | int) \
            or isinstance(app_id, bool) or isinstance(timestamp, bool):
        return False
    expected = signature(str(app_id), body, str(timestamp), oa_secret)
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def user_of(event: dict[str, Any]) -> str | None:
    """The resident an event is about, as a string (Zalo's ids exceed 2**53)."""
    for key in ("follower", "sender"):
        part = event.get(key)
        if isinstance(part, dict) and isinstance(part.get("id"), str) and part["id"]:
            return str(part["id"])
    return None


def event_key(event: dict[str, Any]) -> str | None:
    """What makes an event the same event when Zalo posts it again."""
    message = event.get("message")
    if isinstance(message, dict) and isinstance(message.get("msg_id"), str | int) \
            and str(message["msg_id"]):
        return "m:" + str(message["msg_id"])
    user, name, at = user_of(event), event.get("event_name"), event.get("timestamp")
    if user and isinstance(name, str) and isinstance(at, str | int):
        return f"e:{name}:{user}:{at}"
    return None


class Webhook:
    """The aiohttp server and the workers that handle its queue."""

    def __init__(self, db: Database, oa_secret: str, handle: Handle,
                 host: str, port: int, accepts: frozenset[str] | None = None) -> None:
        """`accepts`: the event names handled; others (Zalo's echoes of the OA's own messages,
        delivery and seen receipts, …) are dropped before they cost a database write."""
        self.db = db
        self.accepts = accepts
        self._secret = oa_secret
        self.handle = handle
        self.host, self.port = host, port
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._runner: web.AppRunner | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._tails: dict[str, asyncio.Future[None]] = {}
        self._pruned_at = -math.inf

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(PATH, self.receive)
        # A plain answer to a GET: a reverse proxy's or the operator's check that it is up.
        app.router.add_get(PATH, self.alive)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        for i in range(WORKERS):
            self._workers.append(asyncio.create_task(self._work(), name=f"zalo-events-{i}"))
        logger.info("Zalo webhook listening on %s:%d%s", self.host, self.port, PATH)

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def alive(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "queued": self.queue.qsize()})

    async def receive(self, request: web.Request) -> web.Response:
        header = request.headers.get(HEADER)
        if not header:
            logger.warning("Zalo webhook: a request without a signature refused")
            return web.json_response({"error": "missing signature"}, status=401)
        body = await request.read()
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(event, dict):
            return web.json_response({"error": "not a JSON object"}, status=400)
        if not verify(header, body, event, self._secret):
            logger.warning("Zalo webhook: a request with a bad signature refused")
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.error("Zalo webhook: the event queue is full; Zalo will post it again")
            return web.json_response({"error": "busy"}, status=503)
        return web.json_response({"ok": True})

    async def _work(self) -> None:
        while True:
            event = await self.queue.get()
            # Taken at once, in queue order: one resident's events are handled in the order
            # they came, different residents' at the same time.
            user = user_of(event) or ""
            before = self._tails.get(user)
            mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._tails[user] = mine
            try:
                if before is not None:
                    await asyncio.shield(before)
                await self._one(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad event never stops the worker
                logger.exception("Zalo event %s failed", event.get("event_name"))
            finally:
                mine.set_result(None)
                if self._tails.get(user) is mine:
                    del self._tails[user]
                self.queue.task_done()

    async def _one(self, event: dict[str, Any]) -> None:
        name = event.get("event_name")
        if self.accepts is not None and name not in self.accepts:
            # Every message the OA sends comes back as oa_send_* and user_received_message:
            # expected, so not worth a line each at INFO.
            expected = isinstance(name, str) and name.startswith(("oa_", "user_received",
                                                                  "user_seen"))
            logger.log(logging.DEBUG if expected else logging.INFO,
                       "Zalo event %r ignored", str(name)[:40])
            return
        key = event_key(event)
        if key is not None:
            if time.monotonic() - self._pruned_at > PRUNE_EVERY:  # an hour's old keys at once
                self._pruned_at = time.monotonic()
                await store.prune_seen(self.db, (datetime.now(UTC) - timedelta(days=SEEN_DAYS))
                                       .isoformat(timespec="seconds"))
            if not await store.first_seen(self.db, key):
                logger.info("Zalo event %s already handled", event.get("event_name"))
                return
        await self.handle(event)

    async def idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every queued event is handled (tests)."""
        await asyncio.wait_for(self.queue.join(), timeout)
