"""The Zalo channel's pure parts: plain-text rendering, splitting at 2,000, five buttons a
message, strict payloads, phone numbers, the webhook signature and the configuration."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.channels.zalo import render
from bot.channels.zalo.handlers import normalise_phone
from bot.channels.zalo.render import MAX_BUTTONS, ZALO_LIMIT, Button, payload
from bot.channels.zalo.webhook import event_key, signature, verify
from bot.config import Config
from bot.errors import ConfigError

TOKEN = "123456789:" + "A" * 35
ZALO = {"TELEGRAM_BOT_TOKEN": TOKEN, "SANSANG_ZALO": "on", "ZALO_APP_ID": "3254824024567022257",
        "ZALO_APP_SECRET": "app-secret-value", "ZALO_OA_SECRET": "oa-secret-value"}


# ------------------------------------------------------------------ rendering
def test_markdown_becomes_plain_text_with_numbered_lines_and_links_kept() -> None:
    md = ("## Before the storm\n\n**Secure** the roof and *doors*.\n\n1. Charge phones\n"
          "2. Store water\n\n- a bullet\n\nSee [NCHMF](https://nchmf.gov.vn) for bulletins.")
    text = render.markdown_to_text(md)
    assert "**" not in text and "*doors*" not in text and "##" not in text
    assert "Before the storm" in text and "Secure the roof and doors." in text
    assert "1. Charge phones\n2. Store water" in text
    assert "• a bullet" in text
    assert "NCHMF (https://nchmf.gov.vn)" in text


def test_broadcast_html_becomes_plain_text() -> None:
    assert render.html_to_text("Bão &amp; lũ &lt;cấp 12&gt;, <b>sơ tán</b>") == \
        "Bão & lũ <cấp 12>, sơ tán"


def test_long_text_is_split_on_paragraphs_under_2000() -> None:
    paragraphs = [f"Đoạn {i}: " + "nước dâng " * 40 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = render.split(text)
    assert len(parts) > 1
    assert all(len(p) <= ZALO_LIMIT for p in parts)
    # each cut falls between paragraphs: the parts are whole paragraphs, nothing lost
    assert "\n\n".join(parts) == text


def test_one_paragraph_longer_than_2000_is_cut_at_spaces_and_nothing_lost() -> None:
    text = "mưa to & gió " * 400  # 5,200 characters, one paragraph, with '&'
    parts = render.split(text)
    assert all(len(p) <= ZALO_LIMIT for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_messages_carry_at_most_five_buttons_and_the_rest_follow() -> None:
    buttons = [Button(f"B{i}", payload("a", f"area{i}")) for i in range(7)]
    out = render.messages("hello", buttons)
    counts = [len(m.get("attachment", {}).get("payload", {}).get("buttons", [])) for m in out]
    assert counts == [5, 2]
    assert all(b["type"] == "oa.query.hide" for m in out
               for b in m.get("attachment", {}).get("payload", {}).get("buttons", []))
    with pytest.raises(AssertionError):
        render.message("x", buttons)


def test_area_pages_have_four_and_a_more_button_and_wrap_around() -> None:
    items = [Button(f"Area {i}", payload("a", f"a{i}")) for i in range(10)]

    def more(page: int) -> Button:
        return Button("Xem thêm", payload("p", str(page)))

    first = render.paged(items, 0, more)
    assert len(first) == MAX_BUTTONS and first[-1].payload == "#ss:p:1"
    last = render.paged(items, 2, more)
    assert [b.title for b in last[:-1]] == ["Area 8", "Area 9"]
    assert last[-1].payload == "#ss:p:0"
    assert render.paged(items[:5], 0, more) == items[:5]  # five fit: no "more"


# ------------------------------------------------------------------ payloads
@pytest.mark.parametrize("text", [
    "#ss:l:vi", "#ss:a:ward-1", "#ss:p:3", "#ss:d:knee", "#ss:f:y", "#ss:g:storm-before",
    "#ss:m", "#ss:x", "#ss:h"])
def test_our_payloads_parse(text: str) -> None:
    assert render.parse(text) is not None


@pytest.mark.parametrize("text", [
    "#ss:", "#ss:l:fr", "#ss:a:AREA!", "#ss:d:neck", "#ss:f:y:extra", "#ss:zz", "#ss:p:-1",
    "#ss:a:" + "a" * 40, "ss:l:vi", "#SS:l:vi", "#ss:m:1", "#ss:g:../etc"])
def test_forged_or_unknown_payloads_do_not(text: str) -> None:
    assert render.parse(text) is None


# ------------------------------------------------------------------ phones
@pytest.mark.parametrize(("raw", "phone"), [
    ("0912345678", "84912345678"), ("84912345678", "84912345678"),
    ("+84 912 345 678", "84912345678"), ("912345678", "84912345678"),
    ("12", None), ("", None), (None, None), ("0" * 20, None)])
def test_phone_numbers_are_normalised_to_84(raw: object, phone: str | None) -> None:
    assert normalise_phone(raw) == phone


# ------------------------------------------------------------------ signature
def _signed(event: dict[str, object],
            secret: str = "oa-secret") -> tuple[bytes, str]:  # noqa: S107
    body = json.dumps(event).encode()
    mac = hashlib.sha256(str(event["app_id"]).encode() + body +
                         str(event["timestamp"]).encode() + secret.encode()).hexdigest()
    return body, "mac=" + mac


EVENT = {"app_id": "3254824024567022257", "event_name": "user_send_text",
         "timestamp": "1764547200000", "sender": {"id": "8123456789012345677"},
         "message": {"msg_id": "abc", "text": "bão"}}


def test_a_good_signature_verifies() -> None:
    body, header = _signed(EVENT)
    assert header == signature(EVENT["app_id"], body, EVENT["timestamp"], "oa-secret")
    assert verify(header, body, json.loads(body), "oa-secret")


def test_bad_missing_or_changed_body_signatures_do_not() -> None:
    body, header = _signed(EVENT)
    assert not verify(None, body, EVENT, "oa-secret")
    assert not verify("", body, EVENT, "oa-secret")
    assert not verify(header, body, EVENT, "another-secret")
    assert not verify("mac=" + "0" * 64, body, EVENT, "oa-secret")
    changed = body.replace(b"b\\u00e3o", b"lu")
    assert changed != body and not verify(header, changed, json.loads(changed), "oa-secret")
    # the same JSON with other spacing is another body: the raw bytes are what is signed
    spaced = json.dumps(EVENT, indent=1).encode()
    assert not verify(header, spaced, json.loads(spaced), "oa-secret")


def test_event_keys_use_msg_id_else_user_and_time() -> None:
    assert event_key(EVENT) == "m:abc"
    follow = {"event_name": "follow", "follower": {"id": "81"}, "timestamp": "5"}
    assert event_key(follow) == "e:follow:81:5"
    assert event_key({"event_name": "follow"}) is None


# ------------------------------------------------------------------ configuration
def test_zalo_is_off_and_unchecked_by_default() -> None:
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "ZALO_APP_ID": "not digits"})
    assert config.zalo is False
    assert config.zalo_webhook == ("127.0.0.1", 8089)


def test_zalo_variables_are_read_and_secrets_stay_out_of_repr() -> None:
    config = Config.from_env({**ZALO, "ZALO_REFRESH_TOKEN": "refresh-secret-value",
                              "SANSANG_ZALO_WEBHOOK": "127.0.0.2:9000",
                              "ZALO_API_URL": "http://127.0.0.1:1/api/",
                              "SANSANG_ZALO_BILLABLE": "on", "SANSANG_ZALO_TEMPLATE": "356789"})
    assert config.zalo and config.zalo_webhook == ("127.0.0.2", 9000)
    assert config.zalo_api_url == "http://127.0.0.1:1/api"
    assert config.zalo_oauth_url == "https://oauth.zaloapp.com"
    assert config.zalo_business_url == "https://business.openapi.zalo.me"
    assert config.zalo_billable and config.zalo_template == "356789"
    shown = repr(config)
    for secret in ("app-secret-value", "oa-secret-value", "refresh-secret-value"):
        assert secret not in shown


@pytest.mark.parametrize(("change", "variable", "example"), [
    ({"ZALO_APP_ID": ""}, "ZALO_APP_ID", "ZALO_APP_ID=1234567890123456789"),
    ({"ZALO_APP_ID": "abc"}, "ZALO_APP_ID", "ZALO_APP_ID=1234567890123456789"),
    ({"ZALO_APP_SECRET": ""}, "ZALO_APP_SECRET", "ZALO_APP_SECRET="),
    ({"ZALO_OA_SECRET": " "}, "ZALO_OA_SECRET", "ZALO_OA_SECRET="),
    ({"SANSANG_ZALO_WEBHOOK": "8089"}, "SANSANG_ZALO_WEBHOOK", "=127.0.0.1:8089"),
    ({"SANSANG_ZALO_WEBHOOK": "host:99999"}, "SANSANG_ZALO_WEBHOOK", "=127.0.0.1:8089"),
    ({"ZALO_API_URL": "openapi.zalo.me"}, "ZALO_API_URL", "https://openapi.zalo.me"),
    ({"SANSANG_ZALO_BILLABLE": "maybe"}, "SANSANG_ZALO_BILLABLE", "=on"),
    ({"SANSANG_ZALO_TEMPLATE": "a b"}, "SANSANG_ZALO_TEMPLATE", "=356789"),
    ({"SANSANG_ZALO": "yes please"}, "SANSANG_ZALO", "SANSANG_ZALO=on"),
])
def test_bad_zalo_settings_name_the_variable_and_a_right_value(
        change: dict[str, str], variable: str, example: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env({**ZALO, **change})
    message = str(caught.value)
    assert variable in message and example in message
    for secret in ("app-secret-value", "oa-secret-value"):
        assert secret not in message
