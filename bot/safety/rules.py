"""Crisis rules: the rule language of `rules.yml` (and `rules_es.yml`), compiled to spaCy Matchers.

A match gives a level: 1, imminent danger; 2, risk without imminence; 3, a mention
of danger in a safe context (study, work, media, the long past), which is answered
normally with a pointer to the crisis line. Imminent and risk rules name present
danger and always escalate; guarded rules escalate unless an idiom or a mention
matches too. docs/safety.md explains the levels and how to write a rule.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.safety import CRISIS_INTENT

logger = logging.getLogger(__name__)

RULES_FILE = Path(__file__).with_name("rules.yml")
SPANISH_RULES_FILE = Path(__file__).with_name("rules_es.yml")
GAP = 3  # how many tokens `...` may skip
# Tiers whose match escalates, with the level each gives; `now` lifts a level 2 to 1.
LEVELS = {"imminent": 1, "risk": 2, "guarded": 1, "guarded_risk": 2}
SILENCERS = ("idiom", "mention")
# Distance: what places a danger told in a sentence away from the writer's present. `past` anchors it in
# the long past ("back in the 80s", "when I was a kid"); `hypothetical` in a generic case ("what does a
# therapist do if a client says they want to die"); `resolved` says it is over ("I've been well for
# years"); `present` says it is not ("again", "lately", "these days"). See `_distant`.
FRAMES = ("past", "hypothetical")
DISTANCE = (*FRAMES, "resolved", "present")
TIERS = (*LEVELS, "now", "no_intent", "joke", "hyperbole", *SILENCERS, *DISTANCE)
# Kinds of danger a laugh in the same sentence turns into banter ("i'll murder him lol, he ate my
# leftovers"). Never a danger to the writer: laughter is also how people tell the worst things.
JOKABLE = frozenset({"harm_to_others"})
# Kinds of danger to the writer that a laugh and a conditional exasperation in one sentence ("if I get one
# more intake form I'll shoot myself lol") take from level 1 to 2: the check-in asks, and no 9-1-1 reply
# answers a joke about paperwork. Never below 2, and never with a `now` marker (a time, means, a plan).
EXASPERABLE = frozenset({"suicide", "self_harm"})
# Mentions that say nothing about a danger told beside them ("I'm a teacher", "my therapist... my
# appointment"): they silence danger words but overrule the classifier only where they silenced one.
WEAK_MENTIONS = frozenset({"mention.study_and_work", "mention.therapy_topics", "mention.media_and_games"})
# Grief and the long past overrule it unless a `now` marker (a time, means, a plan) is in the message:
# "my husband died... tonight I go with him, the pills are ready".
PAST_MENTIONS = frozenset({"mention.grief", "mention.long_past"})
KINDS = frozenset({
    "suicide", "self_harm", "overdose", "medical", "violence", "domestic_violence", "child_abuse",
    "harm_to_others", "danger_now",
})  # fmt: skip
IDIOM_AROUND = 6  # how many more tokens than an imminent match an idiom around it may span and still silence it
# A classifier `crisis` this sure stands against an idiom in an English message: "my face is hanging on
# one side" (a stroke) is not "hanging on", and no English hard negative with an idiom reaches it. In
# Spanish the classifier reaches it on ordinary days ("un día de perros"), so idioms there always speak.
IDIOM_SURE = 0.95
# A classifier `crisis` this sure stands against any mention and any danger told at a distance (the long
# past, grief, a generic case), in any language: "overdosed twice in my twenties... I just took all my
# lithium", "I'm a novelist writing a suicide scene... the rope is up".
DISTANCE_SURE = 0.95
SENTENCE_ENDS = frozenset({".", "!", "?", ";", "\n"})  # where an idiom stops speaking for the words around it
PAST_BEFORE = 3  # tokens before a match that may hold its past-tense verb ("was taking his own life")
MEANS_AFTER = 4  # tokens after a match whose means word names the past act's means, not means at hand
NEARBY = 6  # tokens before a match that may say who it is about ("my dad" isn't breathing)
YEARS_OLD = re.compile(r"^\d+(yo|y/o|yrs?)$")  # "my 4yo swallowed..."


def fold_accents(text: str) -> str:
    """"Sí, ¿qué pasó?" -> "si, ¿que paso?": Spanish is typed with and without accents alike."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


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


