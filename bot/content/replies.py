"""What Alliance says for each kind of turn, as plain data the actions dispatch.

Kept free of rasa_sdk so the same logic serves every channel and is tested
without a running server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from bot import config
from bot.content.answers import Answer, AnswerStore

MORE_PAYLOAD = "/affirm"
NO_ANSWER = "I don't have a reviewed answer for that yet."
MORE_OFFER = "Would you like me to tell you more?"
RELATED_INTRO = "Related topics:"
MENU_INTRO = "Here are questions people often ask. Pick one, or type your own question:"


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


def _related_buttons(store: AnswerStore, answer: Answer) -> list[dict[str, str]]:
    return [button(a) for a in store.get_many(answer.related)][: config.related_buttons()]


def answer_topic(store: AnswerStore, topic: str | None) -> Reply:
    """The vetted short answer, its source and an offer to tell more, or a clear 'not yet'."""
    answer = store.get(topic)
    if answer is None:
        return Reply(menu_messages(store, NO_ANSWER + " " + MENU_INTRO), {"more_topic": None})
    # The offer goes in a message of its own: button prompts (the shell's, say) show one line.
    buttons = [{"title": "Tell me more", "payload": MORE_PAYLOAD}, *_related_buttons(store, answer)]
    return Reply(
        [{"text": f"{in_region(answer.short)}\n\n{answer.citation}"}, {"text": MORE_OFFER, "buttons": buttons}],
        {"topic": topic, "more_topic": topic},
    )


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
