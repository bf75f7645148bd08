"""The Telegram channel: its pieces, then the real Rasa server against a fake Bot API server."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import RasaException

from bot import answers, config, escalations
from bot.channels import telegram
from bot.channels.telegram import TelegramInput, TelegramOutput
from tests import servers

TOKEN = "123456:TEST-token_abc"
USERNAME = "alliance_test_bot"
SECRET = "s3cret-Token_for-tests"


class FakeTelegram:
    """A real HTTP server on loopback that answers like the Bot API and records every call."""

    def __init__(self, token: str = TOKEN, username: str = USERNAME, failing: tuple[str, ...] = ()) -> None:
        self.token, self.username, self.failing = token, username, set(failing)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.bad_paths: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._record(self, raw)

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _record(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        prefix = f"/bot{self.token}/"
        if not handler.path.startswith(prefix):
            with self._lock:
                self.bad_paths.append(handler.path)
            return self._reply(handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = handler.path[len(prefix) :]
        body = json.loads(raw or b"{}")
        with self._lock:
            self.calls.append((method, body))
            count = len(self.calls)
        if method in self.failing:
            return self._reply(handler, 400, {"ok": False, "error_code": 400, "description": "Bad Request: test"})
        result: Any = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Alliance", "username": self.username}
        elif method == "sendMessage":
            result = {"message_id": count, "date": 0, "chat": {"id": body.get("chat_id")}, "text": body.get("text")}
        self._reply(handler, 200, {"ok": True, "result": result})

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int = 0, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [body for name, body in self.calls[mark:] if method is None or name == method]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    fake = FakeTelegram()
    yield fake
    fake.stop()


def channel(base_url: str, **overrides: Any) -> TelegramInput:
    settings = {
        "access_token": TOKEN,
        "verify": USERNAME,
        "webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
        "secret_token": SECRET,
        "base_url": base_url,
    }
    settings.update(overrides)
    return TelegramInput.from_credentials(settings)


def message_update(text: str, chat_id: int = 42, update_id: int = 1, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "date": 0,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "chat": {"id": chat_id, "type": chat_type},
            "text": text,
        },
    }


def callback_update(data: str, chat_id: int = 42, update_id: int = 2, query_id: str = "cb-1") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "message": {"message_id": 8, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "offer"},
            "chat_instance": "1",
            "data": data,
        },
    }


def keyboards(bodies: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """Every inline keyboard button sent, in order."""
    return [b for body in bodies for row in body.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


# --- pieces -----------------------------------------------------------------------


def test_inline_keyboard_has_one_button_per_row() -> None:
    rows = telegram.inline_keyboard(
        [{"title": "Tell me more", "payload": "/affirm"}, {"title": "Boundaries", "payload": "/faq_boundaries"}]
    )
    assert rows == [
        [{"text": "Tell me more", "callback_data": "/affirm"}],
        [{"text": "Boundaries", "callback_data": "/faq_boundaries"}],
    ]


def test_inline_keyboard_drops_what_telegram_rejects() -> None:
    rows = telegram.inline_keyboard(
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
    assert telegram.secret_ok(expected, received) is ok


def test_text_message_update() -> None:
    incoming = telegram.parse_update(message_update("can I text my therapist?", chat_id=-100123, update_id=9))
    assert incoming == telegram.Incoming(9, -100123, "can I text my therapist?", private=True)


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
    incoming = telegram.parse_update(message_update(text), USERNAME)
    assert (incoming.text if incoming else None) == expected


def test_callback_query_update() -> None:
    incoming = telegram.parse_update(callback_update("/affirm", chat_id=77, query_id="q-9"))
    assert incoming is not None
    assert (incoming.chat_id, incoming.text, incoming.callback_query_id) == (77, "/affirm", "q-9")


def test_callback_query_from_an_inline_message_answers_the_user() -> None:
    update = callback_update("/affirm", chat_id=77)
    del update["callback_query"]["message"]
    incoming = telegram.parse_update(update)
    assert incoming is not None and incoming.chat_id == 77 and incoming.text == "/affirm"


def test_other_updates_are_ignored() -> None:
    edited = message_update("changed")
    edited["edited_message"] = edited.pop("message")
    assert telegram.parse_update(edited) is None
    assert telegram.parse_update({"update_id": 5, "channel_post": {"chat": {"id": 1}}}) is None


def test_a_message_without_text_is_flagged() -> None:
    update = message_update("x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f"}]
    incoming = telegram.parse_update(update)
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
    with pytest.raises(telegram.UpdateError):
        telegram.parse_update(update)


def test_long_text_is_split_within_the_limit() -> None:
    text = "\n\n".join(["word " * 50] * 10)
    pieces = telegram.split_text(text, limit=600)
    assert len(pieces) > 1 and all(len(p) <= 600 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert telegram.split_text("short") == ["short"]
    emoji = "😀" * 300  # two UTF-16 units each
    assert [len(p) for p in telegram.split_text(emoji, limit=200)] == [100, 100, 100]


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


# --- the Bot API client, against a real HTTP server -------------------------------------


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


# --- the webhook handler, with a recording stand-in for Rasa -------------------------------


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
    assert (message.text, message.sender_id, message.input_channel) == ("can I text my therapist?", "55", "telegram")
    assert message.output_channel is out
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


async def test_a_failed_turn_is_a_500_without_the_text_in_the_log(
    api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    ch, rasa = channel(api.url), Recorder(fail=True)
    update = body(message_update("my secret sentence"))
    status, _ = await ch.handle_update(update, SECRET, rasa, ch.get_output_channel())
    assert status == 500 and len(rasa.messages) == 1
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


# --- end to end: the real Rasa server and action server, a fake Bot API ------------------------------

CREDENTIALS = """\
rest:
bot.channels.telegram.TelegramInput:
  access_token: ${TELEGRAM_TOKEN}
  verify: ${TELEGRAM_VERIFY}
  webhook_url: ${TELEGRAM_WEBHOOK_URL}
  secret_token: ${TELEGRAM_SECRET_TOKEN}
  base_url: ${TELEGRAM_API_URL}
  set_webhook: true