def _sentences(doc) -> list[int]:
    """The sentence number of each token: a new one after ".", "!", "?", ";" or a line break."""
    numbers, current = [], 0
    for token in doc:
        numbers.append(current)
        if token.text in SENTENCE_ENDS or "\n" in token.text:
            current += 1
    return numbers


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether any of the token spans shares a token with [start, end)."""
    return any(s < end and start < e for s, e in spans)


def _near(spans: list[tuple[int, int]], start: int, end: int, sentences: list[int]) -> bool:
    """Whether a span overlaps [start, end) or shares a sentence with it.

    An idiom speaks for the words around it ("this homework is killing me"), not for a
    danger told in another sentence ("...killing me. anyway i overdosed last night").
    """
    mine = set(sentences[start:end])
    return _overlaps(spans, start, end) or any(mine & set(sentences[s:e]) for s, e in spans)


@dataclass(frozen=True)
class Verdict:
    """What the rules found in one message."""

    danger: str | None = None  # the rule (tier.group) that set the level
    safe: str | None = None  # the idiom or mention that matched, if any
    level: int | None = None  # 1 imminent, 2 risk, 3 a mention whose danger words were silenced
    kind: str | None = None  # suicide, overdose, domestic_violence... (KINDS)
    about: str = "self"  # "other" when someone else is the one at risk
    no_intent: bool = False  # "I'd never act on it": no plan or intent stated, and nothing imminent
    now: bool = False  # a `now` marker outside a statement of no intent: a time, means at hand, a plan
    calm: bool = False  # a statement of no intent anywhere in the message ("no plan", "I'd never")
    distant: bool = False  # the level is lower because the danger was told at a distance (`_distant`)


class CrisisRules:
    """Compiled rules, matched against a spaCy Doc of the lowercased text."""

    def __init__(self, rules: Dict[str, Any], nlp, fold: bool = False) -> None:
        from spacy.matcher import Matcher

        self.nlp = nlp
        self.fold = fold  # match without accents (Spanish): the pipeline's lemma table is folded too
        prepare = fold_accents if fold else (lambda text: text)
        tokenize = lambda text: [t.text for t in nlp.tokenizer(prepare(text.lower()))]  # noqa: E731
        unknown = set(rules) - {*TIERS, "people"}
        if unknown:
            raise ValueError(f"unknown tier(s) in the safety rules: {sorted(unknown)}")
        self.matchers = {}
        self.gates: dict[str, list] = {}
        self.index: dict[str, tuple[dict[tuple[str, str], list[int]], list[int]]] = {}
        for tier in TIERS:
            matcher = Matcher(nlp.vocab)
            self.gates[tier] = []
            for name, patterns in (rules.get(tier) or {}).items():
                if tier in LEVELS and name not in KINDS:
                    raise ValueError(f"safety rule {tier}.{name}: a group is named by its kind, one of {sorted(KINDS)}")
                compiled = [p for line in patterns for p in compile_pattern(str(line), tokenize)]
                if not compiled:
                    raise ValueError(f"safety rule {tier}.{name} has no usable pattern")
                matcher.add(f"{tier}.{name}", compiled)
                self.gates[tier] += [required_words(str(line), tokenize) for line in patterns]
            self.matchers[tier] = matcher
            self.index[tier] = _index_lines(self.gates[tier], nlp.Defaults.stop_words)
        people = rules.get("people") or {}
        self.people = {key: frozenset(prepare(str(w).lower()) for w in people.get(key) or ()) for key in
                       ("self", "other", "household", "named", "first_person", "objects", "reported", "introductions",
                        "harms", "past_forms")}  # fmt: skip

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

    def _matches(self, tier: str, doc, words: dict[str, set[str]]) -> list[tuple[str, int, int]]:
        """(rule, start, end) of every match of the tier, in the order they occur."""
        if not self.could_match(tier, doc, words):
            return []
        found = sorted(self.matchers[tier](doc), key=lambda m: (m[1], m[2]))
        return [(self.nlp.vocab.strings[m[0]], m[1], m[2]) for m in found]

    def doc(self, text: str):
        text = text.lower()
        return self.nlp(fold_accents(text) if self.fold else text)

    def matches(self, text: str) -> set[str]:
        """Every rule (tier.name) that matches `text`: for tests and for people writing rules."""
        doc = self.doc(text)
        return {self.nlp.vocab.strings[m[0]] for tier in self.matchers for m in self.matchers[tier](doc)}

    def _person(self, token) -> str | None:
        word = token.lower_
        if word in self.people["self"]:
            return "self"
        if word in self.people["other"] or YEARS_OLD.match(word):
            return "other"
        return None

    def _about(self, doc, start: int, end: int) -> str:
        """Who a match is about: someone it names ("...kill me", "...kill herself"), else the nearest person
        named before it ("my dad isn't breathing"), else just after it; the writer if nobody is."""
        named = {self._person(t) for t in doc[start:end]}
        if "self" in named or "other" in named:
            return "self" if "self" in named else "other"
        for token in reversed(doc[max(0, start - NEARBY) : start]):
            person = self._person(token)
            if person:
                return person
        after = {self._person(t) for t in doc[end : end + 2]}
        return "other" if "other" in after and "self" not in after else "self"

    def about_all(self, doc) -> str:
        """Who a whole message is about, for a crisis no rule located: the first person it names, unless
        the writer is the one harmed (`harms`: "he hit me").

        Where the rules list `first_person` words (Spanish, which drops its pronouns: "estoy en el
        puente"), someone else is at risk when the message names them and the writer says nothing in
        the first person beyond introducing themselves or reporting what the other said ("soy maestra,
        una alumna me dijo..."): the clitics "se", "le" and the article "el" name nobody.
        """
        if self.people["first_person"]:
            return self._about_without_pronouns(doc)
        harms, writer = self.people["harms"], self.people["self"]
        if any(a.lower_ in harms and b.lower_ in writer for a, b in itertools.pairwise(doc)):
            return "self"  # "my dad hits me": the one named first is the one doing the harm
        for token in doc:
            person = self._person(token)
            if person:
                return person
        return "self"

    def _about_without_pronouns(self, doc) -> str:
        words = [t.lower_ for t in doc]
        if not any(w in self.people["named"] for w in words):
            return "self"
        for i, word in enumerate(words):
            before, after = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
            if before in self.people["introductions"] or (
                word in self.people["objects"] and after in self.people["reported"]
            ):
                continue  # "soy maestra", "me dijo": the writer introduces themselves or reports
            if word in self.people["first_person"] and not (
                before in self.people["objects"] and word in self.people["reported"]
            ):
                return "self"
        return "other"

    def _kind(self, rule: str, doc) -> str:
        kind = rule.split(".", 1)[1]
        if kind == "violence" and any(t.lower_ in self.people["household"] for t in doc):
            return "domestic_violence"
        return kind

    def _past_tense(self, doc, start: int, end: int) -> bool:
        """Whether the words of a match, or the few before it, tell it in the past ("killed himself", "was taking")."""
        for token in doc[max(0, start - PAST_BEFORE) : end]:
            word = token.lower_
            if word in self.people["past_forms"]:
                return True
            if not self.fold and word.endswith("ed") and token.lemma_ != word:
                return True
            if self.fold and word == "se" and token.i + 1 < len(doc):  # "se mato" (preterite), not "se mata"
                verb = doc[token.i + 1].lower_
                if verb.endswith("o") and not verb.endswith("ndo"):
                    return True
        return False

    def _distant(self, found: dict, doc, start: int, end: int, sentences: list[int], present: bool) -> str | None:
        """How a danger match is told at a distance from the writer's present: "past", "hypothetical" or None.

        In the long past (a `past` anchor in its sentence, a past-tense verb in it, and no `present` marker
        outside a `resolved` statement in the message, which `present` says: "I'm fine now" is not "now I'm
        sitting with his gun"), or in a generic case (a `hypothetical` frame opening its sentence before it);
        either way with no time or plan in the message, and no means beyond the act's own.
        """
        for rule, s, e in found["now"]:
            if rule == "now.means" and _overlaps([(start, end + MEANS_AFTER)], s, e):
                continue  # "overdosed on pills in 2009": the past act's means
            return None
        past = [(s, e) for _, s, e in found["past"]]
        if not present and past and _near(past, start, end, sentences) and self._past_tense(doc, start, end):
            return "past"
        mine = sentences[start]
        if any(s <= start and sentences[s] == mine for _, s, e in found["hypothetical"]):
            return "hypothetical"
        return None

    def check(self, doc) -> Verdict:
        """The highest level any rule gives the message (when in doubt, the higher level)."""
        words = self.words(doc)
        found = {tier: self._matches(tier, doc, words) for tier in TIERS}
        mentions = [rule for rule, _, _ in found["mention"]]
        mention = next((m for m in mentions if m not in WEAK_MENTIONS), mentions[0] if mentions else None)
        silencer = found["idiom"][0][0] if found["idiom"] else mention
        calm = [(start, end) for _, start, end in found["no_intent"]]
        # a `now` marker inside a statement of no intent ("plan" in "no plan") says the opposite
        now = any(not _overlaps(calm, start, end) for _, start, end in found["now"])
        best: tuple[int, str, int, int, bool] | None = None
        idioms = [(start, end) for _, start, end in found["idiom"]]
        jokes = [(start, end) for _, start, end in found["joke"]]
        exasperations = [(start, end) for _, start, end in found["hyperbole"]]
        resolved = [(start, end) for _, start, end in found["resolved"]]
        present = any(not _overlaps(resolved, start, end) for _, start, end in found["present"])
        # the message comes to now, so a mention of the past or of grief silences nothing: a time, a plan or means
        # beyond the danger words' own ("an overdose" names no pills at hand), or "lately", outside "I'm well today"
        today = False
        if mention in PAST_MENTIONS:
            acts = [(start, end + MEANS_AFTER) for tier in LEVELS for _, start, end in found[tier]]
            today = any(
                not _overlaps(resolved, start, end) and rule != "now.howto"
                and not (rule == "now.means" and _overlaps(acts, start, end))
                for rule, start, end in found["now"] + [m for m in found["present"] if m[0] == "present.lately"]
            )
        distance = found["past"] or found["hypothetical"]
        sentences = _sentences(doc) if idioms or jokes or distance else []
        joked = None
        distant: list[tuple[str, int, int]] = []  # danger matches told at a distance: a pointer, level 3
        for tier, tier_level in LEVELS.items():
            for rule, start, end in found[tier]:
                level = tier_level  # each match from its tier's level: lowering one lowers no other
                if tier.startswith("guarded") and (
                    _near(idioms, start, end, sentences)
                    or (rule != "guarded.suicide" and mention is not None and not today)
                ):
                    continue  # silenced: by an idiom in its sentence, or a mention (never a plan: "the date is set";
                    # never the past when the message comes to now: "used to cut in high school... tonight I cut")
                if tier == "risk" and _overlaps(idioms, start, end):
                    continue  # the words of an idiom ("i want to die of embarrassment")
                if tier == "imminent" and any(
                    s <= start and end <= e and e - s <= end - start + IDIOM_AROUND for s, e in idioms
                ):
                    continue  # wholly inside an idiom hugging it ("i shot myself in the foot")
                if (
                    tier in ("imminent", "guarded") and rule.split(".", 1)[1] in JOKABLE and not now
                    and _near(jokes, start, end, sentences)
                ):  # fmt: skip
                    joked = joked or found["joke"][0][0]
                    continue  # a threat told with a laugh in its sentence, and no time or means: banter
                how = self._distant(found, doc, start, end, sentences, present) if distance else None
                lowered = False  # a danger to the writer in the long past: the check-in, not 9-1-1
                if how:
                    # a generic case about someone else, or the long past: level 3 when someone else was the one
                    # at risk or the writer says it is over; the writer's own past otherwise gets the check-in
                    # (when in doubt, the higher level)
                    other = self._about(doc, start, end) == "other" and rule.split(".", 1)[1] not in JOKABLE
                    if other or (how == "past" and found["resolved"]):
                        distant.append((rule, start, end))
                        continue
                    if how == "past":
                        level, lowered = 2, True
                if level == 2 and now:
                    level = 1
                if (
                    level == 1 and not now and rule.split(".", 1)[1] in EXASPERABLE
                    and _near(jokes, start, end, sentences) and _near(exasperations, start, end, sentences)
                ):  # fmt: skip
                    level = 2  # "one more form and I'll shoot myself lol": asked about, not escalated
                if best is None or level < best[0] or (level == best[0] and best[4] and not lowered):
                    best = (level, rule, start, end, lowered)
        if best is not None:
            level, rule, start, end, lowered = best
            about = self._about(doc, start, end)
            return Verdict(rule, silencer, level, self._kind(rule, doc), about, now=now, calm=bool(calm),
                           distant=lowered)
        no_intent = bool(calm) and not now
        silenced = [
            m for t in LEVELS if t.startswith("guarded") for m in found[t] if not _overlaps(idioms, m[1], m[2])
        ]
        if silenced and mention:  # a danger word in study, work, media or the past: a normal answer, with a pointer
            kind = self._kind(silenced[0][0], doc)
            return Verdict(safe=mention, level=3, kind=kind, no_intent=no_intent, now=now, calm=bool(calm))
        if distant:  # told in the long past or as a generic case: a normal answer, with a pointer
            frame = (found["past"] or found["hypothetical"])[0][0]
            kind = self._kind(distant[0][0], doc)
            return Verdict(safe=frame, level=3, kind=kind, no_intent=no_intent, now=now, calm=bool(calm))
        return Verdict(safe=silencer or joked, no_intent=no_intent, now=now, calm=bool(calm))

    def check_text(self, text: str) -> Verdict:
        return self.check(self.doc(text))


def load_rules(path: Path = RULES_FILE) -> Dict[str, Dict[str, List[str]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_LEMMA_SPEC = re.compile(r"@\(?([^\s()?]+)")


def lemmas_named(path: Path) -> set[str]:
    """The lemmas a rule file matches on (its `@word` and `@(a|b)` tokens), accents folded."""
    named: set[str] = set()
    for match in _LEMMA_SPEC.finditer(path.read_text(encoding="utf-8")):
        named.update(fold_accents(word).lower() for word in match.group(1).split("|") if "_" not in word)
    return named


@lru_cache(maxsize=4)
def danger_words(*paths: Path) -> frozenset[str]:
    """Every word the danger tiers of these rule files name (`_` splits a phrase): words a speller must leave alone."""
    words: set[str] = set()
    for path in paths or (RULES_FILE, SPANISH_RULES_FILE):
        rules = load_rules(path)
        for tier in LEVELS.keys() | {"now"}:
            for lines in (rules.get(tier) or {}).values():
                for line in lines:
                    for spec in str(line).split():
                        for word in spec.strip("@?()").split("|"):
                            words.update(w.lower() for w in word.strip("@?()").split("_") if w.isalpha())
    return frozenset(words)


@lru_cache(maxsize=1)
def default_rules() -> CrisisRules:
    """The project's rules over its spaCy pipeline (built once per process)."""
    import spacy

    from bot import config

    model = config.spacy_model_dir()
    nlp = spacy.load(model) if model.exists() else spacy.blank("en")
    return CrisisRules(load_rules(), nlp)


@lru_cache(maxsize=1)
def spanish_rules() -> CrisisRules | None:
    """The Spanish rules over the Spanish pipeline (accents folded), or None without a rule file."""
    import spacy

    from bot import config

    if not SPANISH_RULES_FILE.exists():
        return None
    model = config.spacy_model_dir("es")
    if not model.exists():
        logger.warning("%s is missing (make setup builds it): Spanish rules match word forms only", model)
    nlp = spacy.load(model) if model.exists() else spacy.blank("es")
    return CrisisRules(load_rules(SPANISH_RULES_FILE), nlp, fold=True)


def decide(
    intent: str | None,
    verdict: Verdict,
    confidence: float = 1.0,
    threshold: float = 0.0,
    brief: bool = False,
    idiom_sure: float = IDIOM_SURE,
) -> Dict[str, Any] | None:
    """Combine the classifier's intent with the rules into the `safety` record, or None.

    A rule's level stands; a classifier `crisis` counts at or above `threshold` and
    then is level 1 (when in doubt, the higher level), or level 2 when the writer says
    there is no plan or intent and nothing in the message is imminent (`no_intent`), or
    when the message is too `brief` for the classifier to know ("ya", "Maria here"): the
    check-in asks, and "I need help now" escalates. An idiom or a mention overrules a
    classifier `crisis` only when no danger rule matched, and an idiom only below
    `idiom_sure`: danger rules name present danger, so a missed crisis (worse than a false
    alarm) needs a danger phrase no rule knows. A mention of work, study, media or
    therapy itself (`WEAK_MENTIONS`) overrules it only where it silenced a danger word;
    grief and the long past do the same when a `now` marker is in the message. Any mention,
    and a danger told in the long past or as a generic case (`FRAMES`), overrule it only below
    `DISTANCE_SURE`, even where they silenced a danger word: "overdosed twice in my twenties...
    I just took all my lithium".
    """
    classifier = intent == CRISIS_INTENT and confidence >= threshold
    if verdict.level in (1, 2):
        sure = verdict.distant and classifier and confidence >= DISTANCE_SURE  # the past, and a crisis now
        level = 1 if sure else verdict.level
        return {
            "crisis": True, "level": level, "layer": "classifier+rules" if classifier else "rules",
            "rule": verdict.danger, "kind": verdict.kind, "about": verdict.about,
        }  # fmt: skip
    mention = verdict.level == 3 or (verdict.safe or "").startswith("mention.")
    # A weak mention overrules the classifier only where it silenced a danger word (level 3): "I'm a
    # teacher" says nothing about the student whose goodbye the teacher reports, and "my therapist...
    # my appointment" nothing about the overdose told in the same message.
    weak = verdict.safe in WEAK_MENTIONS or (verdict.now and verdict.safe in PAST_MENTIONS)
    idle_mention = weak and verdict.level != 3
    told_apart = (verdict.safe or "").split(".")[0] in (*FRAMES, "mention")
    outweighs = classifier and (
        ((verdict.safe or "").startswith("idiom.") and confidence >= idiom_sure)
        or (told_apart and confidence >= DISTANCE_SURE)
    )
    if classifier and verdict.safe and not idle_mention and not outweighs:
        record = {"crisis": False, "layer": "classifier", "rule": None, "overruled_by": verdict.safe}
        return {**record, "level": 3} if mention else record
    if verdict.level == 3 and not outweighs:
        return {"crisis": False, "level": 3, "layer": "rules", "rule": None, "overruled_by": verdict.safe}
    if classifier:
        level = 2 if verdict.no_intent or brief else 1
        return {"crisis": True, "level": level, "layer": "classifier", "rule": None, "kind": None, "about": "self"}
    if intent == CRISIS_INTENT:
        return {"crisis": False, "layer": "classifier", "rule": None, "below_threshold": round(confidence, 3)}
    return None
