"""The Telegram channel's pieces: updates in, keyboards and text out, credentials."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.exceptions import RasaException

from bot.channels import telegram_updates as updates
from bot.channels.telegram import TelegramInput
from tests.telegram_fake import SECRET, TOKEN, USERNAME, callback_update, message_update


def test_inline_keyboard_has_one_button_per_row() -> None:
    rows = updates.inline_keyboard(
        [{"title": "Tell me more", "payload": "/affirm"}, {"title": "Boundaries", "payload": "/faq_boundaries"}]
    )
    assert rows == [
        [{"text": "Tell me more", "callback_data": "/affirm"}],
        [{"text": "Boundaries", "callback_data": "/faq_boundaries"}],
    ]


def test_inline_keyboard_drops_what_telegram_rejects() -> None:
    rows = updates.inline_keyboard(
        [
            {"title": "Call 9-1-1", "payload": "tel:911"},
            {"title": "Text 741741", "payload": "SMS:741741"},
            {"title": "Exactly 64", "payload": "/" + "a" * 63},
            {"title": "Too long", "payload": "/" + "a" * 64},
            {"title": "Too many bytes", "payload": "/" + "é" * 32},  # 65 bytes, 33 characters
            {"title": "", "payload": "/greet"},
            {"title": "No payload"},
        ]
    )
    assert [r[0]["text"] for r in rows] == ["Exactly 64"]
    assert all(len(r[0]["callback_data"].encode()) <= 64 for r in rows)


@pytest.mark.parametrize(
    ("expected", "received", "ok"),
    [
        (SECRET, SECRET, True),
        (SECRET, SECRET + "x", False),
        (SECRET, SECRET[:-1], False),
        (SECRET, "", False),
        (SECRET, None, False),
        (SECRET, "sécret", False),
        (None, None, True),
        (None, "anything", True),
    ],
)
def test_secret_check(expected: str | None, received: str | None, ok: bool) -> None:
    assert updates.secret_ok(expected, received) is ok


def test_text_message_update() -> None:
    incoming = updates.parse_update(message_update("can I text my therapist?", chat_id=-100123, update_id=9))
    assert incoming == updates.Incoming(9, -100123, "can I text my therapist?", private=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "hi"),
        ("/start some-deep-link", "hi"),
        ("/START", "hi"),
        (f"/start@{USERNAME}", "hi"),
        (f"/help@{USERNAME}", "/help"),
        ("/start@some_other_bot", None),
        ("/affirm", "/affirm"),
        ("hello /start", "hello /start"),
    ],
)
def test_commands(text: str, expected: str | None) -> None:
    incoming = updates.parse_update(message_update(text), USERNAME)
    assert (incoming.text if incoming else None) == expected


def test_callback_query_update() -> None:
    incoming = updates.parse_update(callback_update("/affirm", chat_id=77, query_id="q-9"))
    assert incoming is not None
    assert (incoming.chat_id, incoming.text, incoming.callback_query_id) == (77, "/affirm", "q-9")


def test_callback_query_from_an_inline_message_answers_the_user() -> None:
    update = callback_update("/affirm", chat_id=77)
    del update["callback_query"]["message"]
    incoming = updates.parse_update(update)
    assert incoming is not None and incoming.chat_id == 77 and incoming.text == "/affirm"


def test_other_updates_are_ignored() -> None:
    edited = message_update("changed")
    edited["edited_message"] = edited.pop("message")
    assert updates.parse_update(edited) is None
    assert updates.parse_update({"update_id": 5, "channel_post": {"chat": {"id": 1}}}) is None


def test_a_message_without_text_is_flagged() -> None:
    update = message_update("x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f"}]
    incoming = updates.parse_update(update)
    assert incoming is not None and incoming.text is None and incoming.not_text


@pytest.mark.parametrize(
    "update",
    [
        [],
        "update",
        {"update_id": 1, "message": "hello"},
        {"update_id": 1, "message": {"text": "hello"}},
        {"update_id": 1, "message": {"text": "hello", "chat": {"id": True}}},
        {"update_id": 1, "callback_query": {"data": "/affirm"}},
        {"update_id": 1, "callback_query": {"id": "q", "data": "/affirm"}},
    ],
)
def test_malformed_updates_are_errors(update: Any) -> None:
    with pytest.raises(updates.UpdateError):
        updates.parse_update(update)


def test_long_text_is_split_within_the_limit() -> None:
    text = "\n\n".join(["word " * 50] * 10)
    pieces = updates.split_text(text, limit=600)
    assert len(pieces) > 1 and all(len(p) <= 600 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert updates.split_text("short") == ["short"]
    emoji = "😀" * 300  # two UTF-16 units each
    assert [len(p) for p in updates.split_text(emoji, limit=200)] == [100, 100, 100]


def test_credentials_defaults() -> None:
    ch = TelegramInput.from_credentials({"access_token": TOKEN})
    assert ch.base_url == "https://api.telegram.org" and ch.set_webhook is True and ch.secret_token is None
    assert ch.name() == "telegram" and ch.url_prefix() == "telegram"
    assert ch.get_output_channel().method_url("getMe") == f"https://api.telegram.org/bot{TOKEN}/getMe"


def test_credentials_from_environment_strings() -> None:
    ch = TelegramInput.from_credentials(
        {"access_token": TOKEN, "base_url": "http://127.0.0.1:8081/", "set_webhook": "false", "secret_token": ""}
    )
    assert ch.set_webhook is False and ch.secret_token is None
    assert ch.get_output_channel().method_url("sendMessage") == f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage"


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        {"access_token": ""},
        {"access_token": TOKEN, "base_url": "api.telegram.org"},
        {"access_token": TOKEN, "secret_token": "has spaces"},
        {"access_token": TOKEN, "set_webhook": "maybe"},
    ],
)
def test_configuration_mistakes_fail_at_start(credentials: dict[str, Any] | None) -> None:
    with pytest.raises(RasaException):
        TelegramInput.from_credentials(credentials)
