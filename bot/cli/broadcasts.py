"""`sansang broadcast create|list|show|cancel`: the contract's CLI over the broadcasts service."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from bot.broadcasts.broadcasts import Broadcast, BroadcastError, Broadcasts
from bot.config import Config
from bot.store import Database
from bot.subscriptions.areas import AreaCatalog


async def dispatch(config: Config, db: Database, args: argparse.Namespace) -> int:
    service = Broadcasts(db, AreaCatalog.load(config.content_dir / "areas.toml"))
    try:
        if args.broadcast_command == "create":
            return await create(config, service, args)
        if args.broadcast_command == "list":
            for b in await service.list():
                counts = await service.counts(b.id)
                target = "all" if b.target_all else ",".join(b.areas)
                kinds = "all" if b.kinds is None else ",".join(b.kinds)
                local = b.send_at.astimezone(config.tz).strftime("%Y-%m-%dT%H:%M")
                preview = " ".join(b.text_vi.split())[:40]
                # kinds last: scripts read the older columns by position
                print(f"{b.id}\t{b.status}\t{local}\t{target}\t"
                      f"{counts.sent}/{counts.recipients}\t{preview}\t{kinds}")
            return 0
        if args.broadcast_command == "show":
            b = await service.get(args.id)
            if b is None:
                print(f"sansang: no broadcast {args.id}", file=sys.stderr)
                return 1
            print(await describe(config, service, b, as_json=args.json))
            return 0
        cancelled = await service.cancel(args.id, actor="cli")
        print(f"{cancelled.id}\tcancelled")
        return 0
    except BroadcastError as exc:
        print(f"sansang: {exc}", file=sys.stderr)
        return 1 if args.broadcast_command == "cancel" else 2


async def create(config: Config, service: Broadcasts, args: argparse.Namespace) -> int:
    send_at = None
    if args.at:
        try:
            local = datetime.strptime(args.at, "%Y-%m-%dT%H:%M")  # noqa: DTZ007 - zone below
        except ValueError:
            print(f"sansang: --at {args.at!r} is not a local time like 2026-12-01T07:30",
                  file=sys.stderr)
            return 2
        send_at = local.replace(tzinfo=config.tz)
    b = await service.create(
        args.text, text_en=args.text_en, targets=None if args.all else args.to,
        send_at=send_at, urgent=args.urgent, created_by="cli", kinds=args.kind,
    )
    when = b.send_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")
    only = "" if b.kinds is None else f" ({', '.join(b.kinds)} only)"
    print(f"scheduled for {when} to {'all' if b.target_all else ', '.join(b.areas)}{only}; "
          f"{await service.recipients_now(b)} recipients now")
    print(b.id)
    return 0


async def describe(config: Config, service: Broadcasts, b: Broadcast, *, as_json: bool) -> str:
    counts = await service.counts(b.id)
    recipients = counts.recipients if b.status != "scheduled" else await service.recipients_now(b)
    data = {
        "id": b.id, "status": b.status, "recipients": recipients, "sent": counts.sent,
        "failed": counts.failed, "blocked": counts.blocked, "pending": counts.pending,
        "send_at": b.send_at.astimezone(config.tz).isoformat(), "urgent": b.urgent,
        "target": "all" if b.target_all else list(b.areas), "text_vi": b.text_vi,
        "text_en": b.text_en, "created_by": b.created_by, "campaign": b.campaign,
        "started_at": b.started_at, "finished_at": b.finished_at,
        "cancelled": counts.cancelled, "reason": b.reason,
        "kinds": None if b.kinds is None else list(b.kinds),
        # Issue 16: rows no channel could deliver (Zalo followers silent for 7 days, no phone),
        # and every count per channel: {"telegram": {...}, "zalo": {...}}.
        "unreachable": counts.unreachable, "by_channel": counts.by_channel,
    }
    if as_json:
        return json.dumps(data, ensure_ascii=False)
    return "\n".join(f"{key}: {value}" for key, value in data.items())


async def campaigns(config: Config, db: Database, args: argparse.Namespace) -> int:
    """`sansang campaign list|pause|resume`: works on the synced table (the bot syncs at start)."""
    from datetime import UTC

    from bot.broadcasts.campaigns import Campaigns
    from bot.notices import Notices

    # Notices: a campaign resumed here is told to staff again if its problem is still there.
    service = Campaigns(db, Broadcasts(db, AreaCatalog.load(config.content_dir / "areas.toml")),
                        config.tz, Notices(db))
    if args.campaign_command == "list":
        now = datetime.now(UTC)
        for c in await service.all():
            upcoming = c.next_after(now, config.tz)
            when = upcoming.strftime("%Y-%m-%dT%H:%M") if upcoming else "-"
            print(f"{c.key}\t{'paused' if c.paused else 'active'}\t{when}\t{c.name_vi}")
        return 0
    if not await service.set_paused(args.key, args.campaign_command == "pause", actor="cli"):
        print(f"sansang: no campaign {args.key!r} (see: sansang campaign list; the bot syncs "
              "broadcasts/ at start)", file=sys.stderr)
        return 1
    print(f"{args.key}\t{'paused' if args.campaign_command == 'pause' else 'active'}")
    return 0
