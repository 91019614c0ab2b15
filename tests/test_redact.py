"""What a resident's own words keep, and lose, before they are stored or exported."""

from __future__ import annotations

import pytest

from bot.redact import redact_contacts

CASES = [
    # phone numbers, the ways Vietnamese write them
    ("gọi 0912 345 678 giúp", "gọi [số] giúp"),
    ("gọi 0912.345.678 giúp", "gọi [số] giúp"),
    ("gọi 0912-345-678 giúp", "gọi [số] giúp"),
    ("gọi 0912345678", "gọi [số]"),
    ("sđt +84 912 345 678 nhé", "sđt [số] nhé"),
    ("sđt +84912345678", "sđt [số]"),
    ("sđt 84912345678", "sđt [số]"),
    ("số bàn 0225 3842 123", "số bàn [số]"),
    ("số bàn (0225) 3842 123", "số bàn [số]"),
    ("liên hệ (0912345678)", "liên hệ ([số])"),
    ("091 234 5678 là ai", "[số] là ai"),
    ("0912 - 345 - 678", "[số]"),
    # e-mail addresses, with digits in them too
    ("mail lan.nguyen@gmail.com nhé", "mail [email] nhé"),
    ("gửi vào nguyen0912345678@yahoo.com.vn", "gửi vào [email]"),
    ("Email: Hoa_Tran+lc@phuong-lechan.gov.vn.", "Email: [email]."),
    # long digit runs: ID cards, account numbers
    ("CCCD 031 090 012 345 mất rồi", "CCCD [số] mất rồi"),
    ("tài khoản 1903 5678 9012", "tài khoản [số]"),
    ("mã 123456", "mã [số]"),
    # what stays: house numbers, dates, depths, times, years, short figures
    ("nhà số 12 ngõ 34 ngập", "nhà số 12 ngõ 34 ngập"),
    ("ngày 12/10 có bão không", "ngày 12/10 có bão không"),
    ("ngày 12/10/2026 có bão không", "ngày 12/10/2026 có bão không"),
    ("ngày 12.10.2026 có bão không", "ngày 12.10.2026 có bão không"),
    ("nước sâu 50 cm", "nước sâu 50 cm"),
    ("lúc 7:30 sáng", "lúc 7:30 sáng"),
    ("bão số 3 năm 2024", "bão số 3 năm 2024"),
    ("từ 2020-2025 ngập mấy lần", "từ 2020-2025 ngập mấy lần"),
    ("12345 người", "12345 người"),
    ("xe buýt qwerty mấy giờ", "xe buýt qwerty mấy giờ"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "kept"), CASES)
def test_contacts_and_long_numbers_are_blanked(text: str, kept: str) -> None:
    assert redact_contacts(text) == kept


@pytest.mark.parametrize(("text", "kept"), CASES)
def test_redacting_twice_changes_nothing(text: str, kept: str) -> None:
    assert redact_contacts(kept) == kept
