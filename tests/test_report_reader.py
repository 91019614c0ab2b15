"""Reports read on a connection of their own, so a resident never waits for the lead's export.

The year's /export runs through the real bot while a resident asks; the reader connection of
`Database.reader()` can only read, sees one snapshot, and is closed after the report.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from telegram.ext import Application

from bot.channels.telegram.handlers import callbacks
from bot.store import Database
from bot.store.events import log
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI


async def test_a_question_asked_during_the_years_export_is_answered(
    bot: Application, api: FakeBotAPI, lead: Person, resident: Person,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    """Both finish; the workbook is right; its queries never ran on the bot's connection."""
    svc = bot.bot_data["services"]
    await resident.say("/start an-bien")
    await lead.say("/export")
    statements: list[str] = []
    await svc.db.conn.set_trace_callback(statements.append)
    try:
        mark = api.mark()
        pressed = asyncio.create_task(lead.press_data(callbacks.export("ty")))
        reply = await resident.say("ngập lụt")  # asked while the export runs
        await pressed
        sent = await api.wait_for(lambda c: c.method == "sendDocument" and c.status == 200,
                                  since=mark)
    finally:
        await svc.db.conn.set_trace_callback(None)
    assert "ngập" in reply["text"].lower()  # the flood guide
    assert "Kết quả tuyên truyền" in sent.params["caption"]
    path = tmp_path / "year.xlsx"
    path.write_bytes(api.documents(lead.chat)[-1]["data"])
    book = openpyxl.load_workbook(path)
    assert book["Tổng hợp"]["B4"].value == 1  # the one resident receiving warnings
    assert book["Tổng hợp"]["A2"].value.startswith(
        f"Kỳ báo cáo: 01/01/{datetime.now(svc.config.tz).year}")
    report_reads = [s for s in statements
                    if s.lstrip().upper().startswith("SELECT") and "event_days" in s]
    assert report_reads == [], report_reads
    assert any("INSERT INTO events" in s for s in statements)  # the question, logged on it


async def test_the_reader_only_reads_one_snapshot_and_is_closed(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.sqlite3")
    try:
        await log(db, "guide_view", area_id="an-bien")
        async with db.reader() as reader:
            assert reader.conn is not db.conn and reader.tz == db.tz
            with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
                await reader.conn.execute("DELETE FROM events")
            await log(db, "guide_view", area_id="an-bien")  # the bot writes meanwhile
            row = await reader.fetchone("SELECT COUNT(*) FROM events")
            assert row is not None and row[0] == 1  # the report's figures agree with each other
        with pytest.raises(ValueError, match="no active connection|closed"):
            await reader.fetchone("SELECT 1")
        row = await db.fetchone("SELECT COUNT(*) FROM events")
        assert row is not None and row[0] == 2
    finally:
        await db.close()
