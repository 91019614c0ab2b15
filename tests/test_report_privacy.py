"""Residents' own words leave the ward's hands blanked.

Through the real bot and the fake Bot API: a question with a phone number and an e-mail address
is stored and exported without them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
from telegram.ext import Application

from bot.store import Database
from bot.store.events import log
from tests.auxil.chat import Person
from tests.fakes import FakeBotAPI
from tests.test_export import export

QUESTION = "xe buýt qwerty mấy giờ, gọi 0912 345 678 hoặc lan.nguyen@gmail.com"
BLANKED = "xe buýt qwerty mấy giờ, gọi [số] hoặc [email]"
SHEET = "Câu hỏi chưa có hướng dẫn"


def unanswered_sheet(path: Path) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path)[SHEET].iter_rows(min_row=3, values_only=True))


async def test_a_residents_phone_and_email_are_neither_stored_nor_exported(
    bot: Application, api: FakeBotAPI, resident: Person, db_path: Path,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    svc = bot.bot_data["services"]
    await resident.say("/start an-bien")
    reply = await resident.say(QUESTION)
    assert "Chưa tìm được hướng dẫn" in reply["text"]  # an unanswered question

    rows = await svc.db.fetchall(
        "SELECT detail FROM events WHERE kind = 'question' AND guide_id IS NULL")
    assert [r["detail"] for r in rows] == [BLANKED]
    with sqlite3.connect(db_path) as raw:  # nowhere in the file's tables either
        dump = "\n".join(raw.iterdump())
    for part in ("0912", "345 678", "345678", "lan.nguyen", "gmail"):
        assert part not in dump, part

    month = datetime.now(svc.config.tz).strftime("%Y-%m")
    book = tmp_path / "report.xlsx"
    result = export(db_path, book, "--month", month, fmt="xlsx")
    assert result.returncode == 0, result.stderr
    assert unanswered_sheet(book) == [(BLANKED, 1)]


async def test_questions_stored_before_redaction_are_exported_blanked(
    bot: Application, db_path: Path, tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    """A database from an older version holds questions as typed: the export blanks them, and
    two that differ only in the number count as one question."""
    svc = bot.bot_data["services"]
    for number in ("0912.345.678", "+84 987 654 321"):
        await log(svc.db, "question", area_id="an-bien", lang="vi", chat_kind="private",
                  detail=f"Nhà số 12 ngập 50 cm ngày 12/10, gọi {number}")
    await log(svc.db, "question", area_id="an-bien", lang="vi", chat_kind="private",
              detail="Mail cho tôi: hoa.tran@yahoo.com.vn")
    year = str(datetime.now(svc.config.tz).year)
    book = tmp_path / "report.xlsx"
    result = export(db_path, book, "--year", year, fmt="xlsx")
    assert result.returncode == 0, result.stderr
    assert unanswered_sheet(book) == [
        ("nhà số 12 ngập 50 cm ngày 12/10, gọi [số]", 2), ("mail cho tôi: [email]", 1)]
    table = tmp_path / "report.csv"  # figures per area only: no resident's words at all
    assert export(db_path, table, "--year", year).returncode == 0
    text = table.read_text("utf-8-sig")
    assert "gọi" not in text and "yahoo" not in text


async def test_an_upgraded_database_keeps_no_phone_number_of_older_questions(
    tmp_path: Path,
) -> None:
    """Questions a resident typed before redaction existed are blanked in the file itself the
    first time a version with redaction opens it (once: the key in settings says it is done)."""
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path)
    await db.close()
    with sqlite3.connect(path) as raw:  # as an older version left it
        raw.execute("DELETE FROM settings WHERE key = 'questions_redacted'")
        raw.execute("INSERT INTO events (at, kind, lang, detail) VALUES "
                    "('2026-10-01T03:00:00+00:00', 'question', 'vi', ?)", (QUESTION,))
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT detail FROM events WHERE kind = 'question'")
        assert [r["detail"] for r in rows] == [BLANKED]
    finally:
        await db.close()
