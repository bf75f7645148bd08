"""The safety layer: crisis detection that runs before any FAQ logic.

Two layers inside the NLU pipeline: the trained `crisis` intent, then
`CrisisGuard`, which matches hand-written rules (bot/safety_rules.yml) over
spaCy tokens and lemmas. A danger rule forces the intent to `crisis` with
confidence 1.0; idioms, media, study and long-past contexts keep words like
"killing" or "suicide" from raising false alarms. `CrisisPolicy` then makes
the escalation the next action whatever the conversation looked like before,
so the reply needs nothing but the Rasa server. docs/safety.md has the details.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List

import yaml
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

RULES_FILE = Path(__file__).with_name("safety_rules.yml")
CRISIS_INTENT = "crisis"
CRISIS_RESPONSE = "utter_crisis"
RECORD_ACTION = "action_record_escalation"
SAFETY_KEY = "safety"
GAP = 3  # how many tokens `...` may skip


# --- the rule language -----------------------------------------------------------


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


# --- Rasa components ---------------------------------------------------------------


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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class CrisisPolicy(Policy):
    """After a crisis message: the crisis response, then the record, then listen.

    Rules do the same, but they assume a well-formed conversation; this policy
    only looks at what happened since the last user message, so the escalation
    also goes out when, say, the action server failed to start the session.
    """

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": 7}  # above RulePolicy (6): ties go to safety

    def train(self, training_trackers: List[Any], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        done = _actions_since_user_message(tracker.events)
        if done is not None and tracker.latest_message.intent.get("name") == CRISIS_INTENT:
            for action in (CRISIS_RESPONSE, RECORD_ACTION, ACTION_LISTEN_NAME):
                if action not in done:
                    if action in domain.action_names_or_texts:
                        probabilities[domain.index_for_action(action)] = 1.0
                    break
        return self._prediction(probabilities)


def _actions_since_user_message(events: Iterable[Any]) -> List[str] | None:
    """Action names run after the latest user message, or None if there is none."""
    done: List[str] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            return done
        if isinstance(event, ActionExecuted) and event.action_name:
            done.append(event.action_name)
    return None
