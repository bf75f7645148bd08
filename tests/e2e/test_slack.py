"""Slack against a real stand-in for Slack's Web API on loopback, and CORS on the real server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlencode

import pytest
import requests

from bot import config
from bot.channels import slack
from bot.content import answers, replies
from bot.stores import records
from tests import servers

SECRET = "test-signing-secret"
SITE = "http://site.example"


class FakeSlackAPI:
    """Records every Web API call and answers like Slack does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"raw": body.decode(errors="replace")}
                calls.append((self.path.rsplit("/", 1)[-1], payload))
                reply = json.dumps({"ok": True, "channel": payload.get("channel"), "ts": "1.0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posted(self, channel: str) -> list[dict]:
        return [p for method, p in self.calls if method == "chat.postMessage" and p.get("channel") == channel]

    def wait_until(self, channel: str, done: Callable[[list[dict]], bool], timeout: float = 60) -> list[dict]:
        """The posts to a channel once `done` holds for them (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(self.posted(channel)):
            time.sleep(0.1)
        return self.posted(channel)


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def event(text: str, event_id: str, channel: str, user: str = "U1") -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "event_id": event_id,
            "team_id": "T1",
            "event": {
                "type": "message",
                "channel_type": "im",
                "user": user,
                "text": text,
                "channel": channel,
                "ts": "1.0",
                "event_ts": "1.0",
            },
        }  # fmt: skip
    ).encode()


def button_press(value: str, channel: str, user: str) -> bytes:
    """The form Slack posts when someone presses a Block Kit button: `payload=` a block_actions JSON."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user, "team_id": "T1"},
        "channel": {"id": channel, "name": "directmessage"},
        "container": {"type": "message", "message_ts": "2.0", "channel_id": channel, "is_ephemeral": False},
        "message": {"type": "message", "ts": "2.0", "text": "Would you like me to tell you more?"},
        "trigger_id": "1.2.abc",
        "response_url": "https://hooks.slack.invalid/actions/T1/1/abc",
        "actions": [
            {
                "type": "button",
                "action_id": "vote",
                "block_id": "offer",
                "text": {"type": "plain_text", "text": "Helpful"},
                "value": value,
                "action_ts": "3.0",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def slack_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The real servers behind Slack's webhook: one process, or two sharing Redis (`make serve WORKERS=2`)."""
    workdir = tmp_path_factory.mktemp("slack")
    api = FakeSlackAPI()
    credentials = workdir / "credentials.yml"
    credentials.write_text(
        "bot.channels.rest.RestInput:\n"
        "bot.channels.slack.SlackInput:\n"
        f"  slack_token: xoxb-test\n  slack_signing_secret: {SECRET}\n  slack_api_url: {api.url}\n",
        encoding="utf-8",
    )
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    extra = ("--credentials", str(credentials), "--cors", SITE)
    if request.param == 1:
        pair = servers.start(workdir, db, extra_args=extra)
    else:
        prefix = servers.private_prefix("slack")
        env = servers.redis_workers_env(prefix, request.param)
        pair = servers.start(workdir, db, extra_args=extra, endpoints="endpoints.redis.yml", env=env)
    yield pair, api, answers.AnswerStore(db)
    pair.stop_all()
    api.server.shutdown()
    if request.param > 1:
        servers.forget_conversations(prefix)


pytestmark = pytest.mark.e2e


def post(pair: servers.Servers, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{pair.rasa_url}/webhooks/slack/webhook", data=body, headers=headers, timeout=30)


def test_signed_event_gets_the_answer_in_mrkdwn(slack_env) -> None:
    pair, api, store = slack_env
    body = event("can I text my therapist?", "Ev-answer", "D-answer")
    assert post(pair, body, sign(body)).status_code == 200
    posted = api.wait_until("D-answer", lambda posts: any(p.get("blocks") for p in posts))
    text = "\n".join(p.get("text", "") for p in posted)
    assert store.get("faq_texting").short.split(".")[0] in text
    blocks = [b for p in posted for b in p.get("blocks", [])]
    assert any(b["type"] == "actions" and b["elements"][0]["value"] == "/affirm" for b in blocks)


def test_pressing_helpful_records_a_slack_vote(slack_env) -> None:
    pair, api, store = slack_env
    texting, channel, user = store.get("faq_texting"), "D-vote", "U-vote"
    db = pair.records_db
    body = event("can I text my therapist?", "Ev-vote", channel, user)
    assert post(pair, body, sign(body)).status_code == 200
    posted = api.wait_until(channel, lambda posts: any(p.get("blocks") for p in posts))
    values = [e["value"] for p in posted for b in p.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]
    assert values[0] == "/affirm" and values[-2:] == ["/feedback_helpful", "/feedback_not_helpful"]

    before = len(records.rows("votes", db))
    press = button_press("/feedback_helpful", channel, user)
    headers = {**sign(press), "Content-Type": "application/x-www-form-urlencoded"}
    assert post(pair, press, headers).status_code == 200
    posted = api.wait_until(channel, lambda posts: any(replies.VOTE_THANKS in p.get("text", "") for p in posts))
    assert replies.VOTE_THANKS in [p.get("text") for p in posted]

    votes = records.rows("votes", db)
    assert len(votes) == before + 1
    assert servers.vote_fields(votes[-1]) == servers.expected_vote("slack", texting, records.HELPFUL)


def test_an_unsigned_button_press_is_rejected(slack_env) -> None:
    pair, api, _ = slack_env
    press = button_press("/feedback_helpful", "D-vote-unsigned", "U-vote-unsigned")
    headers = {**sign(press, secret="wrong-secret"), "Content-Type": "application/x-www-form-urlencoded"}
    assert post(pair, press, headers).status_code == 401
    time.sleep(2)  # give a wrongly accepted press time to show up
    assert api.posted("D-vote-unsigned") == []


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: sign(body, secret="wrong-secret"),
        lambda body: sign(body, timestamp=int(time.time()) - 3600),
        lambda body: {"Content-Type": "application/json"},
    ],
    ids=["bad-signature", "stale", "unsigned"],
)
def test_bad_or_stale_signature_is_rejected_and_nothing_is_posted(slack_env, headers) -> None:
    pair, api, _ = slack_env
    channel = f"D-reject-{len(api.calls)}"
    body = event("can I text my therapist?", f"Ev-{channel}", channel)
    assert post(pair, body, headers(body)).status_code == 401
    time.sleep(2)  # give a wrongly accepted message time to show up
    assert api.posted(channel) == []


def test_retries_never_produce_a_duplicate_answer(slack_env) -> None:
    pair, api, _ = slack_env
    body = event("what is transference?", "Ev-retry", "D-retry")
    assert post(pair, body, sign(body)).status_code == 200
    first = api.wait_until("D-retry", lambda posts: any(p.get("blocks") for p in posts))
    # Several retries, so that with two server processes some reach the one that didn't answer.
    for attempt, reason in ((1, "http_error"), (2, "http_timeout"), (3, "http_error"), (3, "http_error")) * 2:
        retry = {**sign(body), "X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": reason}
        assert post(pair, body, retry).status_code in (200, 201)
    time.sleep(3)
    assert api.posted("D-retry") == first


def test_crisis_reply_reaches_slack_without_phone_buttons(slack_env) -> None:
    pair, api, _ = slack_env
    body = event("i want to kill myself", "Ev-crisis", "D-crisis")
    assert post(pair, body, sign(body)).status_code == 200
    posted = api.wait_until("D-crisis", lambda posts: any("9-1-1" in p.get("text", "") for p in posts))
    assert "9-1-1" in " ".join(p.get("text", "") for p in posted)
    assert not any("tel:" in json.dumps(p) for p in posted)


def test_cors_admits_only_the_configured_origin(slack_env) -> None:
    pair, _, _ = slack_env
    url = f"{pair.rasa_url}/webhooks/rest/webhook"
    allowed = requests.options(url, headers={"Origin": SITE, "Access-Control-Request-Method": "POST"}, timeout=10)
    denied = requests.options(
        url, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert allowed.headers.get("Access-Control-Allow-Origin") == SITE
    assert "Access-Control-Allow-Origin" not in denied.headers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a **bold** move", "a *bold* move"),
        ("see [the guide](https://example.org/a)", "see <https://example.org/a|the guide>"),
        ("<script>&", "&lt;script&gt;&amp;"),
        ("<!channel> hi", "&lt;!channel&gt; hi"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ],
)
def test_text_becomes_safe_mrkdwn(text: str, expected: str) -> None:
    assert slack.to_mrkdwn(text) == expected


async def test_event_ids_are_answered_once() -> None:
    channel = slack.SlackInput("xoxb", slack_signing_secret="s")
    assert await channel.first_delivery("Ev1") and not await channel.first_delivery("Ev1")
    assert await channel.first_delivery(None) and await channel.first_delivery(None)


def test_phone_and_sms_buttons_are_dropped_for_slack() -> None:
    buttons = [{"title": "Call", "payload": "tel:911"}, {"title": "More", "payload": "/affirm"}]
    assert slack.slack_buttons(buttons) == [{"title": "More", "payload": "/affirm"}]
