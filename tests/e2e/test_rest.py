"""End to end: the real Rasa server and action server, a conversation over the REST channel."""

from __future__ import annotations

import pytest
import requests

from bot import config
from bot.content import answers
from bot.safety import escalations
from bot.stores import records
from tests import servers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("e2e")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    pair = servers.start(workdir, db)
    yield pair, answers.AnswerStore(db)
    pair.stop_all()


def texts(reply: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in reply)


def test_five_turn_conversation_over_rest(running) -> None:
    pair, store = running
    user = "e2e-five-turns"

    first = pair.send("hello", user)
    assert "automated assistant" in texts(first) and "9-1-1" in texts(first)

    second = pair.send("can I text my therapist?", user)
    assert store.get("faq_texting").short in texts(second)
    buttons = [b["payload"] for m in second for b in m.get("buttons", [])]
    assert buttons[0] == "/affirm" and "/faq_boundaries" in buttons

    third = pair.send("tell me more", user)
    assert store.get("faq_texting").more in texts(third)

    fourth = pair.send("/faq_boundaries", user)
    assert store.get("faq_boundaries").short in texts(fourth)

    fifth = pair.send("thank you so much", user)
    assert "You're welcome" in texts(fifth)


def test_not_helpful_over_rest_is_recorded_and_offers_asking_again(running) -> None:
    pair, store = running
    user, db = "e2e-feedback", pair.records_db
    texting = store.get("faq_texting")

    def answered() -> list[dict]:
        return [r for r in records.rows("turns", db) if r["channel"] == "rest" and r["kind"] == records.ANSWER]

    turns_before, votes_before = len(answered()), len(records.rows("votes", db))

    answer = pair.send("can I text my therapist about a quite distinctive worry?", user)
    assert texting.short in texts(answer)
    offer = answer[-1]
    assert [b["title"] for b in offer["buttons"]][-2:] == ["Helpful", "Not helpful"]
    assert [b["payload"] for b in offer["buttons"]][-2:] == ["/feedback_helpful", "/feedback_not_helpful"]
    turns = answered()
    assert len(turns) == turns_before + 1 and turns[-1]["topic"] == "faq_texting"

    sorry = pair.send("/feedback_not_helpful", user)
    assert texts(sorry).startswith("Sorry that didn't help.")
    payloads = [b["payload"] for m in sorry for b in m.get("buttons", [])]
    assert payloads[-1] == "/ask_again" and f"/{texting.related[0]}" in payloads

    votes = records.rows("votes", db)
    assert len(votes) == votes_before + 1
    vote = votes[-1]
    assert (vote["channel"], vote["topic"], vote["vote"]) == ("rest", "faq_texting", records.NOT_HELPFUL)
    assert vote["version"] == records.answer_version(texting.reviewed, texting.short, texting.more)
    assert "distinctive worry" not in db.read_bytes().decode("latin-1")

    again = pair.send("/ask_again", user)
    assert texts(again) == "Sure. Type your question in other words and I'll try again."


def test_tracker_needs_the_token(running) -> None:
    pair, _ = running
    pair.send("hello", "e2e-private")
    url = f"{pair.rasa_url}/conversations/e2e-private/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": pair.token}, timeout=10).status_code == 200


def test_action_server_listens_on_loopback_only(running) -> None:
    pair, _ = running
    assert pair.actions_url.startswith("http://127.0.0.1:")
    port = int(pair.actions_url.rsplit(":", 1)[1])
    listening = servers.listening_addresses(port)
    assert listening and listening <= {"127.0.0.1", "::1"}


@pytest.mark.parametrize(
    "message",
    ["", "   ", "x" * 20000, "<img src=x onerror=alert(1)>", "\u0000\u00ff\ufffd"],
    ids=["empty", "blank", "huge", "html", "binary"],
)
def test_bad_input_gets_an_answer(running, message: str) -> None:
    pair, _ = running
    reply = pair.send(message, "e2e-bad-input")
    assert texts(reply).strip(), f"no reply to {message[:20]!r}"


CRISIS_MESSAGE = "i have been saving up my pills and tonight is the night"


def test_crisis_is_escalated_recorded_and_remembered(running) -> None:
    pair, store = running
    user = "e2e-crisis"
    pair.send("can i text my therapist?", user)

    reply = pair.send(CRISIS_MESSAGE, user)
    assert "9-1-1" in texts(reply) and "988" in texts(reply) and "741741" in texts(reply)
    assert ["tel:911", "tel:988", "sms:741741"] == [b["payload"] for m in reply for b in m.get("buttons", [])]

    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == user]
    assert len(rows) == 1 and rows[0]["channel"] == "rest" and rows[0]["layer"] in {"rules", "classifier+rules"}
    assert "pills" not in pair.escalations_db.read_bytes().decode("latin-1")

    reminder = config.emergency().reminder
    later = pair.send("no im fine", user)
    assert texts(later).endswith(reminder)
    faq = pair.send("is it ok to talk about religion with my counselor", user)
    assert store.get("faq_religion").short in texts(faq) and texts(faq).endswith(reminder)


def test_messages_are_not_logged(running) -> None:
    pair, _ = running
    pair.send("a very particular sentence about my therapist", "e2e-log")
    assert "particular sentence" not in pair.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def without_actions(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("e2e-down")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    pair = servers.start(workdir, db, with_actions=False)
    yield pair
    pair.stop_all()


@pytest.mark.parametrize("message", [CRISIS_MESSAGE, "i want to kill myself", "my dad is not breathing"])
def test_crisis_reply_needs_no_action_server(without_actions, message: str) -> None:
    # A new conversation: even the session start (a custom action) fails here.
    reply = without_actions.send(message, f"e2e-down-{abs(hash(message))}")
    assert "9-1-1" in texts(reply) and "automated assistant" in texts(reply)


def test_with_the_action_server_down_every_message_is_answered_and_answers_resume(without_actions) -> None:
    """A conversation that begins while the action server is down: its session start fails too."""
    import subprocess
    import sys

    pair, user = without_actions, "e2e-down-then-up"
    first = pair.send("hello", user)
    assert "automated assistant" in texts(first) and "9-1-1" in texts(first)  # the welcome, from the Rasa server
    faq = pair.send("can i text my therapist?", user)
    assert "can't fetch that answer right now" in texts(faq)
    crisis = pair.send("i am going to kill myself", user)
    assert "9-1-1" in texts(crisis) and "988" in texts(crisis)
    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == user]
    assert len(rows) == 1 and rows[0]["channel"] == "rest"  # recorded by the Rasa server itself

    port = pair.actions_url.rsplit(":", 1)[1]
    pair.procs["actions"] = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        cwd=config.ROOT,
        env=servers._env(ALLIANCE_ESCALATIONS_DB=str(pair.escalations_db), ALLIANCE_RECORDS_DB=str(pair.records_db)),
        stdout=pair.log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    servers.wait_for(f"{pair.actions_url}/health", pair.procs["actions"])
    store = answers.AnswerStore(answers.build_database(config.answers_source(), pair.log.parent / "answers.db"))
    later = pair.send("can i text my therapist?", user)
    assert store.get("faq_texting").short in texts(later)  # no restart needed
    assert texts(later).endswith(config.emergency().reminder)  # the conversation remembers the escalation
