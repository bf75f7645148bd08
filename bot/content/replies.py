"""What Alliance says for each kind of turn, as plain data the actions dispatch.

Kept free of rasa_sdk so the same logic serves every channel and is tested
without a running server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from bot import config
from bot.content.answers import Answer, AnswerStore
from bot.stores import misses, records

logger = logging.getLogger(__name__)

MORE_PAYLOAD = "/affirm"
HELPFUL_PAYLOAD = "/feedback_helpful"
NOT_HELPFUL_PAYLOAD = "/feedback_not_helpful"
ASK_AGAIN_PAYLOAD = "/ask_again"
# The vote each feedback intent (the "Helpful" and "Not helpful" buttons) stands for.
VOTES = {"feedback_helpful": records.HELPFUL, "feedback_not_helpful": records.NOT_HELPFUL}
# The most buttons one message carries: Rasa's Slack output sends a message with more
# without any of its buttons. After an answer, related topics give way to the vote.
MAX_BUTTONS = 5
# The question just answered, remembered only where missed questions are kept for review.
QUESTION_SLOT = "question"
NO_ANSWER = "I don't have a reviewed answer for that yet."
MORE_OFFER = "Would you like me to tell you more?"
RELATED_INTRO = "Related topics:"
MENU_INTRO = "Here are questions people often ask. Pick one, or type your own question:"
VOTE_THANKS = "Thanks for letting me know. I'm glad it helped."
VOTE_SORRY = "Sorry that didn't help. Try a related topic below, or ask your question in other words."
NOTHING_TO_VOTE_ON = "Thanks for the feedback. I haven't answered a question yet, so there's nothing to rate."


@dataclass
class Reply:
    """Messages for the user plus slot values to remember for the next turn."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)


def with_reminder(reply: Reply, after_crisis: bool) -> Reply:
    """After an escalation, every answer in the conversation ends with the numbers."""
    if after_crisis and reply.messages:
        reply.messages.append({"text": config.emergency().reminder})
    return reply


def with_pointer(reply: Reply, mention: bool) -> Reply:
    """Under an answer to a message that mentioned danger in a safe context (level 3): the crisis line."""
    if mention and reply.messages:
        reply.messages.append({"text": config.emergency().pointer})
    return reply


def in_region(text: str) -> str:
    """An answer's text with the region's numbers and terms where it names them (`{emergency_number}`)."""
    return text.format_map(config.emergency().variables()) if "{" in text else text


def button(answer: Answer) -> dict[str, str]:
    return {"title": answer.title, "payload": f"/{answer.topic}"}


def menu_messages(store: AnswerStore, intro: str = MENU_INTRO) -> list[dict[str, Any]]:
    """The topic menu: featured topics as buttons, every other topic named in the text."""
    featured = store.menu()
    if not featured:
        return [{"text": "I can't reach my reviewed answers right now. Please try again later."}]
    featured_topics = {a.topic for a in featured}
    others = [a.title.lower() for a in store.vetted() if a.topic not in featured_topics]
    text = intro
    if others:
        text += "\nYou can also ask about " + ", ".join(others) + "."
    return [{"text": text, "buttons": [button(a) for a in featured]}]


def _related_buttons(store: AnswerStore, answer: Answer, room: int = MAX_BUTTONS) -> list[dict[str, str]]:
    return [button(a) for a in store.get_many(answer.related)][: max(0, min(config.related_buttons(), room))]


def _vote_buttons() -> list[dict[str, str]]:
    return [{"title": "Helpful", "payload": HELPFUL_PAYLOAD}, {"title": "Not helpful", "payload": NOT_HELPFUL_PAYLOAD}]


def answer_topic(store: AnswerStore, topic: str | None) -> Reply:
    """The vetted short answer, its source and an offer to tell more or rate it, or a clear 'not yet'."""
    answer = store.get(topic)
    if answer is None:
        return Reply(menu_messages(store, NO_ANSWER + " " + MENU_INTRO), {"more_topic": None})
    # The offer goes in a message of its own: button prompts (the shell's, say) show one line.
    more, votes = [{"title": "Tell me more", "payload": MORE_PAYLOAD}], _vote_buttons()
    related = _related_buttons(store, answer, MAX_BUTTONS - len(more) - len(votes))
    return Reply(
        [
            {"text": f"{in_region(answer.short)}\n\n{answer.citation}"},
            {"text": MORE_OFFER, "buttons": [*more, *related, *votes]},
        ],
        {"topic": topic, "more_topic": topic},
    )


