"""Property-based fuzzing of every channel's payloads against the real servers (issue 15).

One Rasa server and one action server, with REST, Slack (signed, against the local
stand-in for Slack's Web API), Telegram (with its secret token, against the stand-in
Bot API) and the widget's socket.io channel. Hypothesis sends wrong types, missing
fields, huge strings, deeply nested JSON, control and zero-width characters, invalid
UTF-8, malformed JSON and typed `/intent{...}` payloads. After every example: no 5xx,
both server processes alive and answering, no traceback in their log. Bodies over the
limit get 413 on every channel; a crisis phrase hidden behind zero-width characters,
a typed payload or 3,000 to 60,000 harmless characters still gets the level-1 reply;
a long harmless message gets the request for a shorter one.

Each example is a real request, many a real conversation turn: the counts keep the
file to about a minute here. Hypothesis is derandomized, so every run, CI's too, sends
the same examples, and keeps no example database between runs.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest
import requests
import websockets
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from bot import config
from bot.channels import telegram
from bot.content import answers
from tests import fuzz_payloads as fp
from tests import servers
from tests.e2e.test_slack import FakeSlackAPI, sign
from tests.telegram_fake import SECRET, TOKEN, USERNAME, FakeTelegram

pytestmark = pytest.mark.e2e

LIMIT = config.max_body_bytes()
REPLY_SECONDS = 120  # one turn of a 60,000-character message on a busy 2-core machine


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


CREDENTIALS = """\
bot.channels.rest.RestInput:
bot.channels.slack.SlackInput:
  slack_token: xoxb-fuzz
  slack_signing_secret: ${SLACK_SIGNING_SECRET}
  slack_api_url: ${SLACK_API_URL}
bot.channels.telegram.TelegramInput:
  access_token: ${TELEGRAM_TOKEN}
  verify: ${TELEGRAM_VERIFY}
  webhook_url: https://alliance.example.org/webhooks/telegram/webhook
  secret_token: ${TELEGRAM_SECRET_TOKEN}
  base_url: ${TELEGRAM_API_URL}
  set_webhook: false
bot.channels.widget.WidgetSocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""
SLACK_SECRET = "fuzz-signing-secret"


@dataclass
class Live:
    pair: servers.Servers
    slack: FakeSlackAPI
    telegram: FakeTelegram

    def log_size(self) -> int:
        return self.pair.log.stat().st_size

    def check(self, since: int, tracebacks: bool = False) -> None:
        """The health check after every example: both servers run and answer, and log no traceback.

        Nor a message Rasa failed on (bot/channels/common.py then tells the person the
        service is down and logs "could not be handled"): nothing is down here.
        """
        for name, proc in self.pair.procs.items():
            assert proc.poll() is None, f"the {name} server died (exit {proc.returncode})"
        assert requests.get(f"{self.pair.rasa_url}/", timeout=30).status_code == 200
        assert requests.get(f"{self.pair.actions_url}/health", timeout=30).status_code == 200
        with self.pair.log.open("rb") as log:
            log.seek(since)
            new = log.read().decode("utf-8", "replace")
        assert "could not be handled" not in new, new[-3000:]
        assert tracebacks or ("Traceback" not in new and "handler error" not in new), new[-3000:]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("fuzz")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    credentials = workdir / "credentials.yml"
    credentials.write_text(CREDENTIALS, encoding="utf-8")
    slack, bot_api = FakeSlackAPI(), FakeTelegram()
    env = {
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": slack.url,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_VERIFY": USERNAME,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": bot_api.url,
    }
    try:
        # servers.start passes `--credentials credentials.yml`; argparse keeps the last one: ours.
        pair = servers.start(workdir, db, ("--credentials", str(credentials)), env=env)
    except Exception:
        slack.server.shutdown()
        bot_api.stop()
        raise
    yield Live(pair, slack, bot_api)
    pair.stop_all()
    slack.server.shutdown()
    bot_api.stop()


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


# ------------------------------------------------------------------ REST


