"""Custom actions: each reads the tracker, calls a plain function in `bot/`, returns events.

The server sends the actions listed in `bot.serving.action_calls.CURRENT_TURN_ACTIONS`
the current turn's events only, with the slots and the latest message: such an action
keeps in a slot whatever a later turn needs.
"""

from __future__ import annotations

import abc
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import config
from bot.content import replies
from bot.content.answers import AnswerStore
from bot.safety import escalations

logger = logging.getLogger(__name__)

# The action server imports this module at start. Reading the region now makes an unknown
# ALLIANCE_REGION (a typo, a region without a preset) stop it at once with a message that
# lists the known regions, instead of failing later, in the reminder after a crisis.
config.emergency()


def check_answer_store(store: AnswerStore | None = None) -> str | None:
    """Say at start, in the log, when the answer store can't give answers, and what to do.

    The action server still starts: crisis records and everything else work without the
    store, and until it is rebuilt each question gets a reply saying the answers can't be
    reached (`bot.content.replies.menu_messages`), never an error.
    """
    problem = (store or AnswerStore()).problem()
    if problem:
        logger.error('%s. Until then, questions get "I can\'t reach my reviewed answers right now".', problem)
    return problem


check_answer_store()


def reached_crisis(tracker: Tracker) -> bool:
    """Whether the latest message, or the conversation before it, reached the crisis layer."""
    latest = tracker.latest_message or {}
    safety = latest.get("safety") or {}
    return bool(
        tracker.get_slot("crisis") or safety.get("crisis") or (latest.get("intent") or {}).get("name") == "crisis"
    )


class ReplyAction(Action, abc.ABC):
    """Dispatches a `bot.content.replies.Reply` and stores its slots (abstract: never registered)."""

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        result = self.reply(tracker, AnswerStore())
        if tracker.get_slot("crisis"):
            result = replies.with_reminder(result, True)
        else:  # a mention of danger in a safe context (level 3): the crisis line under the answer
            safety = (tracker.latest_message or {}).get("safety") or {}
            result = replies.with_pointer(result, safety.get("level") == 3)
        for message in result.messages:
            dispatcher.utter_message(**message)
        return [SlotSet(slot, value) for slot, value in result.slots.items()]


class ActionAnswerFaq(ReplyAction):
    def name(self) -> str:
        return "action_answer_faq"

    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply:
        # The intent the policies acted on (the ranking may lag behind an override).
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        return replies.answer_question(store, intent, tracker.get_latest_input_channel(), latest.get("text"))


class ActionTellMore(ReplyAction):
    def name(self) -> str:
        return "action_tell_more"

    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply:
        return replies.tell_more(store, tracker.get_slot("more_topic"))


class ActionSuggestTopics(ReplyAction):
    def name(self) -> str:
        return "action_suggest_topics"

    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply:
        latest = tracker.latest_message or {}
        ranking = latest.get("intent_ranking") or []
        channel = tracker.get_latest_input_channel()
        return replies.not_understood(store, latest.get("text") or "", ranking, channel, reached_crisis(tracker))


class ActionRecordFeedback(ReplyAction):
    """Records "Helpful" or "Not helpful" on the answer in the `topic` slot: the latest intent is the vote."""

    def name(self) -> str:
        return "action_record_feedback"

    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        channel, question = tracker.get_latest_input_channel(), tracker.get_slot(replies.QUESTION_SLOT)
        return replies.record_feedback(
            store, tracker.get_slot("topic"), intent, channel, question, reached_crisis(tracker)
        )


class ActionShowMenu(ReplyAction):
    def name(self) -> str:
        return "action_show_menu"

    def reply(self, tracker: Tracker, store: AnswerStore) -> replies.Reply:
        return replies.Reply(replies.menu_messages(store), {"more_topic": None})


class ActionRecordEscalation(Action):
    """Records that the crisis reply went out; the reply itself is a domain response."""

    def name(self) -> str:
        return "action_record_escalation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        escalations.record_parse(tracker.sender_id, tracker.get_latest_input_channel(), tracker.latest_message)
        return [SlotSet("crisis", True)]


class ActionSessionStart(Action):
    """Starts every conversation with the welcome, so nobody mistakes the bot for a therapist."""

    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_welcome")  # the Rasa server fills in the numbers
        return [SessionStarted(), ActionExecuted("action_listen")]
