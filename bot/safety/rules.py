"""Crisis rules: the rule language of `rules.yml`, compiled to spaCy Matchers.

Three tiers: a `danger` rule names present danger and always escalates; a
`guarded` rule escalates unless a `safe` context (an idiom, media, study, the
long past) matches too. docs/safety.md explains how to write a rule.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.safety import CRISIS_INTENT

logger = logging.getLogger(__name__)

RULES_FILE = Path(__file__).with_name("rules.yml")
GAP = 3  # how many tokens `...` may skip


def _token_variants(spec: str, tokenize) -> list[list[dict]]:
    """Compile one token of the rule language into Matcher token sequences."""
    if spec == "...":
        return [[{"OP": "?"}] * GAP]
    if spec == "?":
        return [[{"OP": "?"}]]
    if spec == "*":
        return [[{"OP": "*"}]]
    optional = spec.endswith("?") and len(spec) > 1
    spec = spec.rstrip("?") if optional else spec
    attr = "LEMMA" if spec.startswith("@") else "LOWER"
    words = spec.lstrip("@").strip("()").split("|")
    singles: list[str] = []
    variants: list[list[dict]] = []
    for word in words:
        pieces = tokenize(word.replace("_", " "))
        if len(pieces) == 1:
            singles.append(pieces[0])
        else:  # "won't" is two tokens ("wo", "n't"): a sequence of its own
            variants.append([{"LOWER": p} for p in pieces])
    if singles:
        variants.insert(0, [{attr: {"IN": sorted(set(singles))}}])
    if optional:
        variants.append([])
    return variants


def required_words(pattern: str, tokenize) -> list[list[list[tuple[str, frozenset]]]]:
    """For each position a rule line can't skip: its alternatives, as (attribute, words) per token.

    A line can match only if every such position has an alternative whose words all
    occur in the message: a cheap test that lets most messages skip the Matcher.
    """
    positions = []
    for spec in pattern.split():
        variants = _token_variants(spec, tokenize)
        if any(not v or all("OP" in t for t in v) for v in variants):
            continue  # optional or a gap
        positions.append([
            [(attr, frozenset(value["IN"]) if isinstance(value, dict) else frozenset([value]))
             for token in v for attr, value in token.items()]
            for v in variants
        ])  # fmt: skip
    return positions


def _index_lines(lines: list, common: set[str]) -> tuple[dict[tuple[str, str], list[int]], list[int]]:
    """Each line under the words of one required position, preferring one without common words.

    A line can match only if that position is present, and a position is present only if
    the first word of one of its alternatives is: so a message needs one of those words.
    """
    by_word: dict[tuple[str, str], list[int]] = {}
    always: list[int] = []
    for i, positions in enumerate(lines):
        if not positions:
            always.append(i)
            continue
        keys = [{(variant[0][0], w) for variant in position for w in variant[0][1]} for position in positions]
        best = min(keys, key=lambda k: (sum(w in common for _, w in k), len(k)))
        for key in best:
            by_word.setdefault(key, []).append(i)
    return by_word, always


def compile_pattern(pattern: str, tokenize) -> list[list[dict]]:
    """All Matcher patterns for one rule line (alternatives of different lengths expand)."""
    positions = [_token_variants(spec, tokenize) for spec in pattern.split()]
    compiled = []
    for combination in itertools.product(*positions):
        tokens = [t for part in combination for t in part]
        if any("OP" not in t for t in tokens):  # a pattern of only optional tokens would match anything
            compiled.append(tokens)
    return compiled


@dataclass(frozen=True)
class Verdict:
    """What the rules found in one message."""

    danger: str | None = None  # the danger or guarded rule that fired
    safe: str | None = None  # the safe pattern that matched, if any


class CrisisRules:
    """Compiled rules, matched against a spaCy Doc."""

    def __init__(self, rules: Dict[str, Dict[str, List[str]]], nlp) -> None:
        from spacy.matcher import Matcher

        self.nlp = nlp
        tokenize = lambda text: [t.text for t in nlp.tokenizer(text.lower())]  # noqa: E731
        self.matchers = {}
        self.gates: dict[str, list] = {}
        self.index: dict[str, tuple[dict[tuple[str, str], list[int]], list[int]]] = {}
        for tier in ("danger", "guarded", "safe"):
            matcher = Matcher(nlp.vocab)
            self.gates[tier] = []
            for name, patterns in (rules.get(tier) or {}).items():
                compiled = [p for line in patterns for p in compile_pattern(str(line), tokenize)]
                if not compiled:
                    raise ValueError(f"safety rule {tier}.{name} has no usable pattern")
                matcher.add(f"{tier}.{name}", compiled)
                self.gates[tier] += [required_words(str(line), tokenize) for line in patterns]
            self.matchers[tier] = matcher
            self.index[tier] = _index_lines(self.gates[tier], nlp.Defaults.stop_words)

    @staticmethod
    def words(doc) -> dict[str, set[str]]:
        return {"LOWER": {t.lower_ for t in doc}, "LEMMA": {t.lemma_ for t in doc}}

    def could_match(self, tier: str, doc, words: dict[str, set[str]] | None = None) -> bool:
        """False only when no rule line of the tier has all its required words in `doc`.

        Only lines whose indexed position has a word in the message are checked in full.
        """
        words = words or self.words(doc)
        by_word, always = self.index[tier]
        candidates = set(always)
        for attr, present in words.items():
            for word in present:
                candidates.update(by_word.get((attr, word), ()))
        lines = self.gates[tier]
        return any(
            all(
                any(all(values & words[attr] for attr, values in variant) for variant in position)
                for position in lines[i]
            )
            for i in candidates
        )

    def _first(self, tier: str, doc, words: dict[str, set[str]] | None = None) -> str | None:
        if not self.could_match(tier, doc, words):
            return None
        matches = self.matchers[tier](doc)
        return self.nlp.vocab.strings[matches[0][0]] if matches else None

    def matches(self, text: str) -> set[str]:
        """Every rule (tier.name) that matches `text`: for tests and for people writing rules."""
        doc = self.nlp(text.lower())
        return {self.nlp.vocab.strings[m[0]] for tier in self.matchers for m in self.matchers[tier](doc)}

    def check(self, doc) -> Verdict:
        words = self.words(doc)
        danger = self._first("danger", doc, words)
        safe = self._first("safe", doc, words)
        if danger:
            return Verdict(danger=danger, safe=safe)
        guarded = self._first("guarded", doc, words)
        if guarded and not safe:
            return Verdict(danger=guarded)
        return Verdict(safe=safe)

    def check_text(self, text: str) -> Verdict:
        return self.check(self.nlp(text.lower()))


def load_rules(path: Path = RULES_FILE) -> Dict[str, Dict[str, List[str]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_rules() -> CrisisRules:
    """The project's rules over its spaCy pipeline (built once per process)."""
    import spacy

    from bot import config

    model = config.spacy_model_dir()
    nlp = spacy.load(model) if model.exists() else spacy.blank("en")
    return CrisisRules(load_rules(), nlp)


def decide(intent: str | None, verdict: Verdict) -> Dict[str, Any] | None:
    """Combine the classifier's intent with the rules.

    Returns the `safety` record for the parse result, or None when neither layer
    sees a crisis. A safe context overrules a classifier `crisis` only when no
    danger rule matched: danger rules name present danger, so a missed crisis
    (worse than a false alarm) needs a danger phrase no rule knows.
    """
    classifier = intent == CRISIS_INTENT
    if verdict.danger:
        layer = "classifier+rules" if classifier else "rules"
        return {"crisis": True, "layer": layer, "rule": verdict.danger}
    if classifier and verdict.safe:
        return {"crisis": False, "layer": "classifier", "rule": None, "overruled_by": verdict.safe}
    if classifier:
        return {"crisis": True, "layer": "classifier", "rule": None}
    return None
