"""The linear intent classifier, trained and loaded through Rasa's real model storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import LinearIntentClassifier, views

EXAMPLES = {
    "faq_texting": ["can i text my therapist", "is it ok to send my counselor a message", "texting between sessions"],
    "faq_religion": ["can we talk about god in therapy", "my faith matters to me", "is religion ok to bring up"],
    "greet": ["hello", "hi there", "good morning"],
}


def tokenized(texts: list[str]) -> list[Message]:
    messages = [Message({TEXT: t}) for t in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    return messages


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def trained(storage: LocalModelStorage, context: ExecutionContext) -> LinearIntentClassifier:
    messages = []
    for intent, texts in EXAMPLES.items():
        for message in tokenized(texts):
            message.set(INTENT, intent)
            messages.append(message)
    classifier = LinearIntentClassifier.create({}, storage, Resource("clf"), context)
    classifier.train(TrainingData(messages))
    return classifier


def test_predicts_the_intent_with_a_ranking(trained: LinearIntentClassifier) -> None:
    [message] = trained.process(tokenized(["can i text my counselor"]))
    assert message.get(INTENT)["name"] == "faq_texting"
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "faq_texting" and len(ranking) == 3
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) == pytest.approx(1.0)


def test_the_single_message_path_equals_sklearn(trained: LinearIntentClassifier) -> None:
    texts = ["can i text my counselor", "Religion and GOD", "zzz qqq", "hi", "texting texting texting"]
    for message in tokenized(texts):
        row = views(message)
        expected = trained.features.transform([row]).toarray()[0]
        columns, values = trained.features.one(row)
        got = np.zeros_like(expected)
        got[columns] = values
        np.testing.assert_allclose(got, expected, atol=1e-12)
        sklearn_scores = trained.model.decision_function(trained.features.transform([row]))[0]
        assert trained.model.coef_[:, columns] @ values + trained.model.intercept_ == pytest.approx(sklearn_scores)


def test_empty_text_gets_no_intent(trained: LinearIntentClassifier) -> None:
    [message] = trained.process([Message({TEXT: ""})])
    assert message.get(INTENT) == {"name": None, "confidence": 0.0}
    assert message.get(INTENT_RANKING_KEY) == []


def test_loads_what_it_trained(
    trained: LinearIntentClassifier, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    loaded = LinearIntentClassifier.load({}, storage, Resource("clf"), context)
    [a] = trained.process(tokenized(["is religion ok"]))
    [b] = loaded.process(tokenized(["is religion ok"]))
    assert a.get(INTENT_RANKING_KEY) == b.get(INTENT_RANKING_KEY)
    assert b.get(INTENT)["name"] == "faq_religion"


def test_an_untrained_model_predicts_nothing(storage: LocalModelStorage, context: ExecutionContext) -> None:
    loaded = LinearIntentClassifier.load({}, storage, Resource("missing"), context)
    [message] = loaded.process(tokenized(["hello"]))
    assert message.get(INTENT)["name"] is None
