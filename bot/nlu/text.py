"""The first NLU component: the text every later component and the crisis rules read.

Invisible characters (zero-width spaces and joiners, soft hyphens, direction marks,
byte-order marks, variation selectors, fillers: Unicode's format category and its
default-ignorable code points) are removed, control characters become
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
# Unicode's Default_Ignorable_Code_Point beyond the format characters: drawn as nothing, so
# one inside a word hides it as well as a zero-width space does (combining grapheme joiner,
# Hangul fillers, Khmer and Mongolian invisibles, variation selectors, tags).
_IGNORABLE = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip


def _ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE)


def clean(text: str) -> str:
    """The text as the pipeline reads it: no invisible characters, no controls, compatibility forms folded."""
    kept = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf" or _ignorable(char):
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
