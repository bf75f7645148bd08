"""Every custom action, run with a fresh tracker and dispatcher against a real answer store."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot import config
from bot.content import answers, replies
from bot.safety import escalations
from bot.stores import misses, records

DOMAIN: dict = {}


@pytest.fixture(autouse=True)
def records_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test here writes its turns and votes to a records database of its own."""
    db = tmp_path / "records.db"
    monkeypatch.setenv("ALLIANCE_RECORDS_DB", str(db))
    return db


def said(tracker, text: str, channel: str):
    """The tracker with the user's message as an event, which is where the input channel is read."""
    tracker.events.append({"event": "user", "text": text, "input_channel": channel, "parse_data": {}})
    return tracker


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
        "action_record_feedback",
    }


def test_answer_faq_gives_vetted_short_answer_source_and_offer(answers_db: Path, make_tracker) -> None:
    expected = answers.AnswerStore(answers_db).get("faq_texting")
    messages, events = run(actions.ActionAnswerFaq(), make_tracker("faq_texting", "can i text my therapist?"))
    assert len(messages) == 2
    text, buttons = messages[0]["text"], messages[1]["buttons"]
    assert text.startswith(expected.short) and not messages[0]["buttons"]
    assert expected.sections[0] in text and expected.article in text
    assert messages[1]["text"] == "Would you like me to tell you more?"
    assert buttons[0] == {"title": "Tell me more", "payload": "/affirm"}
    assert buttons[-2:] == [
        {"title": "Helpful", "payload": "/feedback_helpful"},
        {"title": "Not helpful", "payload": "/feedback_not_helpful"},
    ]
    related = [b["payload"] for b in buttons[1:-2]]
    assert 1 <= len(related) <= 2 and related == [f"/{t}" for t in expected.related][: len(related)]
    assert len(buttons) <= 5, "Slack drops every button of a message with more than five"
    assert SlotSet("more_topic", "faq_texting") in events and SlotSet("topic", "faq_texting") in events


def test_answer_faq_records_the_turn_without_the_question(answers_db: Path, records_db: Path, make_tracker) -> None:
    question = "can i text my therapist about my very particular worry?"
    run(actions.ActionAnswerFaq(), said(make_tracker("faq_texting", question), question, "telegram"))
    [row] = records.rows("turns", records_db)
    assert set(row) == {"at", "channel", "topic", "kind"} and row["at"]
    assert (row["channel"], row["topic"], row["kind"]) == ("telegram", "faq_texting", records.ANSWER)
    assert "particular worry" not in records_db.read_bytes().decode("latin-1")


def test_answer_faq_records_no_answer_turn_when_none_went_out(answers_db: Path, records_db: Path, make_tracker) -> None:
    run(actions.ActionAnswerFaq(), said(make_tracker("faq_unknown_topic", "?"), "?", "rest"))
    assert records.rows("turns", records_db) == []


def test_fallback_records_a_turn_with_no_topic_and_no_text(answers_db: Path, records_db: Path, make_tracker) -> None:
    text = "talk about my quite singular stuff"
    messages, _ = run(actions.ActionSuggestTopics(), said(make_tracker("nlu_fallback", text), text, "socketio"))
    assert messages and messages[0]["buttons"]
    [row] = records.rows("turns", records_db)
    assert (row["channel"], row["topic"], row["kind"]) == ("socketio", None, records.FALLBACK)
    assert "singular" not in records_db.read_bytes().decode("latin-1")


