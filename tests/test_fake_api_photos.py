"""The fake Bot API's photos, venues and reply keyboards answer the real PTB client as Telegram
does: what the /report flow and its staff copies rely on."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot.fakeapi.photos import image_size
from tests.fakes import FakeBotAPI

TOKEN = "7000000001:TEST-token-for-the-fake-api-000000000"
CHAT = 4242


def png(width: int, height: int) -> bytes:
    """A real (tiny, grey) PNG of that size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest_asyncio.fixture
async def tg(api: FakeBotAPI) -> AsyncIterator[Bot]:
    api.add_chat(CHAT, "private", first_name="Lan")
    async with Bot(TOKEN, base_url=f"{api.url}/bot",
                   base_file_url=f"{api.url}/file/bot") as bot:
        yield bot


async def test_a_received_photo_is_sent_on_by_its_file_id_with_a_caption(
    api: FakeBotAPI, tg: Bot,
) -> None:
    api.send_photo(CHAT, file_size=300_000)
    [update] = await tg.get_updates(timeout=0)
    sizes = update.message.photo
    assert [p.width for p in sizes] == [90, 320, 1280] and sizes[-1].file_size == 300_000
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="r:r:1")]])
    sent = await tg.send_photo(CHAT, sizes[-1].file_id, caption="<b>Báo cáo</b> số 1",
                               parse_mode="HTML", reply_markup=markup)
    assert [p.file_id for p in sent.photo] == [p.file_id for p in sizes]
    assert sent.caption == "Báo cáo số 1" and sent.caption_entities[0].type == "bold"
    stored = api.last_message(CHAT)
    assert stored is not None and stored["photo"][-1]["file_id"] == sizes[-1].file_id
    edited = await tg.edit_message_caption(CHAT, sent.message_id, caption="Đã xử lý")
    assert isinstance(edited, object) and api.last_message(CHAT)["visible_text"] == "Đã xử lý"
    with pytest.raises(BadRequest, match="no text in the message to edit"):
        await tg.edit_message_text("x", CHAT, sent.message_id)


async def test_an_uploaded_photo_gets_its_sizes_and_telegrams_limits(
    api: FakeBotAPI, tg: Bot,
) -> None:
    sent = await tg.send_photo(CHAT, png(1000, 500))
    assert [(p.width, p.height) for p in sent.photo] == [(90, 45), (320, 160), (800, 400),
                                                         (1000, 500)]
    assert image_size(png(7, 3)) == (7, 3)
    with pytest.raises(BadRequest, match="(?i)PHOTO_INVALID_DIMENSIONS"):
        await tg.send_photo(CHAT, png(2100, 100))  # a ratio over 20
    with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
        await tg.send_photo(CHAT, b"not an image at all")
    with pytest.raises(BadRequest, match="(?i)PHOTO_SAVE_FILE_INVALID"):
        await tg.send_photo(CHAT, png(10, 10) + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await tg.send_photo(CHAT, "AgACAgIAAxkBAAInot-a-known-id")
    document = await tg.send_document(CHAT, b"%PDF-1.4", filename="a.pdf")
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await tg.send_photo(CHAT, document.document.file_id)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await tg.send_photo(CHAT, sent.photo[-1].file_id, caption="x" * 1025)


async def test_a_photo_over_20_mb_cannot_be_downloaded_by_a_bot(api: FakeBotAPI, tg: Bot) -> None:
    api.send_photo(CHAT, file_size=25 * 1024 * 1024)
    [update] = await tg.get_updates(timeout=0)
    with pytest.raises(BadRequest, match="File is too big"):
        await tg.get_file(update.message.photo[-1].file_id)
    assert (await tg.get_file(update.message.photo[0].file_id)).file_size is not None


async def test_the_reply_keyboard_is_recorded_until_removed_and_its_location_button_works(
    api: FakeBotAPI, tg: Bot,
) -> None:
    with pytest.raises(AssertionError, match="no request_location button"):
        api.share_location(CHAT, 20.85, 106.68)
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("📍 Gửi vị trí", request_location=True)],
                                    ["✖ Hủy"]], resize_keyboard=True, one_time_keyboard=True)
    await tg.send_message(CHAT, "Nước ngập ở đâu?", reply_markup=keyboard)
    shown = api.reply_keyboard(CHAT)
    assert shown is not None and shown["one_time_keyboard"] is True
    assert shown["keyboard"] == [[{"text": "📍 Gửi vị trí", "request_location": True}],
                                 [{"text": "✖ Hủy"}]]
    assert "reply_markup" not in api.calls[-1].result  # Telegram never echoes reply keyboards
    api.share_location(CHAT, 20.8575, 106.686)
    api.send_venue(CHAT, 20.86, 106.69, title="Chợ An Biên")
    api.send_location(CHAT, 20.87, 106.7, live_period=900)
    updates: tuple[Update, ...] = await tg.get_updates(timeout=0)
    shared, venue, live = (u.message for u in updates)
    assert (shared.location.latitude, shared.location.longitude) == (20.8575, 106.686)
    assert venue.venue.title == "Chợ An Biên" and venue.location.latitude == 20.86
    assert live.location.live_period == timedelta(seconds=900)
    await tg.send_message(CHAT, "Cảm ơn", reply_markup=ReplyKeyboardRemove())
    assert api.reply_keyboard(CHAT) is None
    with pytest.raises(AssertionError):
        api.share_location(CHAT, 20.85, 106.68)
