"""A linear intent classifier: TF-IDF over words, lemmas and character n-grams, then a linear SVM.

It replaces DIET because on this data it is as accurate (docs/benchmarks.md) while
it trains in about a second, answers in well under a millisecond and keeps
TensorFlow out of the serving process (hundreds of MB and seconds of start-up).
Confidences are a softmax over the SVM's decision scores, sharpened by
`temperature`: good enough for ranking and for the FallbackClassifier's
threshold, not calibrated probabilities.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any, Dict, List, Sequence

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent_classifier.pkl"


def views(message: Message) -> tuple[str, str, str]:
    """The three texts features come from: word forms, lemmas, and the raw lowercased text."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = " ".join(t.text.lower() for t in tokens)
    lemmas = " ".join((t.lemma or t.text).lower() for t in tokens)
    return words, lemmas, (message.get(TEXT) or "").lower()


class Features:
    """Word (1-2 grams), lemma and char_wb n-gram TF-IDF, stacked side by side.

    sklearn fits them; `one` computes the same vector for a single message without
    sklearn's per-call validation, which costs milliseconds on a one-row input.
    """

    def __init__(self, word_ngrams: Sequence[int], char_ngrams: Sequence[int]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        token = r"\S+"  # the tokenizer has already split the text
        self.vectorizers = (
            TfidfVectorizer(analyzer="word", ngram_range=tuple(word_ngrams), token_pattern=token, sublinear_tf=True),
            TfidfVectorizer(analyzer="word", token_pattern=token, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams), sublinear_tf=True),
        )
        self._fast: list[tuple[Any, Dict[str, int], np.ndarray, int]] | None = None

    def __getstate__(self) -> Dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "_fast"}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fast = None  # analyzers are rebuilt on first use

    def fit_transform(self, rows: List[tuple[str, str, str]]) -> scipy.sparse.csr_matrix:
        return self._stacked(rows, fit=True)

    def transform(self, rows: List[tuple[str, str, str]]) -> scipy.sparse.csr_matrix:
        return self._stacked(rows, fit=False)

    def _stacked(self, rows: List[tuple[str, str, str]], fit: bool) -> scipy.sparse.csr_matrix:
        columns = zip(*rows, strict=True)
        parts = [(v.fit_transform if fit else v.transform)(c) for v, c in zip(self.vectorizers, columns, strict=True)]
        return scipy.sparse.hstack(parts).tocsr()

    def one(self, row: tuple[str, str, str]) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one row of `transform` (sublinear tf, idf, l2 per vectorizer)."""
        if self._fast is None:
            offsets = np.cumsum([0] + [len(v.vocabulary_) for v in self.vectorizers])
            self._fast = [
                (v.build_analyzer(), v.vocabulary_, v.idf_, int(o))
                for v, o in zip(self.vectorizers, offsets, strict=False)
            ]
        indices, values = [], []
        for (analyze, vocabulary, idf, offset), text in zip(self._fast, row, strict=True):
            counts: Dict[int, int] = {}
            for term in analyze(text):
                column = vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[columns]
            indices.append(columns + offset)
            values.append(weights / np.sqrt(weights @ weights))
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Needs a tokenizer before it (SpacyTokenizer gives it lemmas)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "C": 1.0,  # the SVM's regularisation: higher fits the training data more tightly
            "temperature": 0.2,  # softmax sharpness for confidences
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        features: Features | None = None,
        model: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.features = features
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.svm import LinearSVC

        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; it will predict nothing")
            return self._resource
        self.features = Features(self.config["word_ngrams"], self.config["char_ngrams"])
        matrix = self.features.fit_transform([views(m) for m in examples])
        self.model = LinearSVC(C=self.config["C"], random_state=self.config["random_seed"]).fit(matrix, labels)
        with self._model_storage.write_to(self._resource) as directory:
            with (directory / MODEL_FILE).open("wb") as f:
                pickle.dump((self.features, self.model), f)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                with (directory / MODEL_FILE).open("rb") as f:
                    features, model = pickle.load(f)  # our own model archive, written by train()
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model in the archive; it will predict nothing")
            features, model = None, None
        return cls(config, model_storage, resource, features, model)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent, ranking = self.predict(message)
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def predict(self, message: Message) -> tuple[Dict[str, Any], List[Dict[str, Any]]]:
        """The best intent and the ranking.

        No intent (so the fallback asks what they meant) for an empty message, an
        untrained model, or a message with no word or n-gram seen in training: its
        scores would be the SVM's intercepts alone, which favour the biggest intent.
        """
        nothing: tuple[Dict[str, Any], List[Dict[str, Any]]] = ({"name": None, "confidence": 0.0}, [])
        if self.model is None or not message.get(TEXT):
            return nothing
        columns, values = self.features.one(views(message))
        if not len(columns):
            return nothing
        scores = self.model.coef_[:, columns] @ values + self.model.intercept_
        if len(self.model.classes_) == 2:  # a binary SVM scores only the second class
            scores = np.array([-scores[0], scores[0]])
        confidences = softmax(scores, self.config["temperature"])
        order = np.argsort(confidences)[::-1][: self.config["ranking_length"]]
        ranking = [{"name": str(self.model.classes_[i]), "confidence": float(confidences[i])} for i in order]
        return dict(ranking[0]), ranking