def test_a_record_that_cannot_be_written_never_costs_the_reply(
    answers_db: Path, tmp_path: Path, monkeypatch, make_tracker
) -> None:
    monkeypatch.setenv("ALLIANCE_RECORDS_DB", str(tmp_path))  # a folder: sqlite can't open it
    messages, _ = run(actions.ActionAnswerFaq(), said(make_tracker("faq_texting", "texting?"), "texting?", "rest"))
    assert messages[0]["text"].startswith(answers.AnswerStore(answers_db).get("faq_texting").short)
    tracker = make_tracker("feedback_helpful", "/feedback_helpful", slots={"topic": "faq_texting"})
    feedback, _ = run(actions.ActionRecordFeedback(), said(tracker, "/feedback_helpful", "rest"))
    assert [m["text"] for m in feedback] == [replies.VOTE_THANKS]


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
        {"name": "faq_trust", "confidence": 0.04},
    ]
    messages, _ = run(actions.ActionSuggestTopics(), make_tracker("nlu_fallback", "talk about stuff", ranking=ranking))
    assert messages[0]["text"].startswith("I'm not sure I understood. Did you mean")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ["/faq_sex", "/faq_religion"] and len(payloads) <= config.fallback_suggestions() == 4
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
    tracker.latest_message["safety"] = {
        "crisis": True, "level": 1, "layer": "rules", "rule": "imminent.suicide", "kind": "suicide", "language": "en",
    }  # fmt: skip
    tracker.events.append({"event": "user", "text": text, "input_channel": "rest", "parse_data": {}})
    messages, events = run(actions.ActionRecordEscalation(), tracker)
    assert messages == [] and events == [SlotSet("crisis", True)]
    [row] = escalations.rows(db)
    assert row["conversation_id"] == "test-user" and row["channel"] == "rest"
    assert row["layer"] == "rules" and row["rule"] == "imminent.suicide" and row["at"]
    assert (row["level"], row["kind"], row["language"]) == (1, "suicide", "en")
    assert set(row) == {"id", "at", "conversation_id", "channel", "layer", "rule", "level", "language", "kind"}
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


# ---- "Helpful" and "Not helpful"


def vote_on(make_tracker, intent: str, topic: str | None, channel: str = "slack", text: str = "", **slots):
    tracker = make_tracker(intent, text or f"/{intent}", slots={"topic": topic, **slots})
    return run(actions.ActionRecordFeedback(), said(tracker, text or f"/{intent}", channel))


def test_helpful_is_recorded_by_topic_version_and_channel_and_thanked(
    answers_db: Path, records_db: Path, make_tracker
) -> None:
    answer = answers.AnswerStore(answers_db).get("faq_texting")
    messages, events = vote_on(make_tracker, "feedback_helpful", "faq_texting", "slack", "that helped a lot, my secret")
    assert [m["text"] for m in messages] == [replies.VOTE_THANKS] and not messages[0]["buttons"]
    assert events == []  # the slots stay: "Tell me more" still works after a vote
    [row] = records.rows("votes", records_db)
    assert row["topic"] == "faq_texting" and row["vote"] == records.HELPFUL and row["channel"] == "slack"
    assert row["version"] == records.answer_version(answer.reviewed, answer.short, answer.more)
    assert row["version"].startswith(answer.reviewed + ":") and row["at"]
    import sqlite_utils

    columns = set(sqlite_utils.Database(records_db)["votes"].columns_dict)
    assert columns == {"at", "channel", "topic", "version", "vote"}, "no column for any text"
    assert "my secret" not in records_db.read_bytes().decode("latin-1")


def test_the_version_changes_with_the_answers_text(answers_db: Path) -> None:
    answer = answers.AnswerStore(answers_db).get("faq_texting")
    version = records.answer_version(answer.reviewed, answer.short, answer.more)
    assert records.answer_version(answer.reviewed, answer.short + " More.", answer.more) != version
    assert records.answer_version("2099-01-01", answer.short, answer.more) != version


def test_not_helpful_is_recorded_and_offers_related_topics_and_asking_again(
    answers_db: Path, records_db: Path, make_tracker
) -> None:
    answer = answers.AnswerStore(answers_db).get("faq_attraction")
    messages, _ = vote_on(make_tracker, "feedback_not_helpful", "faq_attraction", "telegram", "not what i asked")
    [message] = messages
    assert message["text"] == replies.VOTE_SORRY and message["text"].startswith("Sorry")
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[-1] == "/ask_again" and message["buttons"][-1]["title"] == "Ask in other words"
    assert payloads[:-1] == [f"/{t}" for t in answer.related][:3] and payloads[:-1]
    [row] = records.rows("votes", records_db)
    assert (row["topic"], row["vote"], row["channel"]) == ("faq_attraction", records.NOT_HELPFUL, "telegram")
    assert records.rows("turns", records_db) == []  # a vote is not a question
    assert "not what i asked" not in records_db.read_bytes().decode("latin-1")


@pytest.mark.parametrize("intent", ["feedback_helpful", "feedback_not_helpful"])
def test_a_vote_before_any_answer_says_so_and_shows_the_menu(
    answers_db: Path, records_db: Path, make_tracker, intent: str
) -> None:
    messages, _ = vote_on(make_tracker, intent, None)
    assert messages[0]["text"].startswith(replies.NOTHING_TO_VOTE_ON)
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        f"/{a.topic}" for a in answers.AnswerStore(answers_db).menu()
    ]
    assert records.rows("votes", records_db) == []


