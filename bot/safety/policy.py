"""The dialogue policy that sends the crisis reply, whatever the conversation looked like."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.safety import CRISIS_INTENT, CRISIS_RESPONSE, RECORD_ACTION


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class CrisisPolicy(Policy):
    """After a crisis message: the crisis response, then the record, then listen.

    Rules do the same, but they assume a well-formed conversation; this policy
    only looks at what happened since the last user message, so the escalation
    also goes out when, say, the action server failed to start the session.
    """

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
        if done is not None and tracker.latest_message.intent.get("name") == CRISIS_INTENT:
            for action in (CRISIS_RESPONSE, RECORD_ACTION, ACTION_LISTEN_NAME):
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
