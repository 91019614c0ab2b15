"""The report of a period carries the figures of the period of the same length just before."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telegram.ext import Application

from bot.reports.stats import Period
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI


def test_the_previous_period_has_the_same_length() -> None:
    def prev(p: Period) -> tuple[str, str]:
        q = p.previous()
        return q.start.isoformat(), q.end.isoformat()

    assert prev(Period.parse(month="2026-12")) == ("2026-11-01", "2026-11-30")
    assert prev(Period.parse(month="2026-03")) == ("2026-02-01", "2026-02-28")
    assert prev(Period.parse(month="2026-01")) == ("2025-12-01", "2025-12-31")
    assert prev(Period.parse(quarter="2026-Q1")) == ("2025-10-01", "2025-12-31")
    assert prev(Period.parse(quarter="2026-Q3")) == ("2026-04-01", "2026-06-30")
    assert prev(Period.parse(year="2026")) == ("2025-01-01", "2025-12-31")
    assert prev(Period.parse(from_="2026-10-11", to="2026-10-20")) == ("2026-10-01", "2026-10-10")
    assert prev(Period(date(2026, 3, 1), date(2026, 3, 1))) == ("2026-02-28", "2026-02-28")


async def test_the_report_carries_the_previous_period_counted_the_same_way(
    bot: Application, api: FakeBotAPI  # type: ignore[type-arg]
) -> None:
    from bot.reports import stats

    svc = bot.bot_data["services"]
    people = [Person(api, 781234580 + i, first_name=f"Người {i}") for i in range(3)]
    for p in people:
        api.add_chat(p.user_id, "private", first_name=p.first_name)
        await p.say("/start an-bien")
    await people[0].say("ngập lụt")
    today = datetime.now(svc.config.tz).date()
    now = await stats.report(svc.db, svc.areas, Period(today, today))
    assert now.previous is not None and now.previous.previous is None
    assert now.previous.period == Period(today - timedelta(days=1), today - timedelta(days=1))
    assert now.total.subscribers_new == 3 and now.previous.total.subscribers_new == 0
    tomorrow = today + timedelta(days=1)
    later = await stats.report(svc.db, svc.areas, Period(tomorrow, tomorrow))
    assert later.previous is not None
    assert later.previous.total == now.total  # yesterday's figures for tomorrow: today's
    assert later.previous.views_by_hazard == now.views_by_hazard
    alone = await stats.report(svc.db, svc.areas, Period(today, today), compare=False)
    assert alone.previous is None and alone.total == now.total
