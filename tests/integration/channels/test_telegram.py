"""The Telegram channel against a real stand-in for the Bot API on loopback, with a recording stand-in for Rasa."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels import telegram
from bot.channels.telegram import TelegramOutput
from tests import servers
from tests.telegram_fake import (
    SECRET,
    TOKEN,
    FakeTelegram,
    callback_update,
    channel,
    keyboards,
    message_update,
)


@pytest.fixture
def api():
    fake = FakeTelegram()
    yield fake
    fake.stop()


async def test_buttons_become_an_inline_keyboard_in_plain_text(api: FakeTelegram) -> None:
    out = TelegramOutput(TOKEN, api.url)
    await out.send_response(
        "42",
        {
            "text": "<b>Would you like me to tell you more?</b>",
            "buttons": [
                {"title": "Tell me more", "payload": "/affirm"},
                {"title": "Call 9-1-1", "payload": "tel:911"},
            ],
        },
    )
    assert api.since() == [
        {
            "chat_id": 42,
            "text": "<b>Would you like me to tell you more?</b>",
            "reply_markup": {"inline_keyboard": [[{"text": "Tell me more", "callback_data": "/affirm"}]]},
        }
    ]
    assert not api.bad_paths


async def test_long_text_goes_out_in_pieces_with_the_keyboard_last(api: FakeTelegram) -> None:
    out = TelegramOutput(TOKEN, api.url)
    await out.send_text_with_buttons("42", "x " * 3000, [{"title": "More", "payload": "/affirm"}])
    sent = api.since(method="sendMessage")
    assert len(sent) == 2 and all(len(b["text"]) <= 4096 for b in sent)
    assert "reply_markup" not in sent[0] and keyboards(sent) == [{"text": "More", "callback_data": "/affirm"}]


async def test_a_failing_api_is_logged_not_raised(api: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    api.failing.add("sendMessage")
    caplog.set_level(logging.DEBUG, logger=telegram.__name__)
    assert await TelegramOutput(TOKEN, api.url).call("sendMessage", {"chat_id": 1, "text": "private words"}) is None
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "sendMessage" in errors[0] and "Bad Request: test" in errors[0]
    assert TOKEN not in caplog.text and "private words" not in caplog.text


async def test_unreachable_api_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    out = TelegramOutput(TOKEN, f"http://127.0.0.1:{servers.free_port()}")
    assert await out.call("getMe", {}) is None
    assert any(r.levelno >= logging.ERROR for r in caplog.records) and TOKEN not in caplog.text


async def test_register_webhook_sends_the_secret(api: FakeTelegram) -> None:
    ch = channel(api.url)
    assert await ch.register_webhook(ch.get_output_channel()) is True
    assert api.since(method="setWebhook") == [
        {
            "url": "https://bot.example.org/webhooks/telegram/webhook",
            "allowed_updates": ["message", "callback_query"],
            "secret_token": SECRET,
        }
    ]
    assert len(api.since(method="getMe")) == 1


async def test_failed_registration_is_logged(api: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    api.failing.add("setWebhook")
    ch = channel(api.url)
    assert await ch.register_webhook(ch.get_output_channel()) is False
    assert any(r.levelno == logging.ERROR and "setWebhook" in r.getMessage() for r in caplog.records)


async def test_a_token_for_another_bot_is_reported(api: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    ch = channel(api.url, verify="someone_else_bot")
    await ch.register_webhook(ch.get_output_channel())
    assert any(r.levelno == logging.ERROR and "someone_else_bot" in r.getMessage() for r in caplog.records)


async def test_registration_can_be_switched_off(api: FakeTelegram) -> None:
    ch = channel(api.url, set_webhook=False)
    assert await ch.register_webhook(ch.get_output_channel()) is False
    assert api.since() == []


class Recorder:
    def __init__(self, reply: str | None = None, fail: bool = False) -> None:
        self.messages: list[UserMessage] = []
        self.reply, self.fail = reply, fail

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.fail:
            raise RuntimeError("the turn failed: " + (message.text or ""))
        if self.reply is not None:
            await message.output_channel.send_text_message(message.sender_id, self.reply)


def body(update: Any) -> bytes:
    return json.dumps(update).encode()


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET.upper()])
async def test_wrong_or_missing_secret_is_refused(api: FakeTelegram, secret: str | None) -> None:
    ch, rasa = channel(api.url), Recorder(reply="answer")
    status, payload = await ch.handle_update(body(message_update("hi")), secret, rasa, ch.get_output_channel())
    assert (status, rasa.messages, api.since()) == (403, [], [])
    assert "error" in payload


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[]", b'{"update_id": 1, "message": 5}'])
async def test_malformed_body_is_a_clear_400(api: FakeTelegram, raw: bytes) -> None:
    ch, rasa = channel(api.url), Recorder()
    status, payload = await ch.handle_update(raw, SECRET, rasa, ch.get_output_channel())
    assert status == 400 and isinstance(payload.get("error"), str) and payload["error"]
    assert rasa.messages == [] and api.since() == []


async def test_a_text_message_reaches_rasa_like_the_builtin_channel(api: FakeTelegram) -> None:
    ch, rasa = channel(api.url), Recorder(reply="an answer")
    out = ch.get_output_channel()
    status, _ = await ch.handle_update(body(message_update("can I text my therapist?", chat_id=55)), SECRET, rasa, out)
    assert status == 200 and len(rasa.messages) == 1
    message = rasa.messages[0]
    # The conversation id names the channel: Telegram chat 55 is not REST sender "55".
    assert (message.text, message.input_channel) == ("can I text my therapist?", "telegram")
    assert message.sender_id == "telegram:55"
    assert message.output_channel.inner is out
    assert api.since() == [{"chat_id": 55, "text": "an answer"}]


async def test_start_becomes_a_greeting(api: FakeTelegram) -> None:
    ch, rasa = channel(api.url), Recorder()
    await ch.handle_update(body(message_update("/start")), SECRET, rasa, ch.get_output_channel())
    assert [m.text for m in rasa.messages] == ["hi"]


async def test_a_button_press_sends_its_payload_and_is_answered(api: FakeTelegram) -> None:
    ch, rasa = channel(api.url), Recorder()
    update = body(callback_update("/affirm", query_id="q-1"))
    status, _ = await ch.handle_update(update, SECRET, rasa, ch.get_output_channel())
    assert status == 200 and [m.text for m in rasa.messages] == ["/affirm"]
    assert api.since(method="answerCallbackQuery") == [{"callback_query_id": "q-1"}]


async def test_a_redelivered_update_is_handled_once(api: FakeTelegram) -> None:
    ch, rasa = channel(api.url), Recorder()
    out = ch.get_output_channel()
    first = await ch.handle_update(body(message_update("hello", update_id=31)), SECRET, rasa, out)
    second = await ch.handle_update(body(message_update("hello", update_id=31)), SECRET, rasa, out)
    assert first[0] == second[0] == 200 and second[1] == {"status": "duplicate"} and len(rasa.messages) == 1


async def test_ignored_and_non_text_updates(api: FakeTelegram) -> None:
    ch, rasa = channel(api.url), Recorder()
    out = ch.get_output_channel()
    edited = message_update("changed", update_id=40)
    edited["edited_message"] = edited.pop("message")
    assert await ch.handle_update(body(edited), SECRET, rasa, out) == (200, {"status": "ignored"})
    sticker = message_update("x", update_id=41)
    del sticker["message"]["text"]
    status, _ = await ch.handle_update(body(sticker), SECRET, rasa, out)
    group_sticker = message_update("x", update_id=42, chat_type="group")
    del group_sticker["message"]["text"]
    await ch.handle_update(body(group_sticker), SECRET, rasa, out)
    assert status == 200 and rasa.messages == []
    assert api.since() == [{"chat_id": 42, "text": telegram.NOT_TEXT_NOTICE}]  # private chat only


async def test_a_failed_turn_is_answered_with_the_numbers_without_the_text_in_the_log(
    api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """Rasa failing (a store down, say) still answers the person, with the emergency numbers."""
    ch, rasa = channel(api.url), Recorder(fail=True)
    update = body(message_update("my secret sentence", chat_id=77))
    status, _ = await ch.handle_update(update, SECRET, rasa, ch.get_output_channel())
    assert status == 200 and len(rasa.messages) == 1  # answered: Telegram needn't redeliver
    (sent,) = api.since()
    assert sent["chat_id"] == 77 and "can't answer right now" in sent["text"] and "9-1-1" in sent["text"]
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert "my secret sentence" not in caplog.text


async def test_no_message_text_or_token_is_logged_at_info(api: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    api.failing.add("sendMessage")  # the error path logs too
    ch, rasa = channel(api.url), Recorder(reply="the bot's particular reply")
    out = ch.get_output_channel()
    await ch.register_webhook(out)
    await ch.handle_update(body(message_update("a very particular sentence")), SECRET, rasa, out)
    await ch.handle_update(body(message_update("ignored", update_id=3)), "wrong", rasa, out)
    assert any(r.levelno >= logging.INFO for r in caplog.records)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "particular" not in logged and TOKEN not in logged and SECRET not in logged
