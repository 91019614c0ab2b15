"""The texts of an advisory draft, in Vietnamese and English, from content/weather.toml's
templates: what, when, how strong (in the Vietnamese terms), what to do, the 112 line and an
honest source line."""

from __future__ import annotations

from datetime import date

from bot.i18n import day_in_words, number
from bot.subscriptions.areas import WardPlace
from bot.weather.models import Event
from bot.weather.thresholds import WeatherSettings

MAX_STEPS = 3
STRENGTH = {
    "vi": {
        "rain": "{name}, khoảng {value} mm trong 24 giờ",
        "heat": "{name}, nhiệt độ cao nhất khoảng {value} °C",
        "cold": "{name}, nhiệt độ trung bình ngày khoảng {value} °C",
        "wind_both": "gió mạnh cấp {beaufort}, giật cấp {gust} (gió giật khoảng {value} km/h)",
        "wind": "gió mạnh cấp {beaufort} (khoảng {value} km/h)",
        "gust": "gió giật cấp {gust} (khoảng {value} km/h)",
        "peak_rain": "{strength}, mưa nhiều nhất vào {day}",
        "peak_wind": "{strength}, mạnh nhất vào {day}",
        "peak_heat": "{strength}, nóng nhất vào {day}",
        "peak_cold": "{strength}, rét nhất vào {day}",
    },
    "en": {
        "rain": "{name}, about {value} mm in 24 hours",
        "heat": "{name}, highs of about {value} °C",
        "cold": "{name}, a daily mean of about {value} °C",
        "wind_both": "{name}, Beaufort level {beaufort} gusting to level {gust} (gusts of "
                     "about {value} km/h)",
        "wind": "{name}, Beaufort level {beaufort} (about {value} km/h)",
        "gust": "{name}, gusts at Beaufort level {gust} (about {value} km/h)",
        "peak_rain": "{strength}, the most on {day}",
        "peak_wind": "{strength}, strongest on {day}",
        "peak_heat": "{strength}, hottest on {day}",
        "peak_cold": "{strength}, coldest on {day}",
    },
}
"""How strong, in each language: the forecast's numbers in the categories' own terms (e.g.
"mưa rất to, khoảng 120 mm trong 24 giờ", "gió mạnh cấp 7, giật cấp 9")."""


def when(event: Event, settings: WeatherSettings, lang: str) -> str:
    """The days in words, e.g. "từ Thứ 3, 1 tháng 12 đến Thứ 5, 3 tháng 12"."""
    if event.first_day == event.last_day:
        return settings.one_day[lang].format(day=day_in_words(event.first_day, lang))
    return settings.days[lang].format(first=day_in_words(event.first_day, lang),
                                      last=day_in_words(event.last_day, lang))


def strength(event: Event, lang: str, peak: date | None = None) -> str:
    """How strong at the peak; `peak` (a run of several days) names the peak day."""
    words = STRENGTH[lang]
    name = event.name_en if lang == "en" else event.name_vi
    value = number(round(event.value, 1), lang)
    if event.hazard == "wind":
        b, g = event.beaufort, event.gust_beaufort
        key = ("wind_both" if b is not None and g is not None and g > b
               else "wind" if b is not None else "gust")
        text = words[key].format(name=name, beaufort=b, gust=g, value=value)
    else:
        text = words[event.hazard].format(name=name, value=value)
    if peak is not None:
        text = words["peak_" + event.hazard].format(strength=text, day=day_in_words(peak, lang))
    return text


def texts(event: Event, settings: WeatherSettings, ward: WardPlace) -> tuple[str, str]:
    """(text_vi, text_en) residents get if staff approve the draft."""
    rule = settings.hazards[event.hazard]
    steps = [s for s in rule.steps if s.applies(event.level)][:MAX_STEPS]
    peak = event.peak_day if event.first_day != event.last_day else None
    found = []
    for lang, template, footer in (("vi", rule.template_vi, settings.footer_vi),
                                   ("en", rule.template_en, settings.footer_en)):
        name = event.name_en if lang == "en" else event.name_vi
        body = template.format(
            name=name, Name=name[:1].upper() + name[1:], when=when(event, settings, lang),
            strength=strength(event, lang, peak), ward=ward.name(lang),
            steps="\n".join(f"• {s.en if lang == 'en' else s.vi}" for s in steps),
        )
        found.append(body.strip() + "\n\n" + footer)
    return found[0], found[1]
