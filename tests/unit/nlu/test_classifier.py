"""The linear intent classifier, trained and loaded through Rasa's real model storage."""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import ARRAYS_FILE, METADATA_FILE, Features, LinearIntentClassifier, Speller, softmax, views
from bot.nlu.identity import PLACEHOLDER

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


def train(
    storage: LocalModelStorage, context: ExecutionContext, examples: dict[str, list[str]]
) -> LinearIntentClassifier:
    messages = []
    for intent, texts in examples.items():
        for message in tokenized(texts):
            message.set(INTENT, intent)
            messages.append(message)
    classifier = LinearIntentClassifier.create({}, storage, Resource("clf"), context)
    classifier.train(TrainingData(messages))
    return classifier


@pytest.fixture
def trained(storage: LocalModelStorage, context: ExecutionContext) -> LinearIntentClassifier:
    return train(storage, context, EXAMPLES)


@pytest.fixture
def archive(trained: LinearIntentClassifier, storage: LocalModelStorage) -> Path:
    """The directory train() wrote the model into."""
    with storage.read_from(Resource("clf")) as directory:
        return directory


class Payload:
    """Unpickling it creates the directory `marker`: evidence that a load ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return os.mkdir, (str(self.marker),)


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


# Typos, unseen words, repeats, capitals and a message with no known n-gram.
MESSAGES = [
    "can i text my counselor",
    "is relgion ok to bring up",
    "helo therre",
    "can i txt my therapist about god",
    "zzz qqq",
    "texting texting texting",
    "Religion and GOD",
    "good mornin",
]


def test_the_archive_holds_only_arrays_and_json(archive: Path) -> None:
    files = sorted(path for path in archive.rglob("*") if path.is_file())
    assert sorted(path.name for path in files) == sorted([ARRAYS_FILE, METADATA_FILE])
    for path in files:
        assert not path.read_bytes().startswith(b"\x80")  # the opening of a pickle
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            assert arrays and all(array.dtype.kind == "f" for array in arrays.values())
        else:
            assert path.suffix == ".json"
            assert json.loads(path.read_text(encoding="utf-8"))["classes"] == sorted(EXAMPLES)


def load_quietly_refused(
    storage: LocalModelStorage, context: ExecutionContext, caplog: pytest.LogCaptureFixture
) -> tuple[LinearIntentClassifier, str]:
    """Load the archive; return the classifier and the warnings it logged."""
    with caplog.at_level(logging.WARNING, logger="bot.nlu.classifier"):
        loaded = LinearIntentClassifier.load({}, storage, Resource("clf"), context)
    [message] = loaded.process(tokenized(["can i text my counselor"]))
    assert loaded.model is None and message.get(INTENT) == {"name": None, "confidence": 0.0}
    return loaded, "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.nlu.classifier")


def test_an_object_array_in_the_npz_is_refused(
    archive: Path, storage: LocalModelStorage, context: ExecutionContext, caplog: pytest.LogCaptureFixture
) -> None:
    marker = archive.parent / "payload_ran"
    with np.load(archive / ARRAYS_FILE) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["coef"] = np.array([Payload(marker)], dtype=object)
    np.savez(archive / ARRAYS_FILE, **arrays)

    _, warnings = load_quietly_refused(storage, context, caplog)
    assert not marker.exists()
    assert "damaged or in an unknown format" in warnings and "allow_pickle" in warnings
    with np.load(archive / ARRAYS_FILE, allow_pickle=True) as npz:
        npz["coef"]  # the unsafe way to read it runs the payload, so the check above is meaningful
    assert marker.exists()


def set_metadata(key: str, value: object) -> Callable[[Path], None]:
    def change(archive: Path) -> None:
        metadata = json.loads((archive / METADATA_FILE).read_text(encoding="utf-8"))
        metadata[key] = value
        (archive / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")

    return change


def set_vectorizer_param(key: str, value: object) -> Callable[[Path], None]:
    def change(archive: Path) -> None:
        metadata = json.loads((archive / METADATA_FILE).read_text(encoding="utf-8"))
        metadata["vectorizers"][0]["params"][key] = value
        (archive / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")

    return change


def drop_a_term(archive: Path) -> None:
    metadata = json.loads((archive / METADATA_FILE).read_text(encoding="utf-8"))
    metadata["vectorizers"][2]["vocabulary"].pop()
    (archive / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")


def weights_as(dtype: type) -> Callable[[Path], None]:
    """The SVM's weights as an older archive stored them (float64 before version 4, float32 in 4)."""

    def change(archive: Path) -> None:
        with np.load(archive / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        arrays["coef"] = arrays["coef"].astype(dtype)
        with (archive / ARRAYS_FILE).open("wb") as f:
            np.savez(f, **arrays)

    return change



def truncate_npz(archive: Path) -> None:
    data = (archive / ARRAYS_FILE).read_bytes()
    (archive / ARRAYS_FILE).write_bytes(data[: len(data) // 2])


def pickle_as_npz(archive: Path) -> None:
    (archive / ARRAYS_FILE).write_bytes(pickle.dumps(Payload(archive.parent / "payload_ran")))


def remove_json(archive: Path) -> None:
    (archive / METADATA_FILE).unlink()


@pytest.mark.parametrize(
    "damage",
    [
        set_metadata("version", 99),
        weights_as(np.float64),  # version 5 stores float16 weights
        weights_as(np.float32),
        set_metadata("version", 4),  # version 4 stored float32 weights
        set_metadata("version", 3),  # version 3 stored float64 weights
        set_metadata("version", True),
        set_metadata("version", 2.0),
        set_metadata("format", "something else"),
        set_metadata("classes", ["faq_texting"]),
        set_vectorizer_param("input", "filename"),
        set_vectorizer_param("ngram_range", [2, 1]),
        drop_a_term,
        truncate_npz,
        pickle_as_npz,
        remove_json,
        set_metadata("spelling", {"counts": {"texting": "3"}, "lemmas": {}}),
        set_metadata("spelling", {"counts": {"texting": 3}}),
        set_metadata("spelling", ["texting"]),
        lambda archive: (archive / METADATA_FILE).write_bytes(b"\x00 not json"),
        lambda archive: (archive / ARRAYS_FILE).write_bytes(b""),
    ],
)
def test_a_damaged_or_foreign_archive_predicts_nothing_with_a_warning(
    damage: Callable[[Path], None],
    archive: Path,
    storage: LocalModelStorage,
    context: ExecutionContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    damage(archive)
    _, warnings = load_quietly_refused(storage, context, caplog)
    assert "damaged or in an unknown format" in warnings
    assert not (archive.parent / "payload_ran").exists()


def test_a_pickled_model_from_before_is_not_loaded(
    archive: Path, storage: LocalModelStorage, context: ExecutionContext, caplog: pytest.LogCaptureFixture
) -> None:
    for path in archive.iterdir():
        path.unlink()
    (archive / "linear_intent_classifier.pkl").write_bytes(pickle.dumps(Payload(archive.parent / "payload_ran")))
    _, warnings = load_quietly_refused(storage, context, caplog)
    assert "no trained model in the archive" in warnings
    assert not (archive.parent / "payload_ran").exists()


def test_a_loaded_model_predicts_exactly_as_the_trained_one(
    trained: LinearIntentClassifier, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    loaded = LinearIntentClassifier.load({}, storage, Resource("clf"), context)
    assert loaded.features is not None and loaded.features is not trained.features
    rows = [views(m) for m in tokenized(MESSAGES)]
    expected, got = trained.features.transform(rows), loaded.features.transform(rows)
    assert expected.shape == got.shape and (expected != got).nnz == 0
    for row in rows:
        for a, b in zip(trained.features.one(row), loaded.features.one(row), strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(trained.model.decision_function(expected), loaded.model.decision_function(got))
    predictions = [(trained.predict(m), loaded.predict(m)) for m in tokenized(MESSAGES)]
    assert all(a == b for a, b in predictions)
    named = [a[0]["name"] for a, _ in predictions]
    assert None in named and len({n for n in named if n}) > 1  # both paths of predict are compared


def test_a_loaded_two_intent_model_predicts_exactly_as_the_trained_one(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    trained = train(storage, context, {k: EXAMPLES[k] for k in ("faq_texting", "faq_religion")})
    assert trained.model.coef_.shape[0] == 1  # a binary SVM: one row of weights
    loaded = LinearIntentClassifier.load({}, storage, Resource("clf"), context)
    for message in tokenized(MESSAGES):
        assert trained.predict(message) == loaded.predict(message)
    assert loaded.predict(tokenized(["can i text my counselor"])[0])[0]["name"] == "faq_texting"


IDENTITY_EXAMPLES = {
    **EXAMPLES,
    "faq_cultural_fit": ["i'm gay, will my counselor accept me", "i want a black therapist", "my therapist is white"],
}


def test_identity_terms_never_reach_the_model(storage: LocalModelStorage, context: ExecutionContext) -> None:
    trained = train(storage, context, IDENTITY_EXAMPLES)
    vocabulary = {term for v in trained.features.vectorizers for term in v.vocabulary_}
    assert PLACEHOLDER in vocabulary and not {"gay", "black", "white", "gay,"} & vocabulary
    assert not [term for term in vocabulary if "gay" in term or "whit" in term]  # no word or char n-gram of them
    [a, b] = tokenized(["i'm gay, can i text my counselor", "I'm a Muslim woman, can i text my counselor"])
    assert trained.predict(a) == trained.predict(b)


def trained_and_as_older(
    storage: LocalModelStorage, context: ExecutionContext, version: int, weights: type
) -> tuple[LinearIntentClassifier, LinearIntentClassifier]:
    """A classifier trained now, and the same one stored as an archive of an older `version` would hold it."""
    trained = train(storage, context, IDENTITY_EXAMPLES)
    with storage.read_from(Resource("clf")) as archive:
        set_metadata("version", version)(archive)
        weights_as(weights)(archive)
    return trained, LinearIntentClassifier.load({}, storage, Resource("clf"), context)


def test_a_version_1_archive_predicts_on_the_terms_it_was_trained_on(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    """An archive from before identity terms were replaced keeps working as it was trained."""
    trained, old = trained_and_as_older(storage, context, 1, np.float64)
    assert trained.features.identity_terms and not old.features.identity_terms
    [message] = tokenized(["i'm gay, can i text my counselor"])
    raw, replaced = old.features.one(views(message, identity_terms=False)), old.features.one(views(message))
    assert set(raw[0]) != set(replaced[0])  # the placeholder's columns: only the new views have them
    scores = old.model.coef_[:, raw[0]] @ raw[1] + old.model.intercept_
    expected = softmax(scores, old.config["temperature"])
    _, ranking = old.predict(message)
    by_class = dict(zip(old.model.classes_, expected, strict=True))
    assert {r["name"]: r["confidence"] for r in ranking} == pytest.approx(by_class)


def test_a_version_4_archive_with_float32_weights_scores_as_it_did(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    trained, old = trained_and_as_older(storage, context, 4, np.float32)
    assert old.model.coef_.dtype == np.float32 and trained.model.coef_.dtype == np.float16
    [message] = tokenized(["can i text my counselor"])
    assert old.predict(message)[0]["name"] == trained.predict(message)[0]["name"]
    assert old.predict(message)[0]["confidence"] == pytest.approx(trained.predict(message)[0]["confidence"], abs=1e-3)


def test_a_misspelt_word_is_read_as_the_training_word_it_was_meant_as(trained: LinearIntentClassifier) -> None:
    assert trained.speller is not None
    [typo, clean] = tokenized(["texxting betwen sessions", "texting between sessions"])
    assert trained.speller.correct(views(typo))[:2] == views(clean)[:2]
    assert trained.predict(typo)[0]["name"] == "faq_texting"  # character n-grams still see the typo as sent
    assert typo.get(TEXT) == "texxting betwen sessions"  # the message itself is left as sent


def test_words_of_one_example_can_be_left_out_of_the_word_view_and_the_speller() -> None:
    rows = [
        ("texting between sessions", "text between session", "texting between sessions"),
        ("texting my therapist", "text my therapist", "texting my therapist"),
    ]
    speller = Speller.learned(rows, least=2)
    assert speller.counts == {"texting": 2} and speller.lemmas == {"texting": "text"}
    assert set(Speller.learned(rows).counts) == {"texting", "between", "sessions", "therapist"}
    features = Features([1, 2], [2, 5], word_min_df=2)
    features.fit_transform(rows)
    assert set(features.vectorizers[0].vocabulary_) == {"texting"}
    assert "therapist" in features.vectorizers[1].vocabulary_  # the lemma view keeps every word


def test_the_speller_leaves_real_words_danger_words_and_other_languages_alone() -> None:
    speller = Speller({"stop": 4, "therapist": 9, "unalike": 2, "rara": 1}, {"therapist": "therapist"})
    assert speller.word("therpist") == "therapist"
    assert speller.word("step") is None  # a real English word, though one letter from a training word
    assert speller.word("unalive") == "unalike"
    assert Speller({"unalike": 2}, {}, keep=frozenset({"unalive"})).word("unalive") is None
    spanish = ("mi abuelo respira muy raro", "mi abuelo respira muy raro", "mi abuelo respira muy raro")
    assert speller.correct(spanish) == spanish


def test_a_model_without_a_speller_still_loads(
    archive: Path, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    set_metadata("spelling", None)(archive)
    loaded = LinearIntentClassifier.load({}, storage, Resource("clf"), context)
    [message] = tokenized(["can i text my counselor"])
    assert loaded.speller is None and loaded.predict(message)[0]["name"] == "faq_texting"


def test_spelling_can_be_switched_off(storage: LocalModelStorage, context: ExecutionContext) -> None:
    trained = train(storage, context, EXAMPLES)
    off = LinearIntentClassifier.load({"spelling": False}, storage, Resource("clf"), context)
    assert trained.speller is not None and off.speller is None


CRISIS_EXAMPLES = {
    **EXAMPLES,
    "crisis": ["i took all my pills", "i have the pills ready", "i swallowed the whole bottle of pills tonight",
               "i hope i never wake up", "i don't want to wake up tomorrow"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can i text my therapist between sessions. i took all my pills. is that ok", "crisis"),  # a danger sentence
        ("can i text my therapist between sessions. good morning to her. is that ok", "faq_texting"),  # no danger word
        ("can i text my therapist between sessions. i hope i never wake up. is that ok", "crisis"),  # a passive wish
        ("can i text my therapist between sessions and i took all my pills", "faq_texting"),  # one sentence
    ],
)
def test_a_sentence_read_alone_as_crisis_with_a_danger_word_makes_the_message_one(
    storage: LocalModelStorage, context: ExecutionContext, text: str, expected: str
) -> None:
    classifier = train(storage, context, CRISIS_EXAMPLES)
    classifier.config["sentence_crisis"] = None  # the whole message alone reads the question
    assert classifier.predict(tokenized([text])[0])[0]["name"] == "faq_texting"
    classifier.config["sentence_crisis"] = 0.5
    intent, ranking = classifier.predict(tokenized([text])[0])
    assert intent["name"] == expected
    assert [r["name"] for r in ranking].count("crisis") <= 1