def rest(live: Live, body: bytes, query: str = "") -> requests.Response:
    return requests.post(
        f"{live.pair.rasa_url}/webhooks/rest/webhook{query}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=REPLY_SECONDS,
    )


def rest_send(live: Live, message: str, sender: str) -> list[dict[str, Any]]:
    r = rest(live, json.dumps({"sender": sender, "message": message}).encode())
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return r.json()


REST_BODY = fp.obj_with(
    {"sender": st.one_of(fp.odd_text, st.uuids().map(str)), "message": fp.message_text, "metadata": fp.json_value,
     "input_channel": st.sampled_from(["rest", "socketio", "telegram", "slack", "cmdline", ""])}
)  # fmt: skip


@fuzz(300)
@given(
    body=st.one_of(REST_BODY.flatmap(fp.encoded), fp.json_value.flatmap(fp.encoded), fp.raw_garbage),
    query=st.sampled_from(["", "?stream=false", "?stream=true", "?stream=garbage", "?stream"]),
)
def test_rest_never_answers_500(live: Live, body: bytes, query: str) -> None:
    since = live.log_size()
    r = rest(live, body, query)
    if len(body) > LIMIT:
        assert r.status_code == 413
    else:
        assert r.status_code in (200, 400), (r.status_code, r.text[:300])
    if r.status_code == 200 and "stream=true" not in query:
        assert isinstance(r.json(), list)
    live.check(since)


@fuzz(8)
@given(size=st.integers(LIMIT + 1, 4 * LIMIT), chunked=st.booleans())
def test_rest_body_over_the_limit_gets_413(live: Live, size: int, chunked: bool) -> None:
    since = live.log_size()
    prefix = b'{"sender": "fuzz-big", "message": "'
    body = prefix + b"a" * (size - len(prefix) - 2) + b'"}'
    data: Any = iter([body[i : i + 8192] for i in range(0, len(body), 8192)]) if chunked else body
    try:
        r = requests.post(f"{live.pair.rasa_url}/webhooks/rest/webhook", data=data, timeout=60)
        assert r.status_code == 413
    except requests.ConnectionError:  # a chunked upload the server cut off after its 413
        assert chunked
    live.check(since)


@fuzz(150)
@given(
    text=st.one_of(fp.crisis_in_words(), fp.crisis_behind_payload()),
    sender=st.one_of(st.uuids().map(str), fp.odd_text.filter(bool)),
)
def test_rest_hidden_crisis_is_escalated(live: Live, text: str, sender: str) -> None:
    since = live.log_size()
    reply = rest_send(live, text, f"{sender}-{uuid.uuid4().hex[:8]}")
    assert fp.level_one(texts(reply)), (text, texts(reply)[-400:])
    live.check(since)


@fuzz(20)
@given(text=fp.crisis_at_the_end())
def test_rest_crisis_at_the_end_of_a_long_message_is_escalated(live: Live, text: str) -> None:
    since = live.log_size()
    reply = rest_send(live, text, f"fuzz-long-crisis-{uuid.uuid4().hex}")
    assert fp.level_one(texts(reply)), (len(text), texts(reply)[-400:])
    live.check(since)


@fuzz(10)
@given(text=fp.long_text(config.max_message_chars() + 1, 60000))
def test_rest_long_message_without_danger_asks_for_a_shorter_one(live: Live, text: str) -> None:
    since = live.log_size()
    reply = texts(rest_send(live, text, f"fuzz-long-{uuid.uuid4().hex}"))
    assert fp.TOO_LONG in reply and not fp.level_one(reply), reply[-400:]
    live.check(since)


@settings(fuzz(10), phases=[Phase.generate])  # no shrinking: the first miss is the example
@given(text=fp.crisis_in_words(fp.OTHER_INVISIBLE))
def test_rest_crisis_behind_other_invisible_characters_is_escalated(live: Live, text: str) -> None:
    reply = rest_send(live, text, f"fuzz-invisible-{uuid.uuid4().hex}")
    assert fp.level_one(texts(reply)), text


