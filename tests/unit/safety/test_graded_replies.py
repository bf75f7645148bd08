"""The graded replies: which response each level, language and person gets, the check-in, and their texts."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import config
from bot.content import nlg
from bot.safety import checkin, escalations, language
from bot.safety import policy as crisis_policy

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))


def _user(text: str, intent: str, safety: dict | None = None, channel: str = "rest") -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 1.0}, "safety": safety} if safety else None
    return UserUttered(text, {"name": intent, "confidence": 1.0}, parse_data=parse, input_channel=channel)


def _tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("graded", [SessionStarted(), ActionExecuted("action_listen"), *events],
                                            slots=DOMAIN.slots)  # fmt: skip


def _turn(tracker: DialogueStateTracker) -> list[str]:
    """Every action the policy picks for the latest message, until it listens (or gives the turn to the rules)."""
    policy = crisis_policy.CrisisPolicy.create(crisis_policy.CrisisPolicy.get_default_config(), None, None, _Context())
    actions: list[str] = []
    while len(actions) < 5:
        probabilities = policy.predict_action_probabilities(tracker, DOMAIN).probabilities
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        if probabilities[best] <= 0:
            break
        actions.append(DOMAIN.action_names_or_texts[best])
        tracker.update(ActionExecuted(actions[-1]))
        if actions[-1] == "action_listen":
            break
    return actions


class _Context:
    is_finetuning = False


LEVEL1 = {"crisis": True, "level": 1, "layer": "rules", "kind": "suicide", "about": "self", "language": "en"}
LEVEL2 = {**LEVEL1, "level": 2}


@pytest.mark.parametrize(
    ("safety", "response"),
    [
        (LEVEL1, "utter_crisis"),
        ({**LEVEL1, "about": "other"}, "utter_crisis_other"),
        (LEVEL2, "utter_crisis_checkin"),
        ({**LEVEL1, "language": "es"}, "utter_crisis_es"),
        ({**LEVEL1, "language": "es", "about": "other"}, "utter_crisis_other_es"),
        ({**LEVEL2, "language": "es"}, "utter_crisis_checkin_es"),
        (None, "utter_crisis"),  # the "/crisis" payload: level 1
    ],
)
def test_each_level_language_and_person_gets_its_reply_then_the_record(safety, response) -> None:
    assert _turn(_tracker(_user("...", "crisis", safety))) == [response, "action_record_escalation", "action_listen"]


def test_a_crisis_after_a_failed_session_start_still_gets_its_reply() -> None:
    tracker = DialogueStateTracker.from_events(
        "graded", [ActionExecuted("action_session_start"), _user("...", "crisis", LEVEL2)], slots=DOMAIN.slots
    )
    assert _turn(tracker)[0] == "utter_crisis_checkin"


def _after_checkin(text: str, intent: str, language_: str = "en", safety: dict | None = None) -> list[str]:
    checkin_response = "utter_crisis_checkin_es" if language_ == "es" else "utter_crisis_checkin"
    tracker = _tracker(
        _user("i wish i wasn't here", "crisis", {**LEVEL2, "language": language_}), SlotSet("crisis", True),
        ActionExecuted(checkin_response), BotUttered("Are you safe right now?"),
        ActionExecuted("action_record_escalation"), ActionExecuted("action_listen"), _user(text, intent, safety),
    )  # fmt: skip
    return _turn(tracker)


@pytest.mark.parametrize(
    ("text", "intent"),
    [("I'm safe for now", "nlu_fallback"), ("yeah", "affirm"), ("i'm ok", "out_of_scope"), ("I think so", "greet")],
)
def test_an_answer_that_says_safe_gets_the_safe_reply(text: str, intent: str) -> None:
    assert _after_checkin(text, intent) == ["utter_checkin_safe", "action_listen"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [("no", "deny"), ("not really", "out_of_scope"), ("idk", "nlu_fallback"), ("i'm not safe", "affirm"),
     ("I need help now", "crisis")],
)  # fmt: skip
def test_an_answer_that_says_not_safe_or_not_sure_escalates_to_level_1(text: str, intent: str) -> None:
    assert _after_checkin(text, intent)[:2] == ["utter_crisis", "action_record_escalation"]


def test_the_spanish_check_in_is_answered_in_spanish() -> None:
    assert _after_checkin("estoy bien", "out_of_scope", "es")[0] == "utter_checkin_safe_es"
    assert _after_checkin("no sé", "out_of_scope", "es")[0] == "utter_crisis_es"


def test_a_question_after_the_check_in_is_answered_as_usual() -> None:
    assert _after_checkin("can i text my therapist", "faq_texting") == []


def test_after_a_crisis_an_unmatched_message_gets_support_never_out_of_scope() -> None:
    tracker = _tracker(
        _user("i want to die", "crisis", LEVEL1), SlotSet("crisis", True), ActionExecuted("utter_crisis"),
        ActionExecuted("action_record_escalation"), ActionExecuted("action_listen"),
        ActionExecuted("action_listen"), _user("i just feel empty", "out_of_scope"),
    )  # fmt: skip
    assert _turn(tracker) == ["utter_crisis_support", "action_listen"]
    before = _tracker(_user("what's the weather", "out_of_scope"))
    assert _turn(before) == [], "before any crisis, out of scope is the rules' business"


@pytest.mark.parametrize(("tongue", "after_crisis", "response"), [
    ("other", False, "utter_other_language"), ("es", False, "utter_other_language"),
    ("es", True, "utter_crisis_support_es"),
])  # fmt: skip
def test_a_language_alliance_cant_read_gets_one_short_reply(tongue, after_crisis, response) -> None:
    safety = {"crisis": False, "layer": "language", "language": tongue}
    events = [SlotSet("crisis", True)] if after_crisis else []
    assert _turn(_tracker(*events, _user("...", "out_of_scope", safety))) == [response, "action_listen"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", checkin.SAFE), ("yeah i'm ok", checkin.SAFE), ("safe for now i guess", checkin.SAFE),
        ("Estoy a salvo por ahora", checkin.SAFE), ("sí", checkin.SAFE), ("all good, thanks", checkin.SAFE),
        ("no", checkin.UNSAFE), ("not really", checkin.UNSAFE), ("i don't know", checkin.UNSAFE),
        ("idk", checkin.UNSAFE), ("I'm not ok", checkin.UNSAFE), ("help", checkin.UNSAFE),
        ("no estoy bien", checkin.UNSAFE), ("Necesito ayuda ya", checkin.UNSAFE), ("maybe", checkin.UNSAFE),
        ("what should i ask my therapist", checkin.OTHER),
    ],
)  # fmt: skip
def test_the_check_in_answer_is_understood_whatever_the_words(text: str, expected: str) -> None:
    assert checkin.interpret(text, None) == expected


def _parsed(safety: dict, channel: str = "rest") -> DialogueStateTracker:
    return _tracker(_user("...", "crisis", safety, channel))


async def test_level_2_check_in_is_warm_names_988_and_asks_with_quick_replies() -> None:
    response = await nlg.AllianceNLG(domain=DOMAIN).generate("utter_crisis_checkin", _parsed(LEVEL2), "rest")
    text = response["text"]
    assert text.startswith("I'm really sorry") and text.rstrip().endswith("Are you safe right now?")
    for words in ("988", "988lifeline.org", "free", "confidential", "24/7"):
        assert words in text
    assert "9-1-1" not in text, "the check-in is not the emergency reply"
    assert [b["title"] for b in response["buttons"]] == ["I'm safe for now", "I need help now"]


async def test_the_reply_to_a_helper_speaks_of_them() -> None:
    response = await nlg.AllianceNLG(domain=DOMAIN).generate(
        "utter_crisis_other", _parsed({**LEVEL1, "about": "other"}), "rest"
    )
    assert "If they are in immediate danger, call 9-1-1" in response["text"]
    assert "If you are in immediate danger" not in response["text"]


@pytest.mark.parametrize(("kind", "words", "payload"), [
    ("domestic_violence", "1-800-799-7233", "sms:88788?body=START"),
    ("child_abuse", "1-800-422-4453", "tel:18004224453"),
])  # fmt: skip
async def test_abuse_at_home_and_a_child_at_risk_add_their_lines(kind, words, payload) -> None:
    response = await nlg.AllianceNLG(domain=DOMAIN).generate("utter_crisis", _parsed({**LEVEL1, "kind": kind}), "rest")
    assert words in response["text"] and payload in [b["payload"] for b in response["buttons"]]
    assert len(response["buttons"]) <= 5
    plain = await nlg.AllianceNLG(domain=DOMAIN).generate("utter_crisis", _parsed(LEVEL1), "rest")
    assert words not in plain["text"]


async def test_the_spanish_reply_names_the_spanish_options() -> None:
    response = await nlg.AllianceNLG(domain=DOMAIN).generate(
        "utter_crisis_es", _parsed({**LEVEL1, "language": "es"}), "rest"
    )
    assert "9-1-1" in response["text"] and "marca 2" in response["text"] and "AYUDA" in response["text"]
    assert "sms:988?body=AYUDA" in [b["payload"] for b in response["buttons"]]


async def test_the_reply_in_two_languages_names_the_emergency_number_in_both() -> None:
    response = await nlg.AllianceNLG(domain=DOMAIN).generate("utter_other_language", _tracker(), "rest")
    english, spanish = response["text"].split("\n\n")
    assert "call 9-1-1" in english and "llama al 9-1-1" in spanish


async def test_a_mention_gets_a_pointer_to_the_crisis_line_under_the_answer() -> None:
    mention = {"crisis": False, "level": 3, "layer": "rules", "overruled_by": "mention.study_and_work"}
    tracker = _tracker(_user("...", "medical_advice", mention))
    response = await nlg.AllianceNLG(domain=DOMAIN).generate("utter_medical_advice", tracker, "rest")
    assert response["text"].endswith(config.emergency().pointer) and "988" in response["text"]


def test_no_response_offers_the_withdrawn_lgbtq_option() -> None:
    texts = str(DOMAIN.responses) + str(config.EMERGENCY_PRESETS)
    assert "press 3" not in texts.lower() and "marca 3" not in texts.lower()


def test_escalation_rows_carry_the_level_and_never_the_text(tmp_path) -> None:
    path = tmp_path / "e.db"
    escalations.record_parse("c1", "rest", {"text": "secret words", "intent": {"name": "crisis"}, "safety": LEVEL2},
                             path)  # fmt: skip
    escalations.record_parse("c1", "rest", {"text": "no", "intent": {"name": "deny"}}, path)
    rows = escalations.rows(path)
    assert [(r["level"], r["layer"]) for r in rows] == [(2, "rules"), (1, "checkin")]
    assert "secret" not in path.read_bytes().decode("latin-1")


@pytest.mark.parametrize(("text", "expected"), [
    ("quiero morirme", "es"), ("me quiero morir alv", "es"), ("mi terapeuta no me entiende", "es"),
    ("je veux mourir", "other"), ("Ich will sterben", "other"), ("我想死", "other"), ("quero me matar", "es"),
    ("can i text my therapist", "en"), ("hiii", "en"), ("ok", "en"), ("no", "en"), ("k thx bye", "en"),
    ("hola! can i text my therapist?", "en"), ("José Luis", "en"), ("cna i txt my therpist", "en"),
    ("im gay and is it ok", "en"), ("kms", "en"),
    ("li di l ap touye m aswè a", "other"), ("mwen vle mouri", "other"),
])  # fmt: skip
def test_language_detection(text: str, expected: str) -> None:
    assert language.detect(text) == expected
