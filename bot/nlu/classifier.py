"""A linear intent classifier: TF-IDF over words, lemmas and character n-grams, then a linear SVM.

It stands in for DIET because on this data it is as accurate while it trains and
answers far faster and keeps TensorFlow out of the serving process
(docs/benchmarks.md has the comparison).
Confidences are a softmax over the SVM's decision scores, sharpened by
`temperature`: good enough for ranking and for the FallbackClassifier's
threshold, not calibrated probabilities.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import identity
from bot.safety import CRISIS_INTENT, language
from bot.safety.rules import SENTENCE_ENDS, danger_words, fold_accents

logger = logging.getLogger(__name__)

# The model archive holds only data, so loading it cannot run code: arrays in an npz read
# with allow_pickle=False, everything else in JSON.
ARRAYS_FILE = "linear_intent_classifier.npz"  # idf_<i> per vectorizer, the SVM's coef and intercept
METADATA_FILE = "linear_intent_classifier.json"  # format, version, vectorizer settings and vocabularies, classes
ARCHIVE_FORMAT = "alliance.linear_intent_classifier"
# 2: trained on views with identity terms replaced (bot/nlu/identity.py). A version 1 archive was
# trained on the terms themselves and still loads, predicting on the views it was trained on.
# 3: with the training words and their lemmas, for the speller (Speller). Versions 1 and 2 load without it.
# 4: the SVM's weights in float32, which halves their memory in every serving process; the trained
# component switches to them before it is stored, so it scores exactly as the loaded one does.
# 5: the weights in float16, half again: scores are summed in float64 from weights rounded to three
# significant digits, which moves no best intent on the evaluation sets (docs/nlu.md).
ARCHIVE_VERSION = 5
READABLE_VERSIONS = (1, 2, 3, 4, 5)
WEIGHTS = np.float16  # the SVM's coef_ as trained, stored and served (float64 in versions 1 to 3, float32 in 4)


_SENTENCE_END = re.compile("[" + re.escape("".join(sorted(SENTENCE_ENDS))) + "]+")  # the rules' sentence ends


LEXICON_FILE = Path(__file__).with_name("danger_lexicon.txt")


@lru_cache(maxsize=1)
def danger_lexicon() -> frozenset[str]:
    """The words a sentence needs before its reading alone as `crisis` counts (danger_lexicon.txt)."""
    lines = LEXICON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


def sentences(message: Message) -> List[Message]:
    """Each sentence of a message of two or more, as a message of its own with its tokens; else none."""
    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    found = []
    for start, end in itertools.pairwise(bounds):
        inside = [t for t in tokens if t.start >= start and t.end <= end and t.text.strip(".!?;")]
        if len(inside) >= 2:
            shifted = [Token(t.text, t.start - start, t.end - start, lemma=t.lemma) for t in inside]
            found.append(Message(data={TEXT: text[start:end], TOKENS_NAMES[TEXT]: shifted}))
    return found if len(found) >= 2 else []


def _one_of(*choices: Any) -> Callable[[Any], bool]:
    return lambda value: any(type(value) is type(choice) and value == choice for choice in choices)


def _strings(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


# The TfidfVectorizer parameters that shape build_analyzer() and transform(), each with the test
# an archived value must pass. Fit-only parameters (max_df, min_df, max_features) have done their
# work once the vocabulary is fixed.
VECTORIZER_PARAMS: Dict[str, Callable[[Any], bool]] = {
    "input": _one_of("content"),  # the texts themselves, never file names
    "encoding": lambda value: type(value) is str,
    "decode_error": _one_of("strict", "ignore", "replace"),
    "strip_accents": _one_of(None, "ascii", "unicode"),
    "lowercase": _one_of(True, False),
    "analyzer": _one_of("word", "char", "char_wb"),
    "stop_words": lambda value: value is None or value == "english" or _strings(value),
    "token_pattern": lambda value: value is None or type(value) is str,
    "ngram_range": lambda v: type(v) is list and len(v) == 2 and all(type(n) is int for n in v) and 1 <= v[0] <= v[1],
    "dtype": _one_of("float64", "float32"),
    "smooth_idf": _one_of(True, False),
    # Features.one computes sublinear tf, idf and l2 norm; an archive asking for anything else is not ours
    "binary": _one_of(False),
    "norm": _one_of("l2"),
    "use_idf": _one_of(True),
    "sublinear_tf": _one_of(True),
}

# What reading a damaged, foreign or tampered archive raises (np.load refuses pickled data with ValueError).
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


class ArchiveError(ValueError):
    """The model archive is not one this module writes."""


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ArchiveError(problem)


def views(message: Message, identity_terms: bool = True) -> tuple[str, str, str]:
    """The three texts features come from: word forms, lemmas, and the raw lowercased text.

    In all three, each identity term (sexual orientation, gender identity, race, religion,
    disability, immigration status, age) is one placeholder (bot/nlu/identity.py): who
    someone is never moves the intent, in training or prediction. `identity_terms=False`
    keeps the terms, for an archive trained before that (version 1).
    """
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    text = message.get(TEXT) or ""
    found = identity.spans(text) if identity_terms else []
    if not found:
        words = [t.text for t in tokens]
        lemmas = [t.lemma or t.text for t in tokens]
    else:
        words = identity.replace_tokens(text, [(t.start, t.end, t.text) for t in tokens], found)
        lemmas = identity.replace_tokens(text, [(t.start, t.end, t.lemma or t.text) for t in tokens], found)
        text = identity.replace(text, found)
    return " ".join(words).lower(), " ".join(lemmas).lower(), text.lower()


class Features:
    """Word (1-2 grams), lemma and char_wb n-gram TF-IDF, stacked side by side.

    sklearn fits them; `one` computes the same vector for a single message without
    sklearn's per-call validation, which costs milliseconds on a one-row input.
    """

    def __init__(self, word_ngrams: Sequence[int], char_ngrams: Sequence[int], word_min_df: int = 1) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.identity_terms = True  # views() replaces identity terms (False only for a version 1 archive)
        token = r"\S+"  # the tokenizer has already split the text
        self.vectorizers = (
            TfidfVectorizer(
                analyzer="word", ngram_range=tuple(word_ngrams), token_pattern=token, sublinear_tf=True,
                min_df=word_min_df,
            ),
            TfidfVectorizer(analyzer="word", token_pattern=token, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams), sublinear_tf=True),
        )
        self._fast: list[tuple[Any, Dict[str, int], np.ndarray, int]] | None = None

    @classmethod
    def restored(cls, entries: Any, arrays: Dict[str, np.ndarray]) -> Features:
        """Fitted-equivalent vectorizers from `archived()` output: settings, vocabularies and idf vectors."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        _require(isinstance(entries, list) and len(entries) > 0, "'vectorizers' is not a non-empty list")
        vectorizers = []
        for i, entry in enumerate(entries):
            _require(isinstance(entry, dict) and set(entry) == {"params", "vocabulary"}, f"vectorizer {i} is malformed")
            params, vocabulary, idf = entry["params"], entry["vocabulary"], arrays.get(f"idf_{i}")
            _require(isinstance(params, dict) and set(params) == set(VECTORIZER_PARAMS), f"vectorizer {i}: bad params")
            for key, valid in VECTORIZER_PARAMS.items():
                _require(valid(params[key]), f"vectorizer {i}: {key}={params[key]!r}")
            _require(_strings(vocabulary), f"vectorizer {i}: vocabulary is not a list of terms")
            _require(
                idf is not None and idf.dtype == np.float64 and idf.shape == (len(vocabulary),),
                f"vectorizer {i}: idf_{i} is missing or does not match the vocabulary",
            )
            vectorizer = TfidfVectorizer(
                **{**params, "ngram_range": tuple(params["ngram_range"]), "dtype": np.dtype(params["dtype"]).type},
                vocabulary=vocabulary,
            )
            vectorizer.idf_ = idf  # sets vocabulary_ from the fixed vocabulary and the idf diagonal, without fitting
            vectorizers.append(vectorizer)
        features = cls.__new__(cls)
        features.vectorizers = tuple(vectorizers)
        features._fast = None
        features.identity_terms = True
        return features

    def archived(self) -> tuple[List[Dict[str, Any]], Dict[str, np.ndarray]]:
        """JSON-ready settings and vocabularies (terms in column order), and the idf vectors."""
        entries, arrays = [], {}
        for i, vectorizer in enumerate(self.vectorizers):
            params = vectorizer.get_params()
            _require(
                params["preprocessor"] is None and params["tokenizer"] is None and isinstance(params["analyzer"], str),
                "a callable preprocessor, tokenizer or analyzer cannot be archived as data",
            )
            params = {key: params[key] for key in VECTORIZER_PARAMS}
            params["ngram_range"] = list(params["ngram_range"])
            params["dtype"] = np.dtype(params["dtype"]).name
            if not (params["stop_words"] is None or isinstance(params["stop_words"], str)):
                params["stop_words"] = sorted(params["stop_words"])
            vocabulary = vectorizer.vocabulary_
            entries.append({"params": params, "vocabulary": sorted(vocabulary, key=vocabulary.__getitem__)})
            arrays[f"idf_{i}"] = np.asarray(vectorizer.idf_, dtype=np.float64)
        return entries, arrays

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


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The 82,765 words of symspellpy's English frequency dictionary: real words, never "corrected"."""
    from importlib.resources import files

    text = files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class Speller:
    """Puts a word the classifier never saw back to the nearest one it did, for its features only.

    A typo such as "therpist" or "fancey" otherwise leaves only its character n-grams to
    the classifier. Only the classifier's word and lemma views change: the crisis rules
    read the message as sent. A misspelt word can only become one the training data
    holds, with that word's lemma; a real English word (symspellpy's dictionary, which
    ships in its wheel) stays what it is, so "step" never becomes "stop", and nothing
    changes in a Spanish message, whose crisis words the classifier learned as they are.
    A word the danger tiers of the rules name is never changed, so no crisis word is
    rewritten into something safe.
    """

    def __init__(self, counts: Dict[str, int], lemmas: Dict[str, str], keep: frozenset[str] = frozenset()) -> None:
        from symspellpy import SymSpell

        self.counts, self.lemmas, self.keep = counts, lemmas, keep
        english_words()  # read now, at load, rather than on the first message
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            self._symspell.create_dictionary_entry(word, count)

    @classmethod
    def learned(cls, rows: List[tuple[str, str, str]], keep: frozenset[str] = frozenset(), least: int = 1) -> Speller:
        """The words of the training views (alphabetic, three letters or more, seen `least` times) with their lemmas.

        A word seen once is often a typo of the training data's own, and no better a word to read a typo as.
        """
        counts: Dict[str, int] = {}
        lemmas: Dict[str, str] = {}
        for words, lemma_words, _ in rows:
            split, lemma_split = words.split(), lemma_words.split()
            pairs = zip(split, lemma_split, strict=True) if len(split) == len(lemma_split) else ((w, w) for w in split)
            for word, lemma in pairs:
                if word.isalpha() and len(word) >= 3:
                    counts[word] = counts.get(word, 0) + 1
                    lemmas.setdefault(word, lemma)
        counts = {word: n for word, n in counts.items() if n >= least}
        return cls(counts, {word: lemmas[word] for word in counts}, keep)

    def word(self, word: str) -> str | None:
        """The training word `word` was probably meant as, or None to leave it as it is."""
        from symspellpy import Verbosity

        if word in self.counts or len(word) < 3 or not word.isalpha() or word in self.keep or word in english_words():
            return None
        found = self._symspell.lookup(word, Verbosity.TOP, max_edit_distance=1 if len(word) < 7 else 2)
        return found[0].term if found else None

    def correct(self, row: tuple[str, str, str]) -> tuple[str, str, str]:
        """The views with each unseen word (and its lemma) replaced by the training word it was meant as."""
        words, lemmas, raw = row
        split = words.split()
        fixed = [self.word(w) for w in split]
        if not any(fixed) or language.detect(raw) == language.SPANISH:  # Spanish words are not English typos
            return row
        lemma_split = lemmas.split()
        aligned = len(lemma_split) == len(split)
        new_words, new_lemmas = [], []
        for i, (word, better) in enumerate(zip(split, fixed, strict=True)):
            new_words.append(better or word)
            if aligned:
                new_lemmas.append(self.lemmas.get(better, better) if better else lemma_split[i])
        return " ".join(new_words), " ".join(new_lemmas) if aligned else lemmas, raw


