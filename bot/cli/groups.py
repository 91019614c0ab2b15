"""`sansang groups`: one subscribed group a line, `<area_id>\t<kind>\t<members>\t<since>`.

kind: the group's kind as stored, or `unset`; members: from the Bot API's getChatMemberCount,
cached a day in the database (a count that cannot be read prints the cached one, or `?`);
since: the local date the bot first knew the group. Never a group's title.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx

from bot.config import Config
from bot.store import Database
from bot.store import groups as store

logger = logging.getLogger(__name__)

CACHE_FOR = timedelta(days=1)
TIMEOUT = 10.0


class CountError(Exception):
    """A member count Telegram did not give; the message is safe to log (no token)."""


async def run(config: Config, db: Database,
              transport: httpx.AsyncBaseTransport | None = None) -> int:
    rows = await store.subscribed(db)
    now = datetime.now(UTC)
    if not config.token and any(not _fresh(r, now) for r in rows):
        logger.warning("TELEGRAM_BOT_TOKEN is not set: member counts are the cached ones "
                       "(or ?)")
    async with httpx.AsyncClient(timeout=TIMEOUT, transport=transport) as client:
        for r in rows:
            members = r.members
            if config.token and not _fresh(r, now):
                try:
                    members = await member_count(client, config, r.chat_id)
                except CountError as exc:
                    logger.warning("member count of a group in %s not read (%s); %s",
                                   r.area_id or "no area", exc,
                                   "the cached one is shown" if members is not None
                                   else "shown as ?")
                else:
                    await store.set_members(db, r.chat_id, members,
                                            now.isoformat(timespec="seconds"))
            since = _local_date(r.created_at, config)
            print(f"{r.area_id or '-'}\t{r.group_kind or 'unset'}\t"
                  f"{'?' if members is None else members}\t{since}")
    return 0


def _fresh(r: store.GroupRow, now: datetime) -> bool:
    if r.members is None or not r.members_at:
        return False
    try:
        at = datetime.fromisoformat(r.members_at)
    except ValueError:
        return False
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return now - at < CACHE_FOR


def _local_date(stored: str, config: Config) -> str:
    try:
        at = datetime.fromisoformat(stored)
    except ValueError:
        return stored[:10]
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(config.tz).date().isoformat()


async def member_count(client: httpx.AsyncClient, config: Config, chat_id: int) -> int:
    """getChatMemberCount over the Bot API the bot uses (TELEGRAM_API_URL)."""
    url = f"{config.base_url}{config.token}/getChatMemberCount"
    try:
        response = await client.post(url, json={"chat_id": chat_id})
    except httpx.HTTPError as exc:  # its text may hold the URL, and so the token
        raise CountError(f"no answer from the Bot API: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        raise CountError(f"HTTP {response.status_code}, not JSON") from None
    if not isinstance(body, dict) or not body.get("ok") or not isinstance(
            body.get("result"), int):
        description = body.get("description") if isinstance(body, dict) else None
        raise CountError(f"HTTP {response.status_code}: {description or 'no count'}")
    return int(body["result"])