@settings(fuzz(5), phases=[Phase.generate])  # no shrinking: the first miss is the example
@given(text=fp.crisis_in_escaped_entities())
def test_rest_crisis_in_escaped_payload_entities_is_escalated(live: Live, text: str) -> None:
    reply = rest_send(live, text, f"fuzz-escaped-{uuid.uuid4().hex}")
    assert fp.level_one(texts(reply)), text


# ------------------------------------------------------------------ Slack


def slack_post(live: Live, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{live.pair.rasa_url}/webhooks/slack/webhook", data=body, headers=headers, timeout=60)


def slack_event(text: Any, event_id: str, channel: str, user: str = "U-fuzz") -> bytes:
    event = {"type": "message", "channel_type": "im", "user": user, "text": text, "channel": channel, "ts": "1.0"}
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T1", "event": event}).encode()


SLACK_EVENT = fp.obj_with(
    {"type": st.sampled_from(["message", "app_mention", "reaction_added"]), "channel_type": st.just("im"),
     "user": st.just("U-fuzz"), "text": fp.message_text, "channel": st.just("D-fuzz"), "ts": st.just("1.0"),
     "thread_ts": st.just("1.0"), "bot_id": st.just("B1")}
)  # fmt: skip
SLACK_BODY = fp.obj_with(
    {"type": st.sampled_from(["event_callback", "url_verification"]), "event_id": st.uuids().map(str),
     "event": SLACK_EVENT, "challenge": fp.odd_text, "authed_users": st.lists(fp.odd_text, max_size=2),
     "authorizations": st.lists(fp.json_value, max_size=2)}
)  # fmt: skip
SLACK_ACTION = fp.obj_with(
    {"type": st.sampled_from(["button", "select", "static_select", "overflow", "datepicker", "users_select", "x"]),
     "value": fp.message_text, "selected_option": fp.json_value, "selected_options": fp.json_value}
)  # fmt: skip
SLACK_PAYLOAD = fp.obj_with(
    {"type": st.just("block_actions"), "user": fp.obj_with({"id": st.just("U-fuzz")}),
     "channel": fp.obj_with({"id": st.just("D-fuzz")}), "message": fp.obj_with({"ts": st.just("2.0")}),
     "actions": st.lists(SLACK_ACTION, max_size=2)}
)  # fmt: skip


@st.composite
def slack_form(draw: st.DrawFn) -> bytes:
    fields: dict[str, Any] = draw(st.dictionaries(st.sampled_from(["x", "token"]), fp.odd_text, max_size=1))
    if draw(st.integers(0, 5)):
        payload = draw(st.one_of(SLACK_PAYLOAD, fp.json_value))
        fields["payload"] = draw(fp.encoded(payload)).decode("utf-8", "replace")
    return urlencode(fields).encode()


@fuzz(250)
@given(
    body=st.one_of(SLACK_BODY.flatmap(fp.encoded), slack_form(), fp.raw_garbage),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8", "text/plain"]
    ),
    signed=st.integers(0, 6).map(bool),
)
def test_slack_never_answers_500(live: Live, body: bytes, content_type: str, signed: bool) -> None:
    since = live.log_size()
    headers = {**(sign(body, secret=SLACK_SECRET) if signed else {}), "Content-Type": content_type}
    r = slack_post(live, body, headers)
    if len(body) > LIMIT:
        assert r.status_code == 413
    elif not signed:
        assert r.status_code == 401
    else:
        assert r.status_code in (200, 201, 400), (r.status_code, r.text[:300])
    live.check(since)  # a message accepted is answered in the background: a failure shows in a later check


@fuzz(4)
@given(size=st.integers(LIMIT + 1, 4 * LIMIT))
def test_slack_body_over_the_limit_gets_413(live: Live, size: int) -> None:
    since = live.log_size()
    body = slack_event("a" * size, f"Ev-big-{size}", "D-big")
    assert slack_post(live, body, sign(body, secret=SLACK_SECRET)).status_code == 413
    live.check(since)