def _record(write: Callable[..., Any], *args: Any) -> None:
    """Add a row for the report; a record that can't be written never costs the person their reply."""
    try:
        write(*args)
    except Exception as exc:  # sqlite3, OSError, a bad path: logged without any text of the conversation
        logger.error("could not write to the records database: %s", type(exc).__name__)


def answer_question(store: AnswerStore, topic: str | None, channel: str | None, question: str | None = None) -> Reply:
    """`answer_topic`, and a row in the records (`turns`) when an answer went out, never the question's text.

    Only where the deployment keeps missed questions for review (`config.keep_misses`) is the
    question remembered in a slot, so that a "Not helpful" can queue it.
    """
    reply = answer_topic(store, topic)
    if reply.slots.get("topic"):
        _record(records.record_turn, channel, topic, records.ANSWER)
        reply.slots[QUESTION_SLOT] = question if config.keep_misses() else None
    return reply


def record_feedback(
    store: AnswerStore,
    topic: str | None,
    intent: str | None,
    channel: str | None,
    question: str | None = None,
    crisis: bool = False,
) -> Reply:
    """A "Helpful" or "Not helpful" on the answer to `topic`, recorded by topic and answer version, never text.

    Helpful gets thanks; not helpful an apology, the related topics and a way to ask again. With
    nothing answered yet (or no vote in `intent`), nothing is recorded and the menu follows.
    """
    vote = VOTES.get(intent or "")
    answer = store.get(topic)
    if answer is None or vote is None:
        return Reply(menu_messages(store, NOTHING_TO_VOTE_ON + " " + MENU_INTRO), {"more_topic": None})
    version = records.answer_version(answer.reviewed, answer.short, answer.more)
    _record(records.record_vote, channel, answer.topic, version, vote)
    if vote == records.HELPFUL:
        return Reply([{"text": VOTE_THANKS}])  # "Tell me more" still works: the offer's buttons stay on screen
    if question:  # kept for review only with the opt-in, redacted, never after a crisis (bot/stores/misses.py)
        _record(misses.keep, question, channel, misses.NOT_HELPFUL, crisis)
    again = [{"title": "Ask in other words", "payload": ASK_AGAIN_PAYLOAD}]
    related = _related_buttons(store, answer, MAX_BUTTONS - len(again))
    return Reply([{"text": VOTE_SORRY, "buttons": [*related, *again]}], {QUESTION_SLOT: None})


def tell_more(store: AnswerStore, topic: str | None) -> Reply:
    """The longer text for the topic just answered; without one, the menu."""
    answer = store.get(topic)
    if answer is None:
        return Reply(menu_messages(store, "Sure. " + MENU_INTRO), {"more_topic": None})
    messages: list[dict[str, Any]] = [{"text": f"{in_region(answer.more)}\n\n{answer.citation}"}]
    related = _related_buttons(store, answer)
    if related:
        messages.append({"text": RELATED_INTRO, "buttons": related})
    return Reply(messages, {"more_topic": None})


def _candidates(ranking: Iterable[Mapping[str, Any]]) -> list[str]:
    floor = config.suggestion_floor()
    return [
        r["name"]
        for r in ranking
        if str(r.get("name", "")).startswith("faq_") and float(r.get("confidence") or 0) >= floor
    ]


def suggest_topics(store: AnswerStore, text: str, ranking: Iterable[Mapping[str, Any]]) -> Reply:
    """A "Did you mean...?" from the NLU ranking, filled up from the full-text index."""
    limit = config.fallback_suggestions()
    topics = list(dict.fromkeys(_candidates(ranking)[:limit] + store.search(text or "", limit)))
    answers = [a for a in (store.get(t) for t in topics) if a is not None][:limit]
    if not answers:
        return Reply(menu_messages(store, "Sorry, I'm not sure what you mean. " + MENU_INTRO), {"more_topic": None})
    return Reply(
        [{"text": "I'm not sure I understood. Did you mean one of these?", "buttons": [button(a) for a in answers]}],
        {"more_topic": None},
    )


def not_understood(
    store: AnswerStore, text: str, ranking: Iterable[Mapping[str, Any]], channel: str | None, crisis: bool = False
) -> Reply:
    """`suggest_topics`, and a row in the records (`turns`) for a question not understood, never its text.

    With the opt-in, the redacted question also waits for review, unless it reached a crisis level.
    """
    _record(records.record_turn, channel, None, records.FALLBACK)
    _record(misses.keep, text, channel, misses.FALLBACK, crisis)
    return suggest_topics(store, text, ranking)