"""
WEBHOOK_URL = "https://alliance.example.org/webhooks/telegram/webhook"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("e2e-telegram")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    api = FakeTelegram()
    credentials = workdir / "credentials.yml"
    credentials.write_text(CREDENTIALS)
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_VERIFY": USERNAME,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": api.url,
    }
    try:
        with pytest.MonkeyPatch.context() as mp:  # only the spawned servers see these
            for key, value in env.items():
                mp.setenv(key, value)
            # servers.start passes `--credentials credentials.yml`; argparse keeps the last one: ours.
            pair = servers.start(workdir, db, ("--credentials", str(credentials)))
    except Exception:
        api.stop()
        raise
    yield pair, api, answers.AnswerStore(db)
    pair.stop_all()
    api.stop()


def post(
    pair: servers.Servers, payload: Any, secret: str | None = SECRET, raw: bytes | None = None
) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[telegram.SECRET_HEADER] = secret
    data = raw if raw is not None else json.dumps(payload).encode()
    return requests.post(f"{pair.rasa_url}/webhooks/telegram/webhook", data=data, headers=headers, timeout=180)


def sent_texts(bodies: list[dict[str, Any]]) -> str:
    return "\n".join(b.get("text", "") for b in bodies)


@pytest.mark.e2e
def test_webhook_is_registered_with_the_secret_at_start(live) -> None:
    pair, api, _ = live
    deadline = time.monotonic() + 60  # registration runs just after the server starts listening
    while not api.since(method="setWebhook") and time.monotonic() < deadline:
        time.sleep(0.5)
    calls = api.since(method="setWebhook")
    assert len(calls) == 1 and calls[0]["url"] == WEBHOOK_URL and calls[0]["secret_token"] == SECRET
    assert api.since(method="getMe") and not api.bad_paths
    health = requests.get(f"{pair.rasa_url}/webhooks/telegram/", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok"}


@pytest.mark.e2e
def test_an_answer_with_buttons_then_tell_more(live) -> None:
    pair, api, store = live
    chat = 1001
    mark = api.mark()
    r = post(pair, message_update("can I text my therapist?", chat_id=chat, update_id=1001))
    assert r.status_code == 200
    sent = api.since(mark, "sendMessage")
    assert sent and all(b["chat_id"] == chat and "parse_mode" not in b for b in sent)
    assert store.get("faq_texting").short in sent_texts(sent)
    buttons = keyboards(sent)
    assert buttons[0] == {"text": "Tell me more", "callback_data": "/affirm"}
    assert "/faq_boundaries" in [b["callback_data"] for b in buttons]

    mark = api.mark()
    r = post(pair, callback_update("/affirm", chat_id=chat, update_id=1002, query_id="cb-1002"))
    assert r.status_code == 200
    assert api.since(mark, "answerCallbackQuery") == [{"callback_query_id": "cb-1002"}]
    assert store.get("faq_texting").more in sent_texts(api.since(mark, "sendMessage"))


@pytest.mark.e2e
def test_start_command_greets(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    assert post(pair, message_update("/start", chat_id=1005, update_id=1005)).status_code == 200
    assert "Ask me something like" in sent_texts(api.since(mark, "sendMessage"))


@pytest.mark.e2e
@pytest.mark.parametrize("secret", ["wrong-secret", None], ids=["wrong", "missing"])
def test_updates_without_the_secret_are_refused(live, secret: str | None) -> None:
    pair, api, _ = live
    chat = 1002 if secret else 1003
    mark = api.mark()
    r = post(pair, message_update("can I text my therapist?", chat_id=chat, update_id=chat), secret=secret)
    assert r.status_code == 403
    assert api.mark() == mark
    tracker = requests.get(
        f"{pair.rasa_url}/conversations/{chat}/tracker", params={"token": pair.token}, timeout=30
    ).json()
    assert not [e for e in tracker.get("events", []) if e.get("event") == "user"]


@pytest.mark.e2e
def test_malformed_json_is_a_400(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    r = post(pair, None, raw=b'{"update_id": 1, "message": ')
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    assert post(pair, {"update_id": 5, "edited_message": {}}).json() == {"status": "ignored"}
    assert api.mark() == mark


@pytest.mark.e2e
def test_crisis_message_gets_the_numbers_and_no_dial_buttons(live) -> None:
    pair, api, _ = live
    chat = 1004
    mark = api.mark()
    assert post(pair, message_update("i want to kill myself", chat_id=chat, update_id=1004)).status_code == 200
    sent = api.since(mark, "sendMessage")
    assert "9-1-1" in sent_texts(sent) and all(b["chat_id"] == chat for b in sent)
    assert not [b for b in keyboards(sent) if b["callback_data"].lower().startswith(("tel:", "sms:"))]
    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == str(chat)]
    assert len(rows) == 1 and rows[0]["channel"] == "telegram"


@pytest.mark.e2e
def test_message_text_and_token_stay_out_of_the_log(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    assert post(pair, message_update("a quite singular telegram sentence", chat_id=1006, update_id=1006)).ok
    assert api.since(mark, "sendMessage")
    log = Path(pair.log).read_text(errors="replace")
    assert "singular telegram sentence" not in log and TOKEN not in log and SECRET not in log
