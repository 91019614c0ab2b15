"""Zalo events, handled as Telegram's are, through the same services: follow (greeting,
language, area), unfollow, text (a button's payload or a question), location (a flood report),
submit_info (a phone number shared for warnings).

Who acts is always the event's signed sender; a payload is parsed strictly (render.parse).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.channels.texts import emergency_text
from bot.channels.zalo import render, texts
from bot.channels.zalo.client import NOT_FOLLOWER, ZaloClient, ZaloError
from bot.channels.zalo.render import Button, payload
from bot.channels.zalo.webhook import user_of
from bot.floods.models import FloodReport
from bot.guides.library import Guide
from bot.guides.search import fold
from bot.i18n import LANGUAGES, date_time, day, gettext
from bot.services import Services
from bot.store.chats import ChatRow

logger = logging.getLogger(__name__)

MAX_QUESTION = 1000
LOCATION_KEEP = 15 * 60  # seconds a shared location waits for its depth
# Typed words that act like Telegram's commands (compared folded: no case, no diacritics)
WORDS = {
    "mydata": {"du lieu cua toi", "my data", "/mydata", "mydata"},
    "forget": {"xoa du lieu", "xoa du lieu cua toi", "delete my data", "/forget", "forget"},
    "area": {"khu vuc", "doi khu vuc", "area", "/area", "to dan pho"},
    "language": {"ngon ngu", "language", "/language", "doi ngon ngu"},
    "help": {"help", "/help", "tro giup", "menu", "/start", "bat dau", "start"},
    "emergency": {"khan cap", "so khan cap", "emergency", "/emergency"},
}
TellStaff = Callable[[FloodReport], Awaitable[None]]
EVENTS = frozenset({"follow", "unfollow", "user_send_text", "user_send_location",
                    "user_submit_info"})


def normalise_phone(raw: object) -> str | None:
    """A phone number as Zalo's template API wants it: 84 and the national number."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None
    digits = "".join(c for c in str(raw) if c.isdigit())
    if digits.startswith("84"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    national = national.lstrip("0")
    if not 8 <= len(national) <= 10:
        return None
    return "84" + national


def _event_time(event: dict[str, Any]) -> str:
    """The event's time (Zalo: milliseconds since the epoch, as a string), UTC ISO; now if
    missing or in the future (Zalo posts an event again for hours when we did not answer, so
    an older time is kept: it never moves the last interaction back)."""
    now = datetime.now(UTC)
    try:
        at = datetime.fromtimestamp(int(str(event.get("timestamp"))) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        at = now
    if at > now:
        at = now  # the windows never count from the future
    return at.isoformat(timespec="seconds")


class ZaloHandlers:
    def __init__(self, services: Services, client: ZaloClient, tell_staff: TellStaff) -> None:
        self.svc = services
        self.client = client
        self.tell_staff = tell_staff
        self._locations: dict[int, tuple[float, float, float]] = {}

    # ------------------------------------------------------------------ dispatch
    async def handle(self, event: dict[str, Any]) -> None:
        """One verified webhook event; unknown or malformed ones are logged and ignored."""
        name = event.get("event_name")
        user = user_of(event)
        handler = {
            "follow": self.follow,
            "unfollow": self.unfollow,
            "user_send_text": self.text,
            "user_send_location": self.location,
            "user_submit_info": self.submit_info,
        }.get(name if isinstance(name, str) else "")
        if handler is None or user is None:
            logger.info("Zalo event %r ignored", str(name)[:40])
            return
        subs = self.svc.subscriptions
        if name == "unfollow":
            row = await subs.by_address("zalo", user)
            if row is None:
                return
            chat_id = row.chat_id
        else:
            chat_id = await subs.channel_chat("zalo", user, "vi")
        await subs.touch(chat_id, _event_time(event))
        row = await subs.get(chat_id)
        if row is None:
            return
        await handler(row, user, event)

    # ------------------------------------------------------------------ sending
    async def send(self, user: str, text: str, buttons: list[Button] | None = None) -> None:
        for message in render.messages(text, buttons):
            await self.send_message(user, message)

    async def send_message(self, user: str, message: dict[str, Any]) -> bool:
        """One consultation message; a failure is logged (and a non-follower unsubscribed),
        never raised: the event is done either way."""
        try:
            await self.client.send_cs(user, message)
            return True
        except ZaloError as exc:
            if exc.code == NOT_FOLLOWER:
                row = await self.svc.subscriptions.by_address("zalo", user)
                if row is not None:
                    await self.svc.subscriptions.unsubscribe(row.chat_id, "unfollow")
            logger.warning("Zalo reply not sent: %d %s", exc.code, exc.message)
        except httpx.HTTPError as exc:
            logger.warning("Zalo reply not sent: %s", type(exc).__name__)
        return False

    # ------------------------------------------------------------------ follow
    async def follow(self, row: ChatRow, user: str, event: dict[str, Any]) -> None:
        subs = self.svc.subscriptions
        if row.blocked:
            await subs.set_blocked(row.chat_id, False)
        if row.lang_chosen and row.area_id and self.svc.areas.get(row.area_id):
            result = await subs.subscribe(row.chat_id, row.area_id)  # following again
            await self.subscribed(result.chat, user)
            return
        await self.send(user, self.welcome(), self.language_buttons())

    async def unfollow(self, row: ChatRow, user: str, event: dict[str, Any]) -> None:
        await self.svc.subscriptions.unsubscribe(row.chat_id, "unfollow")

    def welcome(self) -> str:
        """Before a language is chosen, both: Vietnamese first."""
        parts = []
        for lang in LANGUAGES:  # Vietnamese first
            _ = gettext(lang)
            parts.append(_(texts.WELCOME))
        return "\n\n".join(parts)

    def language_buttons(self) -> list[Button]:
        return [Button("Tiếng Việt", payload("l", "vi")), Button("English", payload("l", "en"))]

    async def ask_area(self, row: ChatRow, user: str, page: int = 0) -> None:
        _ = gettext(row.lang)
        text = _(texts.CHOOSE_AREA)
        if self.svc.areas.sample:
            text += "\n\n" + _(texts.SAMPLE_AREAS)
        items = [Button(a.name(row.lang), payload("a", a.id)) for a in self.svc.areas.areas]
        buttons = render.paged(items, page,
                               lambda nxt: Button(_(texts.MORE), payload("p", str(nxt))))
        await self.send(user, text, buttons)

    async def subscribed(self, row: ChatRow, user: str) -> None:
        _ = gettext(row.lang)
        text = "\n\n".join([
            _(texts.SUBSCRIBED).format(area=self.svc.areas.name(row.area_id, row.lang)),
            _(texts.ASK), _(texts.HOW_TO)])
        await self.send(user, text)
        await self.ask_phone_once(row, user)

    async def ask_phone_once(self, row: ChatRow, user: str) -> None:
        """After onboarding, once: will the resident share a phone number for warnings?"""
        if row.phone or not await self.svc.subscriptions.mark_phone_asked(row.chat_id):
            return
        _ = gettext(row.lang)
        await self.send(user, _(texts.PHONE_WHY))
        await self.send_message(user, render.request_user_info(
            _(texts.PHONE_FORM_TITLE), _(texts.PHONE_FORM_SUBTITLE)))

    # ------------------------------------------------------------------ text
    async def text(self, row: ChatRow, user: str, event: dict[str, Any]) -> None:
        message = event.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip():
            return
        text = text.strip()
        if text.startswith(render.PREFIX):
            parsed = render.parse(text)
            if parsed is not None:
                await self.button(row, user, *parsed)
                return
            logger.info("a Zalo text looking like a button payload but not ours")
            _ = gettext(row.lang)
            await self.send(user, _(texts.STALE))
            return
        said = " ".join(fold(text).strip(" .!?").split())
        for word, forms in WORDS.items():
            if said in forms:
                await self.word(row, user, word)
                return
        await self.question(row, user, text)

    async def word(self, row: ChatRow, user: str, word: str) -> None:
        if word == "mydata":
            await self.mydata(row, user)
        elif word == "forget":
            await self.ask_forget(row, user)
        elif word == "area":
            await self.ask_area(row, user)
        elif word == "language":
            _ = gettext(row.lang)
            await self.send(user, _(texts.CHOOSE_LANGUAGE), self.language_buttons())
        elif word == "emergency":
            await self.send(user, render.html_to_text(emergency_text(self.svc, row.lang)))
        elif not row.lang_chosen:
            await self.send(user, self.welcome(), self.language_buttons())
        else:
            _ = gettext(row.lang)
            await self.send(user, _(texts.ASK) + "\n\n" + _(texts.HOW_TO), [
                Button(_(texts.EMERGENCY_BUTTON), payload("h")),
                Button(_(texts.MY_DATA_BUTTON), payload("m")),
                Button(_(texts.FORGET_BUTTON), payload("x"))])

    async def button(self, row: ChatRow, user: str, action: str, args: tuple[str, ...]) -> None:
        subs = self.svc.subscriptions
        _ = gettext(row.lang)
        if action == "l":
            row = await subs.set_language(row.chat_id, args[0])
            if row.area_id is None or not row.subscribed:
                await self.ask_area(row, user)
            else:
                _ = gettext(row.lang)
                await self.send(user, _(texts.SWITCHED))
        elif action == "p":
            await self.ask_area(row, user, int(args[0]))
        elif action == "a":
            if self.svc.areas.get(args[0]) is None:
                await self.send(user, _(texts.STALE))
                return
            result = await subs.subscribe(row.chat_id, args[0])
            await self.subscribed(result.chat, user)
        elif action == "d":
            await self.report(row, user, args[0])
        elif action == "f":
            await self.confirm_forget(row, user, args[0] == "y")
        elif action == "g":
            guide = await self.svc.answers.view(args[0], row.lang, area_id=row.area_id,
                                                chat_kind="private", channel="zalo")
            if guide is None:
                await self.send(user, _(texts.STALE))
                return
            await self.send_guide(row, user, guide, self.svc.answers.related(guide, row.lang))
        elif action == "m":
            await self.mydata(row, user)
        elif action == "x":
            await self.ask_forget(row, user)
        elif action == "h":
            await self.word(row, user, "emergency")
        else:  # "ph" and anything the whitelist grows without a handler
            await self.send(user, _(texts.STALE))

    # ------------------------------------------------------------------ questions
    async def question(self, row: ChatRow, user: str, text: str) -> None:
        _ = gettext(row.lang)
        result = await self.svc.answers.ask(text[:MAX_QUESTION], row.lang, area_id=row.area_id,
                                            chat_kind="private", channel="zalo")
        prefix = (render.html_to_text(emergency_text(self.svc, row.lang)) + "\n\n"
                  if result.danger else "")
        if result.guide is None:
            await self.send(user, prefix + _(texts.NOT_FOUND),
                            [Button(_(texts.EMERGENCY_BUTTON), payload("h"))])
            return
        await self.send_guide(row, user, result.guide, result.see_also, prefix)

    async def send_guide(self, row: ChatRow, user: str, guide: Guide,
                         see_also: tuple[Guide, ...], prefix: str = "") -> None:
        _ = gettext(row.lang)
        reviewed = _(texts.REVIEWED).format(date=day(guide.reviewed, row.lang))
        text = (f"{prefix}{guide.title}\n\n{render.markdown_to_text(guide.body)}\n\n"
                f"{reviewed}")
        buttons = [Button("📖 " + g.label, payload("g", g.id)) for g in see_also[:3]]
        buttons.append(Button(_(texts.EMERGENCY_BUTTON), payload("h")))
        await self.send(user, text, buttons)

    # ------------------------------------------------------------------ flood reports
    async def location(self, row: ChatRow, user: str, event: dict[str, Any]) -> None:
        _ = gettext(row.lang)
        point = _coordinates(event)
        if point is None:
            await self.send(user, _(texts.REPORT_BAD_POINT))
            return
        self._forget_old_locations()
        self._locations[row.chat_id] = (*point, time.monotonic())
        buttons = [Button(_(label), payload("d", depth))
                   for depth, label in texts.DEPTH_LABELS.items()]
        await self.send(user, _(texts.DEPTH_ASK), buttons)

    def _forget_old_locations(self) -> None:
        now = time.monotonic()
        for chat in [c for c, (*_p, at) in self._locations.items() if now - at > LOCATION_KEEP]:
            del self._locations[chat]

    async def report(self, row: ChatRow, user: str, depth: str) -> None:
        _ = gettext(row.lang)
        self._forget_old_locations()
        point = self._locations.get(row.chat_id)
        if point is None:
            await self.send(user, _(texts.REPORT_FIRST))
            return
        lat, lon, _at = point
        try:
            done = await self.svc.flood_reports.submit(row.chat_id, row.lang, lat, lon, depth)
        except Exception:
            logger.exception("a Zalo flood report could not be saved")
            await self.send(user, _(texts.REPORT_FAILED))
            return
        if done.report is None:
            why = texts.REPORT_RATE if done.refused == "rate" else texts.REPORT_BAD_POINT
            await self.send(user, _(why))
            return
        self._locations.pop(row.chat_id, None)
        try:
            await self.tell_staff(done.report)
        except Exception:  # saved either way: staff see it in /points and the exports
            logger.exception("flood report %d not sent to staff", done.report.id)
        await self.send(user, _(texts.REPORT_THANKS).format(id=done.report.id))

    async def report_resolved(self, row: ChatRow, report: FloodReport) -> None:
        """Staff resolved the resident's report (in Telegram): they hear it here."""
        if not row.address:
            return
        _ = gettext(row.lang)
        when = date_time(report.created_at, row.lang, self.svc.config.tz)
        await self.send(row.address, _(texts.REPORT_RESOLVED).format(id=report.id, when=when))

    # ------------------------------------------------------------------ phone
    async def submit_info(self, row: ChatRow, user: str, event: dict[str, Any]) -> None:
        _ = gettext(row.lang)
        info = event.get("info")
        phone = normalise_phone(info.get("phone") if isinstance(info, dict) else None)
        if phone is None:
            await self.send(user, _(texts.PHONE_BAD))
            return
        await self.svc.subscriptions.set_phone(row.chat_id, phone)
        logger.info("a Zalo follower shared a phone number for warnings")
        await self.send(user, _(texts.PHONE_SAVED))

    # ------------------------------------------------------------------ privacy
    async def mydata(self, row: ChatRow, user: str) -> None:
        _ = gettext(row.lang)
        tz = self.svc.config.tz
        area = self.svc.areas.name(row.area_id, row.lang) if row.area_id else _(texts.NOT_CHOSEN)
        phone = ("…" + row.phone[-3:]) if row.phone else _(texts.NOT_SHARED)
        last = row.last_interaction_at or row.updated_at
        lines = [
            _(texts.MYDATA_HEAD),
            "• " + _(texts.MYDATA_CHANNEL),
            "• " + _(texts.MYDATA_LANG).format(
                lang="Tiếng Việt" if row.lang == "vi" else "English"),
            "• " + _(texts.MYDATA_AREA).format(area=area),
            "• " + _(texts.MYDATA_WARNINGS).format(
                state=_(texts.ON) if row.subscribed and not row.blocked else _(texts.OFF)),
            "• " + _(texts.MYDATA_PHONE).format(phone=phone),
            "• " + _(texts.MYDATA_FIRST).format(
                when=date_time(datetime.fromisoformat(row.created_at), row.lang, tz)),
            "• " + _(texts.MYDATA_LAST).format(
                when=date_time(datetime.fromisoformat(last), row.lang, tz)),
            "",
            _(texts.MYDATA_WHY),
            _(texts.MYDATA_FORGET),
        ]
        await self.send(user, "\n".join(lines))

    async def ask_forget(self, row: ChatRow, user: str) -> None:
        _ = gettext(row.lang)
        await self.send(user, _(texts.FORGET_ASK), [
            Button(_(texts.YES_DELETE), payload("f", "y")),
            Button(_(texts.NO_KEEP), payload("f", "n"))])

    async def confirm_forget(self, row: ChatRow, user: str, confirmed: bool) -> None:
        _ = gettext(row.lang)
        if not confirmed:
            await self.send(user, _(texts.KEPT))
            return
        self._locations.pop(row.chat_id, None)
        await self.svc.subscriptions.forget(row.chat_id)  # the phone number goes with the row
        await self.send(user, _(texts.DELETED))


def _coordinates(event: dict[str, Any]) -> tuple[float, float] | None:
    """message.attachments[0].payload.coordinates.latitude/longitude (strings), as floats."""
    try:
        coords = event["message"]["attachments"][0]["payload"]["coordinates"]
        lat, lon = float(coords["latitude"]), float(coords["longitude"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
