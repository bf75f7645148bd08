"""What the NLU reads: invisible characters out, long messages read whole, payloads that hide words."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot import config
from bot.nlu.text import CleanText, clean
from bot.safety import guard, policy

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))
ZWSP, ZWJ, SHY, RLM, BOM = "\u200b", "\u200d", "\u00ad", "\u200f", "\ufeff"


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (f"i want to k{ZWSP}ill my{SHY}self", "i want to kill myself"),
        (f"{BOM}hello{RLM} there{ZWJ}", "hello there"),
        ("".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "i want to die"), "i want to die"),  # full width
        ("line one\x00\x07line two\r\nthree", "line one line two \nthree"),
        ("can i text my therapist?", "can i text my therapist?"),
        ("k\u034fi\ufe0fl\u3164l my\U000e0101self", "kill myself"),  # default-ignorable, not only format
    ],
)
def test_the_pipeline_reads_what_a_person_sees(sent: str, read: str) -> None:
    assert clean(sent) == read


def test_clean_text_changes_only_what_the_pipeline_reads() -> None:
    message = Message(data={"text": f"kill{ZWSP} myself"})
    CleanText().process([message])
    assert message.get("text") == "kill myself"


def _parsed(text: str, nlp, intent: str = "faq_texting", confidence: float = 0.7) -> Message:
    read = clean(text)
    message = Message(data={"text": read, "text_spacy_doc": nlp(read.lower())})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}], add_to_output=True)
    return message


def test_a_crisis_hidden_by_zero_width_characters_is_escalated(rules, nlp) -> None:
    message = _parsed(f"i am going to k{ZWSP}i{ZWJ}ll my{ZWSP}self tonight", nlp)
    guard.CrisisGuard(rules).process([message])
    assert message.get("intent")["name"] == "crisis" and message.get("safety")["layer"] == "rules"


@pytest.mark.parametrize(
    "text",
    [
        "/greet i am going to kill myself tonight",
        '/faq_texting{"note": "i am going to kill myself tonight"}',
        "/greet{} i want to die",
        '/greet{"x": "\\u0069 am going to \\u006bill myself tonight"}',  # as Rasa decodes it
    ],
)
def test_a_crisis_behind_an_injected_payload_is_read_as_words(rules, nlp, text: str) -> None:
    message = _parsed(text, nlp, intent="greet")
    guard.CrisisGuard(rules).process([message])
    assert message.get("intent")["name"] == "crisis"
    assert not message.get("text").startswith("/")  # so Rasa's payload handler leaves it alone


@pytest.mark.parametrize("payload", ["/faq_texting", "/feedback_helpful", '/ask_again{"topic": "faq_sex"}', "/crisis"])
def test_a_buttons_payload_stays_a_payload(rules, nlp, payload: str) -> None:
    message = _parsed(payload, nlp)
    guard.CrisisGuard(rules).process([message])
    assert message.get("text") == payload


def test_a_slash_before_ordinary_words_is_just_a_typo(rules, nlp) -> None:
    message = _parsed("/ can i text my therapist", nlp)
    guard.CrisisGuard(rules).process([message])
    assert message.get("text") == "can i text my therapist" and message.get("intent")["name"] == "faq_texting"


def test_a_long_message_is_read_to_its_end_for_danger(rules, nlp, monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_MAX_MESSAGE_CHARS", "4000")
    filler = "I have been thinking about whether to text my therapist between sessions. " * 200
    message = _parsed(filler + "i have the pills ready and i am going to take them all tonight", nlp)
    guard.CrisisGuard(rules).process([message])
    assert len(message.get("text")) > 14000 and message.get("intent")["name"] == "crisis"


def test_a_long_message_without_danger_asks_for_a_shorter_one(rules, nlp, monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_MAX_MESSAGE_CHARS", "4000")
    message = _parsed("I have been wondering whether I can text my therapist at night. " * 80, nlp)
    guard.CrisisGuard(rules).process([message])
    assert message.get("safety")["layer"] == "length" and message.get("intent")["name"] == "out_of_scope"
    short = _parsed("I have been wondering whether I can text my therapist at night.", nlp)
    guard.CrisisGuard(rules).process([short])
    assert short.get("intent")["name"] == "faq_texting"


def test_the_long_message_reply_comes_from_the_rasa_server() -> None:
    latest = UserUttered("x" * 5000, {"name": "out_of_scope", "confidence": 1.0},
                         parse_data={"safety": {"crisis": False, "layer": "length"}})  # fmt: skip
    tracker = DialogueStateTracker.from_events("rest:long", [ActionExecuted("action_listen"), latest], DOMAIN.slots)
    assert policy.plan(tracker) == ["utter_too_long", "action_listen"]
    assert "utter_too_long" in DOMAIN.responses
