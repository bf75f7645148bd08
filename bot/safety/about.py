"""Who a crisis is about: the writer (`self`) or someone else (`other`), learned from labelled crises.

The level-1 reply speaks to the person at risk or to the one helping them (bot/safety/policy.py).
The rules say who a match is about from the person it names, and `about_all` takes the first person
a message names; both miss a writer who names others ("my mum doesn't know I took them") and a
helper who talks about themselves ("I'm a teacher and a student just told me..."). A linear model
over word 1-2 grams, trained on the crises of the retired safety sets, where each writer said who
was at risk (`metadata: {about: ...}` in data/nlu_sets.yml), tells them apart far more often
(docs/safety.md). It is stored as plain numbers (a weight and an idf per n-gram) and applied
without sklearn: nothing is unpickled, and one crisis costs a tenth of a millisecond.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any, Dict, Iterable, Sequence

SELF, OTHER = "self", "other"
FORMAT = "alliance-about-1"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # sklearn's default token pattern, so training and use agree


def _grams(text: str) -> list[str]:
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


class AboutModel:
    """A binary linear model: a positive score means the writer is the one at risk."""

    def __init__(self, terms: Dict[str, tuple[float, float]], intercept: float) -> None:
        self.terms = terms  # n-gram -> (idf, weight)
        self.intercept = intercept

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], c: float = 1.0, min_df: int = 2) -> AboutModel:
        """n-grams of one example only are left out: a third of the terms, and as accurate (docs/safety.md)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        if set(labels) != {SELF, OTHER}:
            raise ValueError(f"need crises about both the writer and someone else, got {sorted(set(labels))}")
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min(min_df, len(texts)))
        features = vectorizer.fit_transform(texts)
        svm = LinearSVC(C=c, random_state=0).fit(features, [label == SELF for label in labels])
        weights = svm.coef_[0]
        terms = {
            term: (float(vectorizer.idf_[column]), float(weights[column]))
            for term, column in vectorizer.vocabulary_.items()
            if weights[column] != 0.0
        }
        return cls(terms, float(svm.intercept_[0]))

    def score(self, text: str) -> float:
        counts: Dict[str, int] = {}
        for gram in _grams(text):
            if gram in self.terms:
                counts[gram] = counts.get(gram, 0) + 1
        values = {g: (1.0 + math.log(n)) * self.terms[g][0] for g, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        return self.intercept + sum(v / norm * self.terms[g][1] for g, v in values.items())

    def who(self, text: str) -> str:
        return SELF if self.score(text) >= 0.0 else OTHER

    def as_dict(self) -> Dict[str, Any]:
        return {"format": FORMAT, "intercept": self.intercept, "terms": self.terms}

    @classmethod
    def from_dict(cls, data: Any) -> AboutModel:
        if not (isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("terms"), dict)):
            raise ValueError("not an about model")
        terms = {str(t): (float(v[0]), float(v[1])) for t, v in data["terms"].items()}
        return cls(terms, float(data["intercept"]))


def labelled(examples: Iterable[tuple[str, Any]]) -> tuple[list[str], list[str]]:
    """The texts and labels of the examples whose metadata says who was at risk."""
    texts, labels = [], []
    for text, metadata in examples:
        about = metadata.get("about") if isinstance(metadata, dict) else None
        if about in (SELF, OTHER):
            texts.append(text)
            labels.append(about)
    return texts, labels
