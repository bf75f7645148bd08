"""The NLU component that puts the crisis rules in front of everything else, and grades the risk."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import config
from bot.nlu.text import clean
from bot.safety import CRISIS_INTENT, OUT_OF_SCOPE_INTENT, SAFETY_KEY, about, language
from bot.safety.rules import IDIOM_SURE, CrisisRules, Verdict, decide, default_rules, spanish_rules

logger = logging.getLogger(__name__)
ABOUT_FILE = "about.json"

# A button's payload: "/intent" or "/intent{json}", nothing more (bot/content/replies.py makes them).
PAYLOAD = re.compile(r"^/\w+(\{.*\})?$", re.DOTALL)
_PAYLOAD_PUNCTUATION = re.compile(r'[/{}\[\]":,_@\\]+')
# A classifier crisis with no rule behind it, in this many words or fewer and below this
# confidence, is graded level 2: too little text to tell imminence ("ya", "Maria here", "cant
# anymore"), so the check-in asks; "took them all" (0.99) stays level 1 (docs/safety.md).
BRIEF_WORDS, BRIEF_SURE = 3, 0.98
_WORD = re.compile(r"\w+")
# Small talk the classifier knows in Spanish ("gracias", "chao", "no gracias"), in this many words
# or fewer, is answered as such, in English, rather than with the reply for a language Alliance
# can't read; a longer message is a question ("Buenos días, ¿me podría ayudar...?"). In any other
# language ("Dank je wel!", "Sat Sri Akal ji", "howay, hiya pet"), and in Spanish up to
# SMALL_TALK_SURE_WORDS ("Lo pregunto de otra manera"), only from SMALL_TALK_SURE on and in words of at
# most SMALL_TALK_CHARS: a sentence with no spaces (Chinese, Japanese) is not small talk, and the
# language reply, which names the emergency number, stays for everything the classifier doubts
# (docs/nlu.md).
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "feedback_helpful",
                        "feedback_not_helpful", "ask_again"})  # fmt: skip
SMALL_TALK_WORDS, SMALL_TALK_SURE_WORDS, SMALL_TALK_SURE, SMALL_TALK_CHARS = 4, 6, 0.95, 15


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _small_talk(text: str, intent: Any, confidence: float, tongue: str) -> bool:
    """Whether a short message is small talk the classifier knows, whatever its language."""
    chunks, words = text.split(), len(_WORD.findall(text))
    if intent not in SMALL_TALK or not chunks:
        return False
    if tongue == language.SPANISH and words <= SMALL_TALK_WORDS:
        return True
    sure = confidence >= SMALL_TALK_SURE and max(len(c) for c in chunks) <= SMALL_TALK_CHARS
    return sure and words <= SMALL_TALK_SURE_WORDS


def _readable(text: str) -> str:
    """A payload's words: "/greet{\"x\":\"i want to die\"}" reads "greet x i want to die".

    Its JSON is decoded first, as Rasa decodes it: "\\u006bill" is "kill".
    """
    match = PAYLOAD.match(text)
    if match and match.group(1):
        try:
            decoded = json.loads(match.group(1))
        except (ValueError, RecursionError):
            decoded = None
        if decoded is not None:
            text = " ".join([text[: match.start(1)], *_strings(decoded)])
    return " ".join(_PAYLOAD_PUNCTUATION.sub(" ", clean(text)).split())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisGuard(GraphComponent):
    """Forces `crisis` at a level when a danger rule matches; place it after the classifier.

    The classifier's own `crisis` counts only at or above `classifier_threshold`
    (calibrated on the development sets, docs/safety.md): below it, a message that
    only says who someone is ("I'm gay and...") could be answered with 9-1-1.
    The rules are the recall guarantee. Messages in Spanish go through the Spanish
    rules too; messages in a language Alliance can't read are marked for the reply
    that says so, in English and Spanish, with the emergency number.

    Training learns who a crisis is about (bot/safety/about.py) from the crisis examples
    whose block's metadata says so; without such examples, the rules' reading stands.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"classifier_threshold": 0.0}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        threshold = float({**cls.get_default_config(), **config}["classifier_threshold"])
        return cls(threshold=threshold, model_storage=model_storage, resource=resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            (m.get(TEXT), (m.get(METADATA) or {}).get(METADATA_INTENT))
            for m in training_data.intent_examples
            if m.get(INTENT) == CRISIS_INTENT and m.get(TEXT)
        ]
        texts, labels = about.labelled(examples)
        if self._model_storage is None or self._resource is None or len(set(labels)) < 2:
            return self._resource
        self.about_model = about.AboutModel.fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / ABOUT_FILE).write_text(json.dumps(self.about_model.as_dict()), encoding="utf-8")
        logger.debug("who a crisis is about: learned from %d examples", len(texts))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisGuard:
        """Compiles the rules while the server loads the model, not on the first person's message."""
        guard = cls.create(config, model_storage, resource, execution_context)
        guard.rules, guard.spanish  # noqa: B018 -- compiled once per process, then cached
        try:
            with model_storage.read_from(resource) as directory:
                stored = directory / ABOUT_FILE
                if stored.exists():
                    guard.about_model = about.AboutModel.from_dict(json.loads(stored.read_text(encoding="utf-8")))
        except ValueError:  # read_from: nothing stored (a model trained with no labelled crises)
            logger.debug("who a crisis is about: no model stored, the rules' reading stands")
        return guard

    def __init__(
        self,
        rules: CrisisRules | None = None,
        spanish: CrisisRules | None = None,
        threshold: float = 0.0,
        about_model: about.AboutModel | None = None,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
    ) -> None:
        self._rules = rules
        self._spanish = spanish
        self.about_model = about_model
        self._model_storage = model_storage
        self._resource = resource
        override = config.crisis_threshold()
        self.threshold = override if override is not None else threshold
        self.max_chars = config.max_message_chars()

    def _as_words(self, text: str) -> str | None:
        """A message starting with "/" as words, unless it is exactly a button's payload with no danger in it.

        Rasa unpacks "/intent{...}" as that intent, after and over every NLU layer, and
        logs any other text after a "/" as a warning; so such a message is read as words
        unless it is exactly a payload's form and no crisis rule fires on its words.
        None: a button's payload, left to Rasa.
        """
        readable = _readable(text)
        if not PAYLOAD.match(text):
            return readable
        verdicts = [self.rules.check_text(readable)]
        if self.spanish is not None:
            verdicts.append(self.spanish.check_text(readable))
        return readable if any(verdict.level in (1, 2) for verdict in verdicts) else None

    @property
    def rules(self) -> CrisisRules:
        if self._rules is None:
            self._rules = default_rules()
        return self._rules

    @property
    def spanish(self) -> CrisisRules | None:
        if self._spanish is None:
            self._spanish = spanish_rules()
        return self._spanish

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        doc = message.get(SPACY_DOCS[TEXT])
        words = self._as_words(text) if text.startswith("/") else None
        if words is not None:
            # Rasa would read it as a button's intent and skip every layer: read it as words.
            text = words
            message.set(TEXT, text)
            doc = None
            if not text:
                return
        verdict = self.rules.check(doc) if doc is not None else self.rules.check_text(text)
        tongue = language.detect(text)
        # The Spanish rules read every message that isn't plainly English ("ya no quiero vivir" inside English too).
        spanish = spanish_doc = None
        if self.spanish is not None and not language.plainly_english(text):
            spanish_doc = self.spanish.doc(text)
            spanish = self.spanish.check(spanish_doc)
        if spanish is not None:
            verdict, spanish = _now_in_either(verdict, spanish)
        english_level = verdict.level if verdict.level in (1, 2) else 3
        if spanish is not None and spanish.level in (1, 2) and spanish.level < english_level:
            verdict, tongue = spanish, language.SPANISH
        elif spanish is not None and spanish.safe and english_level == 3 and not verdict.safe:
            verdict = spanish  # a Spanish idiom or mention overrules the classifier as an English one does
        elif spanish is not None and spanish.no_intent and verdict == Verdict():
            verdict = spanish  # "pero bien", "nunca lo haría": a classifier-only crisis is then level 2
        predicted = dict(message.get(INTENT) or {})
        confidence = float(predicted.get("confidence") or 0.0)
        words = len(_WORD.findall(text))
        brief = words <= BRIEF_WORDS and confidence < BRIEF_SURE
        idiom_sure = IDIOM_SURE if tongue == language.ENGLISH else float("inf")  # rules.IDIOM_SURE: English only
        record = decide(predicted.get("name"), verdict, confidence, self.threshold, brief, idiom_sure)
        if record is not None and record.get("crisis") and self.about_model is not None:
            record["about"] = self.about_model.who(text)
        elif record is not None and record.get("crisis") and record["layer"] == "classifier":
            if tongue == language.SPANISH and self.spanish is not None:
                spanish_doc = spanish_doc if spanish_doc is not None else self.spanish.doc(text)
                record["about"] = self.spanish.about_all(spanish_doc)
            else:
                record["about"] = self.rules.about_all(doc if doc is not None else self.rules.doc(text))
        crisis = bool(record and record.get("crisis"))
        small_talk = not crisis and _small_talk(text, predicted.get("name"), confidence, tongue)
        if small_talk and tongue != language.ENGLISH:
            record = None
        elif tongue != language.ENGLISH and not (record and record.get("crisis") and record["layer"] != "classifier"):
            # Alliance can't read it: one reply, in English and Spanish, with the emergency number.
            # A Spanish crisis the classifier alone saw still gets the Spanish crisis reply.
            if record and record.get("crisis") and tongue == language.SPANISH:
                record["language"] = tongue
            else:
                record = {"crisis": False, "layer": "language", "rule": None, "language": tongue}
        elif record is not None:
            record["language"] = tongue if record.get("crisis") else language.ENGLISH
        if len(text) > self.max_chars and not (record and record.get("crisis")):
            # Read whole for danger above; otherwise too long to answer well: ask for a shorter one.
            record = {"crisis": False, "layer": "length", "rule": None, "language": tongue}
        if record is None:
            return
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS_INTENT]
        record["classifier"] = predicted
        message.set(SAFETY_KEY, record, add_to_output=True)
        if record["crisis"]:
            # Crisis owns the ranking: a confident runner-up would look "ambiguous" to
            # the FallbackClassifier and turn the escalation into "Did you mean...?".
            top = {"name": CRISIS_INTENT, "confidence": 1.0}
            rest = [{**r, "confidence": 0.0} for r in ranking]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *rest], add_to_output=True)
        elif record["layer"] in ("language", "length"):
            top = {"name": OUT_OF_SCOPE_INTENT, "confidence": 1.0}
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top], add_to_output=True)
        elif predicted.get("name") == CRISIS_INTENT and ranking:  # overruled: the best other intent
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        logger.debug("safety layer: %s", {k: v for k, v in record.items() if k != "classifier"})  # never the text


def _now_in_either(english: Verdict, spanish: Verdict) -> tuple[Verdict, Verdict]:
    """A `now` marker in either language lifts a risk found in the other ("...en el GW Bridge, ya no
    aguanto"): one message mixing both is one message. A statement of no intent in either language
    keeps it where it is (the English "plan" of "no tengo ningún plan" is not a plan)."""
    now = (english.now or spanish.now) and not (english.calm or spanish.calm)

    def lifted(verdict: Verdict) -> Verdict:
        if verdict.level == 2 and now and not verdict.now:
            return dataclasses.replace(verdict, level=1, now=True)
        return verdict

    return lifted(english), lifted(spanish)
