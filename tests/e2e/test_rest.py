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
    url = f"{pair.rasa_url}/conversations/rest:e2e-private/tracker"  # REST ids are qualified
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
    assert ["tel:911", "tel:988", "sms:741741?body=HOME"] == [b["payload"] for m in reply for b in m.get("buttons", [])]

    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == f"rest:{user}"]
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
    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == f"rest:{user}"]
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


# The graded replies, each served by the Rasa server alone (the action server is down here).


def _rows(pair, user: str) -> list[dict]:
    return [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == f"rest:{user}"]


def test_risk_gets_a_check_in_and_i_need_help_now_escalates(without_actions) -> None:
    pair, user = without_actions, "e2e-level-2"
    reply = pair.send("honestly i wish i could go to sleep and never wake up", user)
    [check_in] = [m for m in reply if "Are you safe right now?" in m.get("text", "")]  # after the welcome
    assert "988lifeline.org" in check_in["text"] and "9-1-1" not in check_in["text"]
    assert ["I'm safe for now", "I need help now"] == [b["title"] for b in check_in["buttons"]]
    help_now = pair.send("I need help now", user)
    assert "call 9-1-1 now" in texts(help_now)
    assert [(r["level"], r["channel"]) for r in _rows(pair, user)] == [(2, "rest"), (1, "rest")]
    assert "sleep" not in pair.escalations_db.read_bytes().decode("latin-1")


def test_an_answer_that_says_safe_is_heard(without_actions) -> None:
    pair, user = without_actions, "e2e-level-2-safe"
    pair.send("everyone would be better off without me", user)
    safe = pair.send("yeah im ok for now", user)
    assert "glad you're safe" in texts(safe) and "988" in texts(safe)
    unsure = pair.send("i just feel empty", user)
    assert "outside what I can help with" not in texts(unsure) and "988" in texts(unsure)


def test_someone_else_in_danger_gets_a_reply_for_the_helper(without_actions) -> None:
    reply = without_actions.send("my friend just swallowed a whole bottle of pills", "e2e-other")
    assert "If they are in immediate danger, call 9-1-1" in texts(reply)


def test_abuse_at_home_adds_the_hotline(without_actions) -> None:
    reply = without_actions.send("my husband is hitting me right now", "e2e-dv")
    assert "1-800-799-7233" in texts(reply)
    assert "sms:88788?body=START" in [b["payload"] for m in reply for b in m.get("buttons", [])]


def test_spanish_crisis_is_answered_in_spanish(without_actions) -> None:
    reply = without_actions.send("ya no quiero vivir, tengo las pastillas aquí", "e2e-es")
    assert "9-1-1" in texts(reply) and "marca 2" in texts(reply) and "AYUDA" in texts(reply)
    assert _rows(without_actions, "e2e-es")[0]["language"] == "es"


@pytest.mark.parametrize("message", ["je veux mourir", "Ich will nicht mehr leben", "quero saber se posso ligar"])
def test_a_language_alliance_cant_read_gets_the_number_in_english_and_spanish(without_actions, message) -> None:
    reply = without_actions.send(message, f"e2e-lang-{abs(hash(message))}")
    assert "call 9-1-1" in texts(reply) and "llama al 9-1-1" in texts(reply)
    assert "outside what I can help with" not in texts(reply)


def test_a_mention_gets_the_answer_with_a_pointer(running) -> None:
    pair, store = running
    pair.send("hi", "e2e-3")  # the welcome, which names 9-1-1, comes first
    reply = pair.send("we studied suicide prevention in my psychology class. can i bring that up in therapy?", "e2e-3")
    assert "9-1-1" not in texts(reply) and "Are you safe" not in texts(reply)
    assert config.emergency().pointer in texts(reply) and not _rows(pair, "e2e-3")
