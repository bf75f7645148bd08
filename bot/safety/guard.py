"""The NLU component that puts the crisis rules in front of everything else."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.safety import CRISIS_INTENT, SAFETY_KEY
from bot.safety.rules import CrisisRules, decide, default_rules

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CrisisGuard(GraphComponent):
    """Forces `crisis` when a danger rule matches; place it after the classifier."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        return cls()

    def __init__(self, rules: CrisisRules | None = None) -> None:
        self._rules = rules

    @property
    def rules(self) -> CrisisRules:
        if self._rules is None:
            self._rules = default_rules()
        return self._rules

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        doc = message.get(SPACY_DOCS[TEXT])
        verdict = self.rules.check(doc) if doc is not None else self.rules.check_text(text)
        intent = (message.get(INTENT) or {}).get("name")
        record = decide(intent, verdict)
        if record is None:
            return
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS_INTENT]
        record["classifier"] = dict(message.get(INTENT) or {})
        message.set(SAFETY_KEY, record, add_to_output=True)
        if record["crisis"]:
            # Crisis owns the ranking: a confident runner-up would look "ambiguous" to
            # the FallbackClassifier and turn the escalation into "Did you mean...?".
            top = {"name": CRISIS_INTENT, "confidence": 1.0}
            rest = [{**r, "confidence": 0.0} for r in ranking]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *rest], add_to_output=True)
        elif ranking:  # overruled: the best other intent; the fallback judges its confidence
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        logger.debug("safety layer: %s", record)  # never the text
