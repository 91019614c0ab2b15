"""/weather for everyone (private chats and groups): the ward's approved warnings first, then the
coming days of the last good forecast, in the reader's language, short enough for a phone."""

from __future__ import annotations

import html
from datetime import date, datetime

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.handlers.common import chat_row, menu_only, services
from bot.guides.render import split_message
from bot.i18n import N_, gettext, normalise_lang
from bot.services import Services
from bot.weather.models import Advisory, DayForecast

# Open-Meteo's licence asks for this credit wherever its forecasts are shown (a name, kept as is).
CREDIT = 'Weather data by <a href="https://open-meteo.com/">Open-Meteo.com</a>'
OFFICIAL = N_("Official forecasts and warnings: the national hydro-meteorological centre, "
              "nchmf.gov.vn, and the ward's loudspeakers.")
DAYS_SHOWN = 5  # today and the next four: one short line each, enough for a phone screen
# Beaufort levels by the upper bound of their wind speed in km/h (WMO; the same scale as the
# Vietnamese table of Decision 18/2021/QĐ-TTg, Appendix III, up to level 17).
BEAUFORT_KMH = (1, 5, 11, 19, 28, 38, 49, 61, 74, 88, 102, 117, 133, 149, 166, 183, 201)


def esc(text: str) -> str:
    """Text for Telegram's HTML mode: <, > and & escaped; quotes stay as typed."""
    return html.escape(text, quote=False)


def beaufort(kmh: float) -> int:
    """The Beaufort level of a wind speed in km/h (rounded to whole km/h first)."""
    speed = round(kmh)
    for level, upper in enumerate(BEAUFORT_KMH):
        if speed <= upper:
            return level
    return 17


def decimal(value: float, lang: str) -> str:
    """A measurement as people of that language write it, at most one decimal ("12,5")."""
    return format_decimal(round(value, 1), format="#,##0.#", locale=normalise_lang(lang))


def weekday_date(value: date, lang: str) -> str:
    """ "Thứ 3, 1 thg 12" / "Tue, Dec 1"."""
    return format_skeleton("MMMEd", value, locale=normalise_lang(lang))


def day_line(d: DayForecast, lang: str) -> str:
    """One day on one line: rain, temperatures, wind (with its Beaufort level)."""
    _ = gettext(lang)
    parts: list[str] = []
    if d.rain_mm is not None:
        parts.append("🌧 " + _("{mm} mm").format(mm=decimal(d.rain_mm, lang)))
    if d.temp_min is not None and d.temp_max is not None:
        parts.append(f"🌡 {decimal(d.temp_min, lang)}–{decimal(d.temp_max, lang)} °C")
    if d.wind_kmh is not None:
        parts.append("💨 " + _("{kmh} km/h (level {level})").format(
            kmh=decimal(d.wind_kmh, lang), level=beaufort(d.wind_kmh)))
    return f"<b>{esc(weekday_date(d.day, lang))}</b>: " + " · ".join(parts)


def advisory_text(advisory: Advisory, lang: str) -> str:
    """An approved advisory as residents got it, under a heading naming the hazard."""
    _ = gettext(lang)
    name = advisory.name_en if normalise_lang(lang) == "en" else advisory.name_vi
    text = advisory.text_en if normalise_lang(lang) == "en" and advisory.text_en else (
        advisory.text_vi)
    return ("⚠️ <b>" + esc(_("Ward warning: {name}").format(name=name)) + "</b>\n"
            + esc(text))


async def weather_text(svc: Services, lang: str, today: date) -> str:
    """The whole answer of /weather."""
    _ = gettext(lang)
    blocks = [advisory_text(a, lang) for a in await svc.advisories.active(today)]
    forecast = await svc.weather.latest() if svc.weather is not None else None
    days = [d for d in forecast.days if d.day >= today][:DAYS_SHOWN] if forecast else []
    ward = svc.areas.ward
    place = ward.name_en if ward and normalise_lang(lang) == "en" else (
        ward.name_vi if ward else _("the ward"))
    if svc.weather is None:
        blocks.append(_("The bot does not follow the forecast at the moment."))
    elif not days:
        blocks.append(_("There is no forecast yet for {place}. Please try again a little "
                        "later.").format(place=esc(place)))
    else:
        lines = ["<b>" + esc(_("Forecast for {place}").format(place=place)) + "</b>"]
        lines += [day_line(d, lang) for d in days]
        lines.append("<i>" + esc(_("From a computer model: it can differ from the "
                                            "official forecast.")) + "</i>")
        lines.append(CREDIT)
        blocks.append("\n".join(lines))
    blocks.append(esc(_(OFFICIAL)))
    return "\n\n".join(blocks)


async def weather(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/weather: warnings first, then the coming days."""
    svc = services(context)
    row = await chat_row(update, context)
    today = datetime.now(svc.config.tz).date()
    parts = split_message(await weather_text(svc, row.lang, today))
    message = update.effective_message
    if message is None:
        return
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await message.reply_text(part, reply_markup=menu_only(row.lang) if last else None)