def write_model(directory: Path, features: Features, model: Any, speller: Speller | None = None) -> None:
    """Store the fitted features, SVM and speller's words as ARRAYS_FILE and METADATA_FILE in `directory`."""
    entries, arrays = features.archived()
    arrays["coef"] = np.asarray(model.coef_, dtype=WEIGHTS)
    arrays["intercept"] = np.asarray(model.intercept_, dtype=np.float64)
    metadata = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "vectorizers": entries,
        "classes": [str(c) for c in model.classes_],
        "spelling": {"counts": speller.counts, "lemmas": speller.lemmas} if speller is not None else None,
    }
    with (directory / ARRAYS_FILE).open("wb") as f:
        np.savez(f, **arrays)
    (directory / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")


def read_model(directory: Path) -> tuple[Features, Any, Speller | None] | None:
    """The features, SVM and speller `write_model` stored, or None if `directory` holds neither file.

    Raises one of _UNREADABLE for a damaged or foreign archive, including one with pickled arrays.
    """
    from sklearn.svm import LinearSVC

    if not (directory / ARRAYS_FILE).exists() and not (directory / METADATA_FILE).exists():
        return None
    metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    _require(isinstance(metadata, dict) and metadata.get("format") == ARCHIVE_FORMAT, "unknown archive format")
    version = metadata.get("version")
    _require(type(version) is int and version in READABLE_VERSIONS, f"unsupported version {version!r}")
    npz = np.load(directory / ARRAYS_FILE, allow_pickle=False)
    _require(isinstance(npz, np.lib.npyio.NpzFile), f"{ARRAYS_FILE} is not an npz archive")
    with npz:
        arrays = {name: npz[name] for name in npz.files}  # an object (pickled) array raises ValueError here
    features = Features.restored(metadata.get("vectorizers"), arrays)
    features.identity_terms = version >= 2
    _require(
        set(arrays) == {f"idf_{i}" for i in range(len(features.vectorizers))} | {"coef", "intercept"},
        f"{ARRAYS_FILE} holds unexpected arrays {sorted(arrays)}",
    )
    classes = metadata.get("classes")
    _require(
        _strings(classes) and len(classes) >= 2 and len(set(classes)) == len(classes),
        "'classes' is not a list of at least two distinct labels",
    )
    rows = 1 if len(classes) == 2 else len(classes)  # a binary SVM has one row of weights
    n_features = sum(len(v.vocabulary_) for v in features.vectorizers)
    coef, intercept = arrays["coef"], arrays["intercept"]
    weights = WEIGHTS if version >= 5 else np.float32 if version == 4 else np.float64
    _require(coef.dtype == weights and coef.shape == (rows, n_features), f"coef is {coef.dtype}, {coef.shape}")
    _require(intercept.dtype == np.float64 and intercept.shape == (rows,), f"intercept has shape {intercept.shape}")
    model = LinearSVC()
    model.classes_, model.coef_, model.intercept_ = np.asarray(classes), coef, intercept
    model.n_features_in_ = n_features
    return features, model, _speller(metadata.get("spelling"))


def _speller(spelling: Any) -> Speller | None:
    """The speller of an archive's `spelling` entry (None: an archive without one)."""
    if spelling is None:
        return None
    _require(isinstance(spelling, dict) and set(spelling) == {"counts", "lemmas"}, "'spelling' is malformed")
    counts, lemmas = spelling["counts"], spelling["lemmas"]
    _require(
        isinstance(counts, dict) and all(type(k) is str and type(v) is int and v > 0 for k, v in counts.items()),
        "'spelling.counts' is not a map of words to counts",
    )
    _require(
        isinstance(lemmas, dict) and all(type(k) is str and type(v) is str for k, v in lemmas.items()),
        "'spelling.lemmas' is not a map of words to lemmas",
    )
    return Speller(counts, lemmas, danger_words())


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
            "word_min_df": 1,  # word n-grams in fewer training examples are left out (memory)
            "char_ngrams": [2, 5],
            "ranking_length": 10,
            "random_seed": 42,
            "spelling": True,  # read unseen words as the nearest training word (Speller)
            "spelling_min_count": 1,  # ...among the training words seen this many times
            # A sentence read alone as `crisis` at this confidence, with a word of danger_lexicon.txt,
            # makes the whole message one: danger told inside an ordinary question ("...I took 40 of
            # my tablets at 9. Can I text her?"). None reads whole messages only.
            "sentence_crisis": None,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        features: Features | None = None,
        model: Any = None,
        speller: Speller | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.features = features
        self.model = model
        self.speller = speller if self.config["spelling"] else None

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
        self.features = Features(self.config["word_ngrams"], self.config["char_ngrams"], self.config["word_min_df"])
        rows = [views(m) for m in examples]
        matrix = self.features.fit_transform(rows)
        self.model = LinearSVC(C=self.config["C"], random_state=self.config["random_seed"]).fit(matrix, labels)
        self.model.coef_ = np.asarray(self.model.coef_, dtype=WEIGHTS)  # as stored (ARCHIVE_VERSION 5)
        least = self.config["spelling_min_count"]
        self.speller = Speller.learned(rows, danger_words(), least) if self.config["spelling"] else None
        with self._model_storage.write_to(self._resource) as directory:
            write_model(directory, self.features, self.model, self.speller)
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
        restored, problem = None, None
        try:
            with model_storage.read_from(resource) as directory:
                try:
                    restored = read_model(directory)
                except _UNREADABLE as error:
                    problem = error
        except ValueError:  # read_from: nothing was stored for this resource
            pass
        if problem is not None:
            logger.warning(
                f"LinearIntentClassifier: the model archive of '{resource.name}' is damaged or in an unknown "
                f"format ({type(problem).__name__}: {problem}); it will predict nothing"
            )
        elif restored is None:
            logger.warning("LinearIntentClassifier: no trained model in the archive; it will predict nothing")
        features, model, speller = restored or (None, None, None)
        return cls(config, model_storage, resource, features, model, speller)

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
        scores would be the SVM's intercepts alone, which favor the biggest intent.
        """
        nothing: tuple[Dict[str, Any], List[Dict[str, Any]]] = ({"name": None, "confidence": 0.0}, [])
        if self.model is None or not message.get(TEXT):
            return nothing
        ranking = self._ranking(message)
        if not ranking:
            return nothing
        floor = self.config["sentence_crisis"]
        if floor is not None and ranking[0]["name"] != CRISIS_INTENT:
            lexicon = danger_lexicon()
            for sentence in sentences(message):
                tokens = sentence.get(TOKENS_NAMES[TEXT])
                if not any(fold_accents(t.text.lower()) in lexicon for t in tokens):
                    continue
                best = (self._ranking(sentence) or [{}])[0]
                if best.get("name") == CRISIS_INTENT and best["confidence"] >= floor:
                    rest = [r for r in ranking if r["name"] != CRISIS_INTENT]
                    ranking = [dict(best), *rest][: self.config["ranking_length"]]
                    break
        return dict(ranking[0]), ranking

    def _ranking(self, message: Message) -> List[Dict[str, Any]]:
        row = views(message, self.features.identity_terms)
        if self.speller is not None:
            row = self.speller.correct(row)
        columns, values = self.features.one(row)
        if not len(columns):
            return []
        scores = self.model.coef_[:, columns] @ values + self.model.intercept_
        if len(self.model.classes_) == 2:  # a binary SVM scores only the second class
            scores = np.array([-scores[0], scores[0]])
        confidences = softmax(scores, self.config["temperature"])
        order = np.argsort(confidences)[::-1][: self.config["ranking_length"]]
        return [{"name": str(self.model.classes_[i]), "confidence": float(confidences[i])} for i in order]
