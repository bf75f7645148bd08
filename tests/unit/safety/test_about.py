"""Who a crisis is about: the learned model, its storage, and the guard that uses it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.safety import about, guard
from bot.safety import rules as crisis_rules

TEXTS = [
    "i took all my pills", "i am on the bridge and going to jump", "tell my mum i'm sorry, i took them all",
    "i cut too deep and can't stop the bleeding", "my friend took all her pills", "my dad isn't breathing",
    "a student just told me she's going to jump tonight", "my brother cut too deep and it won't stop",
]  # fmt: skip
LABELS = ["self"] * 4 + ["other"] * 4


@pytest.fixture(scope="module")
def model() -> about.AboutModel:
    return about.AboutModel.fit(TEXTS, LABELS, min_df=1)


def test_the_model_scores_as_sklearn_does(model) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    svm = LinearSVC(C=1.0, random_state=0).fit(vectorizer.fit_transform(TEXTS), [label == "self" for label in LABELS])
    probes = ["my sister took all her pills", "i am going to jump", "nothing known here"]
    expected = svm.decision_function(vectorizer.transform(probes))
    assert np.allclose([model.score(p) for p in probes], expected)


def test_it_tells_the_writer_from_someone_else(model) -> None:
    assert model.who("my friend took all her pills and isn't breathing") == "other"
    assert model.who("i took all my pills") == "self"


def test_it_is_stored_as_plain_data(model) -> None:
    restored = about.AboutModel.from_dict(json.loads(json.dumps(model.as_dict())))
    assert restored.who("my dad isn't breathing") == model.who("my dad isn't breathing")
    assert restored.score("i took them all") == pytest.approx(model.score("i took them all"))
    with pytest.raises(ValueError):
        about.AboutModel.from_dict({"format": "pickle", "terms": {}})


def test_only_examples_that_say_who_are_learned_from() -> None:
    examples = [("a", {"about": "self"}), ("b", None), ("c", {"about": "someone"}), ("d", {"about": "other"})]
    assert about.labelled(examples) == (["a", "d"], ["self", "other"])
    with pytest.raises(ValueError):
        about.AboutModel.fit(["a", "b"], ["self", "self"])


@pytest.mark.parametrize("text", ["i took all my pills", "ya me tomé todas las pastillas"])
def test_the_guard_asks_the_model_who_a_crisis_is_about(text: str) -> None:
    """A model that always says "someone else" (no terms, a negative intercept) overrules the rules' reading."""
    always_other = about.AboutModel({}, intercept=-1.0)
    message = Message(data={"text": text, "intent": {"name": "faq_trust", "confidence": 0.9}})
    without = Message(data=dict(message.data))
    guard.CrisisGuard(crisis_rules.default_rules(), about_model=always_other).process([message])
    guard.CrisisGuard(crisis_rules.default_rules()).process([without])
    assert message.get("safety")["crisis"] and without.get("safety")["crisis"]
    assert (message.get("safety")["about"], without.get("safety")["about"]) == ("other", "self")
    assert message.get("safety")["rule"] == without.get("safety")["rule"]
