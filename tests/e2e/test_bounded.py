"""End to end, issue 15's edges: bounded input, conversation ids per channel, erasure, the token out of `ps`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bot import config
from bot.content import answers
from bot.safety import escalations
from tests import servers

pytestmark = pytest.mark.e2e

CRISIS = "i have the pills ready and i am going to take them all tonight"
LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("bounded")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    running = servers.start(workdir, db, env={"ALLIANCE_MAX_BODY_BYTES": str(LIMIT)})
    yield running
    running.stop_all()


def texts(reply: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def post(pair: servers.Servers, body: bytes) -> requests.Response:
    return requests.post(
        f"{pair.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )


def tracker_users(pair: servers.Servers, conversation: str) -> list[str]:
    r = requests.get(f"{pair.rasa_url}/conversations/{conversation}/tracker", params={"token": pair.token}, timeout=30)
    r.raise_for_status()
    return [e["text"] for e in r.json()["events"] if e["event"] == "user"]


def test_a_body_over_the_limit_gets_413_and_the_server_goes_on(pair) -> None:
    huge = b'{"sender": "rest-huge", "message": "' + b"a" * (LIMIT + 10) + b'"}'
    assert post(pair, huge).status_code == 413
    assert "9-1-1" in texts(pair.send("hello", "rest-after-huge"))


def test_a_long_message_with_danger_at_its_end_is_escalated(pair) -> None:
    filler = "I keep wondering whether I can text my therapist between sessions when nights are hard. "
    text = filler * ((LIMIT - 500) // len(filler)) + CRISIS
    assert len(text.encode()) < LIMIT and len(text) > config.max_message_chars()
    reply = pair.send(text, "rest-long-crisis")
    assert "9-1-1" in texts(reply) and "988" in texts(reply)
    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == "rest:rest-long-crisis"]
    assert len(rows) == 1


def test_a_long_message_without_danger_asks_for_a_shorter_one(pair) -> None:
    text = "I keep wondering whether I can text my therapist between sessions. " * 80
    reply = pair.send(text, "rest-long")
    assert reply[-1]["text"].startswith("That message is longer than I can answer well.")  # after the welcome
    assert "9-1-1" in reply[-1]["text"]


@pytest.mark.parametrize(
    "text",
    [
        "i am going to k\u200bi\u200dll my\u200bself tonight",
        "/greet i am going to kill myself tonight",
        '/faq_texting{"note": "i am going to kill myself tonight"}',
    ],
    ids=["zero-width", "slash-prefix", "payload-entities"],
)
def test_a_hidden_crisis_is_escalated(pair, text: str) -> None:
    reply = pair.send(text, f"rest-hidden-{abs(hash(text))}")
    assert "9-1-1" in texts(reply) and "988" in texts(reply)


def test_a_buttons_payload_still_works(pair) -> None:
    store = answers.AnswerStore(Path(pair.log.parent / "answers.db"))
    assert store.get("faq_boundaries").short in texts(pair.send("/faq_boundaries", "rest-button"))


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe\x00", b"[]", b'"text"', b'{"sender": "x", "message": ["x"]}', b'{"message": "hi"}',
     b'{"sender": null, "message": "hi"}', b'{"sender": {"a": 1}, "message": "hi"}'],
)  # fmt: skip
def test_a_malformed_body_gets_400_with_what_is_wrong(pair, body: bytes) -> None:
    r = post(pair, body)
    assert r.status_code == 400, (body, r.status_code, r.text[:200])


def test_a_rest_caller_cannot_reach_another_channels_conversation(pair) -> None:
    pair.send("can i text my therapist?", "12345")
    assert tracker_users(pair, "rest:12345") == ["can i text my therapist?"]
    r = requests.get(f"{pair.rasa_url}/conversations/telegram:12345/tracker", params={"token": pair.token}, timeout=30)
    assert [e for e in r.json()["events"] if e["event"] == "user"] == []  # REST "12345" is not Telegram chat 12345
    reply = pair.send("hello", "telegram:12345")  # naming the other channel only names a REST conversation
    assert reply and reply[0]["recipient_id"] == "telegram:12345"
    assert tracker_users(pair, "rest:telegram:12345") == ["hello"]


def test_purge_erases_the_conversation_in_the_running_server(pair) -> None:
    pair.send("can i text my therapist?", "rest-erase-me")
    pair.send(CRISIS, "rest-erase-me")
    pair.send("is it ok to be friends with my therapist", "rest-keep-me")
    before = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == "rest:rest-erase-me"]
    assert len(before) == 1
    env = servers._env(
        ALLIANCE_API_TOKEN=pair.token,
        ALLIANCE_SERVER_URL=pair.rasa_url,
        ALLIANCE_ESCALATIONS_DB=str(pair.escalations_db),
    )
    env.pop("ALLIANCE_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "rest:rest-erase-me"],
        cwd=config.ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "escalation rows deleted: 1" in done.stdout
    assert tracker_users(pair, "rest:rest-erase-me") == []
    assert [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == "rest:rest-erase-me"] == []
    assert tracker_users(pair, "rest:rest-keep-me") == ["is it ok to be friends with my therapist"]
    assert "9-1-1" in texts(pair.send("hello again", "rest-erase-me"))  # a new conversation starts cleanly


def test_the_api_token_never_appears_on_a_command_line(pair) -> None:
    for proc in pair.procs.values():
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert pair.token not in cmdline
    assert requests.get(f"{pair.rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{pair.rasa_url}/status", params={"token": pair.token}, timeout=10).status_code == 200


def test_the_widgets_rest_fallback_stays_in_the_widgets_conversation(pair) -> None:
    body = {"sender": "w1dgetSession01", "message": "can i text my therapist?", "input_channel": "socketio"}
    assert requests.post(f"{pair.rasa_url}/webhooks/rest/webhook", json=body, timeout=60).status_code == 200
    assert tracker_users(pair, "socketio:w1dgetSession01") == ["can i text my therapist?"]
    claim = {"sender": "777", "message": "hello", "input_channel": "telegram"}  # claiming another platform
    assert requests.post(f"{pair.rasa_url}/webhooks/rest/webhook", json=claim, timeout=60).status_code == 200
    assert tracker_users(pair, "rest:777") == ["hello"] and tracker_users(pair, "telegram:777") == []
