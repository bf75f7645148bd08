"""The dialogue policy for every safety turn: the graded crisis replies, the check-in, other languages.

Rules could do some of it, but they assume a well-formed conversation; this policy
only looks at the latest message and the turn before it, so the reply also goes out
when, say, the action server failed to start the session. Everything it picks is a
domain response (or the escalation record, which the Rasa server writes itself when
the action server is down): none of it needs the action server.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.safety import CRISIS_INTENT, CRISIS_SLOT, OUT_OF_SCOPE_INTENT, RECORD_ACTION, SAFETY_KEY, checkin

CHECKIN_RESPONSES = {"utter_crisis_checkin": "en", "utter_crisis_checkin_es": "es"}
UNMATCHED_INTENTS = frozenset({OUT_OF_SCOPE_INTENT, "nlu_fallback", None})


def _es(response: str, language: str | None) -> str:
    return f"{response}_es" if language == "es" else response


def crisis_response(level: int | None, language: str | None = None, about: str | None = None) -> str:
    """The reply for a crisis at `level`: the check-in for 2; for 1, to the person or to their helper."""
    if level == 2:
        return _es("utter_crisis_checkin", language)
    return _es("utter_crisis_other" if about == "other" else "utter_crisis", language)


def plan(tracker: DialogueStateTracker) -> List[str] | None:
    """The actions this turn needs for safety, or None for an ordinary turn (the rules answer it)."""
    latest = tracker.latest_message
    if latest is None:
        return None
    intent = latest.intent.get("name")
    safety: Dict[str, Any] = latest.parse_data.get(SAFETY_KEY) or {}
    language = safety.get("language")
    if intent == CRISIS_INTENT:  # a payload ("/crisis") has no record: level 1
        response = crisis_response(safety.get("level", 1), language, safety.get("about"))
        return [response, RECORD_ACTION, ACTION_LISTEN_NAME]
    asked = _checkin_language(tracker.events)
    if asked is not None:
        answer = checkin.interpret(latest.text, intent)
        if answer == checkin.SAFE:
            return [_es("utter_checkin_safe", asked), ACTION_LISTEN_NAME]
        if answer == checkin.UNSAFE:
            return [_es("utter_crisis", asked), RECORD_ACTION, ACTION_LISTEN_NAME]
    if safety.get("layer") == "length":
        return ["utter_too_long", ACTION_LISTEN_NAME]
    if safety.get("layer") == "language":
        after_crisis = bool(tracker.get_slot(CRISIS_SLOT)) and language == "es"
        return ["utter_crisis_support_es" if after_crisis else "utter_other_language", ACTION_LISTEN_NAME]
    if tracker.get_slot(CRISIS_SLOT) and intent in UNMATCHED_INTENTS:
        return ["utter_crisis_support", ACTION_LISTEN_NAME]
    return None


def _checkin_language(events: Iterable[Any]) -> str | None:
    """The check-in's language if the turn before the latest message asked "Are you safe right now?"."""
    users = 0
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            users += 1
            if users == 2:
                return None
        elif users == 1 and isinstance(event, ActionExecuted) and event.action_name in CHECKIN_RESPONSES:
            return CHECKIN_RESPONSES[event.action_name]
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class CrisisPolicy(Policy):
    """After a safety message: its reply, the record where there is one, then listen."""

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": 7}  # above RulePolicy (6): ties go to safety

    def train(self, training_trackers: List[Any], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        done = _actions_since_user_message(tracker.events)
        steps = plan(tracker) if done is not None else None
        for action in steps or ():
            if action not in done:
                if action in domain.action_names_or_texts:
                    probabilities[domain.index_for_action(action)] = 1.0
                break
        return self._prediction(probabilities)


def _actions_since_user_message(events: Iterable[Any]) -> List[str] | None:
    """Action names run after the latest user message, or None if there is none."""
    done: List[str] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            return done
        if isinstance(event, ActionExecuted) and event.action_name:
            done.append(event.action_name)
    return None