@pytest.mark.parametrize(
    ("intent", "topic"), [("affirm", "faq_texting"), (None, "faq_texting"), ("feedback_helpful", "faq_gone")]
)
def test_feedback_without_a_vote_or_an_answer_records_nothing(
    answers_db: Path, records_db: Path, make_tracker, intent, topic
) -> None:
    tracker = said(make_tracker(intent, "hm", slots={"topic": topic}), "hm", "rest")
    messages, _ = run(actions.ActionRecordFeedback(), tracker)
    assert messages[0]["text"].startswith(replies.NOTHING_TO_VOTE_ON) and messages[0]["buttons"]
    assert records.rows("votes", records_db) == []


def test_votes_after_an_escalation_end_with_the_reminder(answers_db: Path, make_tracker) -> None:
    reminder = config.emergency().reminder
    for intent in ("feedback_helpful", "feedback_not_helpful"):
        messages, _ = vote_on(make_tracker, intent, "faq_texting", crisis=True)
        assert messages[-1]["text"] == reminder
        assert all(reminder not in m["text"] for m in vote_on(make_tracker, intent, "faq_texting")[0])
    none, _ = vote_on(make_tracker, "feedback_helpful", None, crisis=True)
    assert none[-1]["text"] == reminder


def test_without_the_opt_in_no_question_is_remembered_or_queued(answers_db: Path, records_db: Path, make_tracker):
    question = "can i text my therapist at jane@example.org?"
    _, events = run(actions.ActionAnswerFaq(), said(make_tracker("faq_texting", question), question, "rest"))
    assert SlotSet("question", None) in events
    tracker = make_tracker("feedback_not_helpful", "/feedback_not_helpful", slots={"topic": "faq_texting"})
    run(actions.ActionRecordFeedback(), said(tracker, "/feedback_not_helpful", "rest"))
    run(actions.ActionSuggestTopics(), said(make_tracker("nlu_fallback", "zxqv my therapist"), "zxqv", "rest"))
    assert misses.pending(records_db) == []
    assert b"jane@example.org" not in records_db.read_bytes() and b"zxqv" not in records_db.read_bytes()


def test_with_the_opt_in_missed_questions_wait_for_review_redacted(
    answers_db: Path, records_db: Path, make_tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "true")
    question = "can i text my therapist at jane@example.org about fees?"
    _, events = run(actions.ActionAnswerFaq(), said(make_tracker("faq_texting", question), question, "rest"))
    assert SlotSet("question", question) in events
    slots = {"topic": "faq_texting", "question": question}
    tracker = make_tracker("feedback_not_helpful", "/feedback_not_helpful", slots=slots)
    _, events = run(actions.ActionRecordFeedback(), said(tracker, "/feedback_not_helpful", "rest"))
    assert SlotSet("question", None) in events  # queued once, then forgotten
    unclear = "what about the zxqv forms my counselor mentioned"
    run(actions.ActionSuggestTopics(), said(make_tracker("nlu_fallback", unclear), unclear, "slack"))
    queued = [(m["kind"], m["channel"], m["text"]) for m in misses.pending(records_db)]
    assert queued == [
        ("not_helpful", "rest", "can i text my therapist at [email] about fees?"),
        ("fallback", "slack", unclear),
    ]
    assert b"jane@example.org" not in records_db.read_bytes()


def test_after_a_crisis_nothing_is_queued_even_with_the_opt_in(
    answers_db: Path, records_db: Path, make_tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "true")
    unclear = "what about the zxqv forms my counselor mentioned"
    tracker = make_tracker("nlu_fallback", unclear, slots={"crisis": True})
    run(actions.ActionSuggestTopics(), said(tracker, unclear, "rest"))
    assert misses.pending(records_db) == []


def test_the_action_server_says_at_start_when_the_answer_store_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, answers_db: Path
) -> None:
    assert actions.check_answer_store() is None  # the real store: nothing to say
    missing = tmp_path / "gone" / "answers.db"
    with caplog.at_level("ERROR", logger="actions.actions"):
        problem = actions.check_answer_store(answers.AnswerStore(missing))
    assert problem and str(missing) in problem
    [record] = caplog.records
    assert "make answers" in record.getMessage() and "can't reach my reviewed answers" in record.getMessage()