def slack_reply(live: Live, text: str, done: Any) -> str:
    channel = f"D-{uuid.uuid4().hex[:12]}"
    body = slack_event(text, f"Ev-{channel}", channel, f"U-{channel}")
    assert slack_post(live, body, sign(body, secret=SLACK_SECRET)).status_code == 200
    posted = live.slack.wait_until(channel, lambda posts: done(texts(posts)), timeout=REPLY_SECONDS)
    return texts(posted)


@fuzz(40)
@given(text=st.one_of(fp.crisis_in_words(), fp.crisis_behind_payload(), fp.crisis_at_the_end()))
def test_slack_hidden_crisis_is_escalated(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.level_one(slack_reply(live, text, fp.level_one)), text[-200:]
    live.check(since)


@fuzz(5)
@given(text=fp.long_text(config.max_message_chars() + 1, 60000))
def test_slack_long_message_without_danger_asks_for_a_shorter_one(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.TOO_LONG in slack_reply(live, text, lambda said: fp.TOO_LONG in said)
    live.check(since)


# ------------------------------------------------------------------ Telegram


def telegram_post(live: Live, body: bytes, secret: str | None = SECRET) -> requests.Response:
    headers = {"Content-Type": "application/json", **({telegram.SECRET_HEADER: secret} if secret is not None else {})}
    return requests.post(
        f"{live.pair.rasa_url}/webhooks/telegram/webhook", data=body, headers=headers, timeout=REPLY_SECONDS
    )


CHAT = fp.obj_with({"id": st.integers(1, 10**12), "type": st.sampled_from(["private", "group", "channel"])})
TELEGRAM_MESSAGE = fp.obj_with(
    {"message_id": st.integers(), "date": st.integers(), "chat": CHAT, "text": fp.message_text,
     "from": fp.obj_with({"id": st.integers(1, 10**12), "is_bot": st.booleans()})}
)  # fmt: skip
TELEGRAM_CALLBACK = fp.obj_with(
    {"id": st.uuids().map(str), "data": fp.message_text, "message": TELEGRAM_MESSAGE,
     "from": fp.obj_with({"id": st.integers(1, 10**12)}), "chat_instance": st.just("1")}
)  # fmt: skip
TELEGRAM_UPDATE = fp.obj_with(
    {"update_id": st.integers(), "message": TELEGRAM_MESSAGE, "callback_query": TELEGRAM_CALLBACK,
     "edited_message": TELEGRAM_MESSAGE, "channel_post": TELEGRAM_MESSAGE}
)  # fmt: skip


@fuzz(250)
@given(
    body=st.one_of(TELEGRAM_UPDATE.flatmap(fp.encoded), fp.raw_garbage),
    secret=st.sampled_from([SECRET] * 6 + [None, "wrong", SECRET + "x", "", "ö"]),
)
def test_telegram_never_answers_500(live: Live, body: bytes, secret: str | None) -> None:
    since = live.log_size()
    try:
        r = telegram_post(live, body, secret)
    except UnicodeEncodeError:  # requests can't put "ö" in a header; a client that can is tried below
        assume(False)
    if len(body) > LIMIT:
        assert r.status_code == 413
    elif secret != SECRET:
        assert r.status_code == 403
    else:
        assert r.status_code in (200, 400), (r.status_code, r.text[:300])
    live.check(since)


def test_telegram_secret_header_that_is_not_ascii_is_refused(live: Live) -> None:
    since = live.log_size()
    r = requests.post(
        f"{live.pair.rasa_url}/webhooks/telegram/webhook",
        data=b"{}",
        headers={"Content-Type": "application/json", telegram.SECRET_HEADER: "s\xf6cret".encode("latin-1")},
        timeout=30,
    )
    assert r.status_code == 403
    live.check(since)


@fuzz(4)
@given(size=st.integers(LIMIT + 1, 4 * LIMIT))
def test_telegram_body_over_the_limit_gets_413(live: Live, size: int) -> None:
    since = live.log_size()
    update = {"update_id": 1, "message": {"chat": {"id": 7, "type": "private"}, "text": "a" * size}}
    assert telegram_post(live, json.dumps(update).encode()).status_code == 413
    live.check(since)


_next_chat = iter(range(900_000_000, 999_999_999))


def telegram_reply(live: Live, text: str) -> str:
    chat = next(_next_chat)
    update = {
        "update_id": chat,
        "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}, "text": text},
    }
    mark = live.telegram.mark()
    r = telegram_post(live, json.dumps(update).encode())
    assert r.status_code == 200, (r.status_code, r.text[:300])
    sent = live.telegram.since(mark, "sendMessage")
    return "\n".join(b.get("text", "") for b in sent if b.get("chat_id") == chat)


@fuzz(60)
@given(text=st.one_of(fp.crisis_in_words(), fp.crisis_behind_payload(), fp.crisis_at_the_end()))
def test_telegram_hidden_crisis_is_escalated(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.level_one(telegram_reply(live, text)), text[-200:]
    live.check(since)


@fuzz(5)
@given(text=fp.long_text(config.max_message_chars() + 1, 60000))
def test_telegram_long_message_without_danger_asks_for_a_shorter_one(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.TOO_LONG in telegram_reply(live, text)
    live.check(since)


# ------------------------------------------------------------------ the widget's socket.io


def socketio_calls(
    live: Live, calls: list[tuple[str, tuple[Any, ...]]], timeout: float = REPLY_SECONDS
) -> list[list[dict[str, Any]]]:
    """Socket.io over WebSocket as the widget speaks it (Engine.IO 4 text packets), on one connection.

    Each call is an event with its arguments, sent with an acknowledgement, which the
    server sends once its handler has returned, after the replies: a handler that
    raised never acknowledges. Returns the `bot_uttered` payloads before each one.
    """
    url = live.pair.rasa_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def call(ws: Any, ack: int, event: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        await ws.send(f"42{ack}" + json.dumps([event, *args]))
        replies = []
        while True:
            packet = await ws.recv()
            if packet == "2":  # ping
                await ws.send("3")
            elif packet.startswith(f"43{ack}["):
                return replies
            elif packet.startswith("42["):
                name, *data = json.loads(packet[2:])
                replies += data if name == "bot_uttered" else []

    async def exchange() -> list[list[dict[str, Any]]]:
        async with websockets.connect(url, max_size=None) as ws:
            assert (await ws.recv()).startswith("0")  # Engine.IO open
            await ws.send("40")
            assert (await ws.recv()).startswith("40")  # the default namespace joined
            answered = []
            for ack, (event, args) in enumerate(calls):
                try:
                    answered.append(await asyncio.wait_for(call(ws, ack, event, args), timeout))
                except asyncio.TimeoutError:
                    pytest.fail(f"{event} was never acknowledged: its handler failed ({str(args)[:200]!r})")
            return answered

    return asyncio.run(exchange())


SESSION = "fuzzSession0001"
SOCKET_DATA = fp.obj_with(
    {"message": fp.message_text, "session_id": st.sampled_from([SESSION, "", "x", "../" * 5]) | fp.odd_text,
     "customData": fp.json_value | fp.odd_text | st.just('{"a": 1}') | st.just("[1, 2]")}
)  # fmt: skip


@fuzz(200)
@given(
    event=st.sampled_from(["user_uttered"] * 4 + ["session_request"]),
    args=st.one_of(
        SOCKET_DATA.map(lambda data: (data,)), st.tuples(fp.json_value), st.tuples(fp.json_value, fp.json_value),
        st.just(()),
    ),
)  # fmt: skip
def test_socketio_events_never_break_their_handlers(live: Live, event: str, args: tuple[Any, ...]) -> None:
    assume(len(json.dumps(args)) < LIMIT - 1024)
    since = live.log_size()
    socketio_calls(live, [("session_request", ({"session_id": SESSION},)), (event, args)], timeout=30)
    live.check(since)


def socketio_reply(live: Live, text: str) -> str:
    session = uuid.uuid4().hex
    calls = [
        ("session_request", ({"session_id": session},)),
        ("user_uttered", ({"message": text, "session_id": session},)),
    ]
    return texts(socketio_calls(live, calls)[-1])


@fuzz(60)
@given(text=st.one_of(fp.crisis_in_words(), fp.crisis_behind_payload(), fp.crisis_at_the_end()))
def test_socketio_hidden_crisis_is_escalated(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.level_one(socketio_reply(live, text)), text[-200:]
    live.check(since)


@fuzz(5)
@given(text=fp.long_text(config.max_message_chars() + 1, 60000))
def test_socketio_long_message_without_danger_asks_for_a_shorter_one(live: Live, text: str) -> None:
    since = live.log_size()
    assert fp.TOO_LONG in socketio_reply(live, text)
    live.check(since)


@fuzz(4)
@given(size=st.integers(LIMIT + 1, 4 * LIMIT))
def test_socketio_polling_body_over_the_limit_gets_413(live: Live, size: int) -> None:
    """The long-polling transport is plain HTTP: a POST over the limit gets 413."""
    since = live.log_size()
    url = f"{live.pair.rasa_url}/socket.io/?EIO=4&transport=polling"
    handshake = requests.get(url, timeout=30)
    sid = json.loads(handshake.text[1:])["sid"]
    assert requests.post(f"{url}&sid={sid}", data=b"40", timeout=30).status_code == 200
    packet = "42" + json.dumps(["user_uttered", {"message": "a" * size, "session_id": SESSION}])
    assert requests.post(f"{url}&sid={sid}", data=packet.encode(), timeout=30).status_code == 413
    requests.post(f"{url}&sid={sid}", data=b"1", timeout=30)  # Engine.IO close
    live.check(since)


@fuzz(3)
@given(size=st.integers(LIMIT + 1, 4 * LIMIT))
def test_socketio_websocket_message_over_the_limit_is_refused(live: Live, size: int) -> None:
    """Over WebSocket there is no status to give: the connection is closed, and the server goes on."""
    since = live.log_size()
    big = {"message": "a" * size, "session_id": SESSION}
    with pytest.raises(websockets.ConnectionClosed):
        socketio_calls(live, [("session_request", ({"session_id": SESSION},)), ("user_uttered", (big,))])
    assert socketio_reply(live, "hello")  # a new connection is answered
    live.check(since)


RAW_FRAMES = st.one_of(
    st.sampled_from(["", "1", "4", "42", "42[", "421[]", "9", "45-[]", '42["user_uttered"', "42[null]", "41", "40/x,"]),
    st.text(max_size=40).map(lambda text: "42" + text),
    st.text(max_size=40),
    st.binary(max_size=40),
)


@fuzz(60)
@given(frames=st.lists(RAW_FRAMES, min_size=1, max_size=3))
def test_socketio_malformed_frames_leave_the_server_running(live: Live, frames: list[str | bytes]) -> None:
    """Frames that aren't Engine.IO or socket.io packets: python-engineio and python-socketio log a
    traceback for some (their own code, no message text) and drop the connection for others."""
    since = live.log_size()
    url = live.pair.rasa_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def send() -> None:
        async with websockets.connect(url) as ws:
            await ws.recv()
            await ws.send("40")
            await ws.recv()
            for frame in frames:
                await ws.send(frame)
            await asyncio.sleep(0.05)

    try:
        asyncio.run(send())
    except websockets.ConnectionClosed:
        pass
    assert socketio_reply(live, "hello")  # a new connection is answered
    live.check(since, tracebacks=True)


# ------------------------------------------------------------------ after all of it


def test_the_log_holds_no_message_text(live: Live) -> None:
    live.check(live.log_size())
    log = live.pair.log.read_text(errors="replace").lower()
    for phrase in fp.CRISES:
        assert phrase not in log, phrase
