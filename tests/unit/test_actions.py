"""Every custom action, run with a fresh tracker and dispatcher against a real answer store."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot import config
from bot.content import answers
from bot.safety import escalations

DOMAIN: dict = {}


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def test_base_action_is_abstract_and_not_registered() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == {
        "action_answer_faq",
        "action_tell_more",
        "action_suggest_topics",
        "action_show_menu",
        "action_session_start",
        "action_record_escalation",
    }


def test_answer_faq_gives_vetted_short_answer_source_and_offer(answers_db: Path, make_tracker) -> None:
    expected = answers.AnswerStore(answers_db).get("faq_texting")
    messages, events = run(actions.ActionAnswerFaq(), make_tracker("faq_texting", "can i text my therapist?"))
    assert len(messages) == 2
    text, buttons = messages[0]["text"], messages[1]["buttons"]
    assert text.startswith(expected.short)
    assert expected.sections[0] in text and expected.article in text
    assert messages[1]["text"] == "Would you like me to tell you more?"
    assert buttons[0] == {"title": "Tell me more", "payload": "/affirm"}
    related = [b["payload"] for b in buttons[1:]]
    assert 1 <= len(related) <= 3 and related == [f"/{t}" for t in expected.related][: len(related)]
    assert SlotSet("more_topic", "faq_texting") in events and SlotSet("topic", "faq_texting") in events


def test_answer_faq_without_vetted_answer_says_so_and_shows_menu(answers_db: Path, make_tracker) -> None:
    messages, events = run(actions.ActionAnswerFaq(), make_tracker("faq_unknown_topic", "?"))
    assert messages[0]["text"].startswith("I don't have a reviewed answer for that yet.")
    assert messages[0]["buttons"], "the topic menu must follow"
    assert SlotSet("more_topic", None) in events


def test_answer_faq_with_missing_store_still_replies(tmp_path: Path, monkeypatch, make_tracker) -> None:
    monkeypatch.setenv("ALLIANCE_ANSWERS_DB", str(tmp_path / "missing.db"))
    messages, _ = run(actions.ActionAnswerFaq(), make_tracker("faq_texting", "can i text my therapist?"))
    assert messages and messages[0]["text"].strip()


def test_tell_more_gives_the_longer_text_once(answers_db: Path, make_tracker) -> None:
    expected = answers.AnswerStore(answers_db).get("faq_attraction")
    tracker = make_tracker("affirm", "tell me more", slots={"more_topic": "faq_attraction"})
    messages, events = run(actions.ActionTellMore(), tracker)
    assert messages[0]["text"].startswith(expected.more) and not messages[0]["buttons"]
    assert [b["payload"] for b in messages[1]["buttons"]] == [f"/{t}" for t in expected.related][:3]
    assert events == [SlotSet("more_topic", None)]


def test_tell_more_with_nothing_pending_shows_menu(answers_db: Path, make_tracker) -> None:
    messages, _ = run(actions.ActionTellMore(), make_tracker("affirm", "yes"))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        f"/{a.topic}" for a in answers.AnswerStore(answers_db).menu()
    ]


def test_suggest_topics_offers_top_ranked_faq_topics(answers_db: Path, make_tracker) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "faq_sex", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "faq_religion", "confidence": 0.1},
        {"name": "faq_trust", "confidence": 0.09},
    ]
    messages, _ = run(actions.ActionSuggestTopics(), make_tracker("nlu_fallback", "talk about stuff", ranking=ranking))
    assert messages[0]["text"].startswith("I'm not sure I understood. Did you mean")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ["/faq_sex", "/faq_religion"] and len(payloads) <= 3
    assert "/faq_trust" not in payloads, "below the confidence floor"


def test_suggest_topics_uses_fulltext_index_without_ranking(answers_db: Path, make_tracker) -> None:
    messages, _ = run(actions.ActionSuggestTopics(), make_tracker("nlu_fallback", "texting messages"))
    assert "/faq_texting" in [b["payload"] for b in messages[0]["buttons"]]


@pytest.mark.parametrize("text", ["", "zzzz qqqq", "<script>alert(1)</script>", "\x00\x01"])
def test_suggest_topics_with_no_candidates_shows_menu(answers_db: Path, make_tracker, text: str) -> None:
    messages, _ = run(actions.ActionSuggestTopics(), make_tracker("nlu_fallback", text))
    assert "not sure what you mean" in messages[0]["text"]
    assert len(messages[0]["buttons"]) == len(answers.AnswerStore(answers_db).menu())


def test_show_menu_lists_featured_buttons_and_names_the_rest(answers_db: Path, make_tracker) -> None:
    store = answers.AnswerStore(answers_db)
    messages, _ = run(actions.ActionShowMenu(), make_tracker("help", "what can you do"))
    assert [b["title"] for b in messages[0]["buttons"]] == [a.title for a in store.menu()]
    featured = {a.topic for a in store.menu()}
    for answer in store.vetted():
        if answer.topic not in featured:
            assert answer.title.lower() in messages[0]["text"]


def test_session_start_welcomes_and_starts_session(make_tracker) -> None:
    messages, events = run(actions.ActionSessionStart(), make_tracker())
    assert [m.get("response") for m in messages] == ["utter_welcome"]  # the Rasa server fills in the numbers
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


def test_record_escalation_writes_a_row_without_text(tmp_path: Path, monkeypatch, make_tracker) -> None:
    db = tmp_path / "escalations.db"
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(db))
    text = "i want to end it all tonight"
    tracker = make_tracker("crisis", text)
    tracker.latest_message["safety"] = {"crisis": True, "layer": "rules", "rule": "danger.want_to_die"}
    tracker.events.append({"event": "user", "text": text, "input_channel": "rest", "parse_data": {}})
    messages, events = run(actions.ActionRecordEscalation(), tracker)
    assert messages == [] and events == [SlotSet("crisis", True)]
    [row] = escalations.rows(db)
    assert row["conversation_id"] == "test-user" and row["channel"] == "rest"
    assert row["layer"] == "rules" and row["rule"] == "danger.want_to_die" and row["at"]
    assert set(row) == {"id", "at", "conversation_id", "channel", "layer", "rule"}
    assert text not in db.read_bytes().decode("latin-1")


def test_record_escalation_from_a_button_payload(tmp_path: Path, monkeypatch, make_tracker) -> None:
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(tmp_path / "e.db"))
    run(actions.ActionRecordEscalation(), make_tracker("crisis", "/crisis"))
    assert escalations.rows(tmp_path / "e.db")[0]["layer"] == "payload"


def test_answers_after_an_escalation_end_with_the_reminder(answers_db: Path, make_tracker) -> None:
    reminder = config.emergency().reminder
    before, _ = run(actions.ActionAnswerFaq(), make_tracker("faq_texting", "texting?"))
    after, _ = run(actions.ActionAnswerFaq(), make_tracker("faq_texting", "texting?", slots={"crisis": True}))
    menu, _ = run(actions.ActionShowMenu(), make_tracker("help", "help", slots={"crisis": True}))
    assert all(reminder not in m["text"] for m in before)
    assert after[-1]["text"] == reminder and menu[-1]["text"] == reminder


def test_the_reminder_uses_the_configured_numbers(monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", "UK")
    assert "116 123" in config.emergency().reminder and "9-1-1" not in config.emergency().reminder
