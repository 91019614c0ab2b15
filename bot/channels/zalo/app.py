"""The Zalo channel's lifecycle: `start` after the services open, `ZaloChannel.stop` before
they close (bot/channels/telegram/app.py calls both when SANSANG_ZALO=on).

It runs the webhook server and its workers, the token keeper and the Zalo delivery worker,
which sends the outbox's Zalo rows beside (never behind) the Telegram worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.broadcasts.delivery import Delivery
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.handlers import EVENTS, ZaloHandlers
from bot.channels.zalo.sender import ZALO_RATE, ZaloSender
from bot.channels.zalo.tokens import Tokens
from bot.channels.zalo.webhook import Webhook
from bot.config import Config
from bot.floods.models import FloodReport
from bot.services import Services

logger = logging.getLogger(__name__)

TellStaff = Callable[[FloodReport], Awaitable[None]]
ZALO_IN_FLIGHT = 16
TOKEN_CHECK_SECONDS = 30 * 60


class ZaloChannel:
    def __init__(self, services: Services, config: Config, client: ZaloClient, tokens: Tokens,
                 handlers: ZaloHandlers, webhook: Webhook, delivery: Delivery) -> None:
        self.services = services
        self.config = config
        self.client = client
        self.tokens = tokens
        self.handlers = handlers
        self.webhook = webhook
        self.delivery = delivery
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fresh: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        await self.webhook.start()
        self._task = asyncio.create_task(self.delivery.run(self._stop), name="zalo-delivery")
        self._fresh = asyncio.create_task(self._keep_fresh(), name="zalo-tokens")

    async def _keep_fresh(self) -> None:
        """The access token is refreshed before it expires even when nobody writes and nothing
        is sent: the refresh token (3 months) then never dies of a quiet season."""
        while not self._stop.is_set():
            try:
                await self.tokens.access()
            except Exception:  # told to staff by Tokens; tried again at the next round
                logger.warning("Zalo: keeping the token fresh failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), TOKEN_CHECK_SECONDS)

    async def stop(self) -> None:
        """Stop taking events and sending; what is in flight stays pending in the outbox."""
        self._stop.set()
        if self._fresh is not None:
            self._fresh.cancel()
            await asyncio.gather(self._fresh, return_exceptions=True)
        try:
            await self.webhook.stop()
        finally:
            if self._task is not None:
                try:
                    await asyncio.wait_for(self._task, timeout=5)
                except (TimeoutError, asyncio.CancelledError):
                    self._task.cancel()
            await self.client.close()


def build_client(config: Config) -> ZaloClient:
    return ZaloClient(app_id=config.zalo_app_id, app_secret=config.zalo_app_secret,
                      api_url=config.zalo_api_url, oauth_url=config.zalo_oauth_url,
                      business_url=config.zalo_business_url)


async def start(services: Services, config: Config,
                tell_staff_of_report: TellStaff) -> ZaloChannel:
    """Open the Zalo channel: tokens (first start: from ZALO_REFRESH_TOKEN), the webhook on
    SANSANG_ZALO_WEBHOOK and the Zalo delivery worker. `tell_staff_of_report(report)` sends a
    resident's flood report to staff in Telegram. (The Telegram worker closes broadcasts and
    tells staff their progress and summary, Zalo's rows included.)"""
    client = build_client(config)
    try:
        tokens = Tokens(services.db, client, services.notices, config.zalo_refresh_token)
        await tokens.load()
        handlers = ZaloHandlers(services, client, tell_staff_of_report)
        host, port = config.zalo_webhook
        webhook = Webhook(services.db, config.zalo_oa_secret, handlers.handle, host, port,
                          accepts=EVENTS)
        sender = ZaloSender(services.subscriptions, client, billable=config.zalo_billable,
                            template_id=config.zalo_template)
        delivery = Delivery(services.db, services.broadcasts, sender, rate=ZALO_RATE,
                            tz=config.tz, in_flight=ZALO_IN_FLIGHT, channel="zalo")
        channel = ZaloChannel(services, config, client, tokens, handlers, webhook, delivery)
        await channel._run()
    except BaseException:
        await client.close()
        raise
    return channel
