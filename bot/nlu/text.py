"""The first NLU component: the text every later component and the crisis rules read.

Invisible characters (zero-width spaces and joiners, soft hyphens, direction marks,
byte-order marks: Unicode's format category) are removed, control characters become
spaces, and compatibility forms fold to plain ones (NFKC: full-width letters, ligatures).
Otherwise "kill\u200bmyself" is one token no rule knows, and a crisis hidden that way,
on purpose or by a keyboard, would pass. The conversation keeps what was sent: only
what the pipeline reads changes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_SPACES = re.compile(r"[ \t]{2,}")


def clean(text: str) -> str:
    """The text as the pipeline reads it: no invisible characters, no controls, compatibility forms folded."""
    kept = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category in ("Cc", "Cs", "Zl", "Zp") and char != "\n":
            kept.append(" ")  # a control, a lone surrogate or a line separator still separates words
        else:
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class CleanText(GraphComponent):
    """Put it first in the pipeline, before `SpacyNLP`."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CleanText:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text:
                cleaned = clean(text)
                if cleaned != text:
                    message.set(TEXT, cleaned)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
