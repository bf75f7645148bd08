"""The review queue: questions the bot didn't understand, redacted, kept only when a deployment opts in.

This is the most sensitive thing Alliance can keep, so:

- nothing is kept unless `ALLIANCE_KEEP_MISSES` is on (`config.keep_misses`);
- nothing is kept from a message or conversation that reached any crisis level: the
  caller says so (`crisis`), and the crisis rules (`bot/safety/rules.yml`) check the
  text again, so a message that fires any danger or guarded rule is never kept even
  when a safe context overrules it;
- only the redacted text is written (`redact`), at most `MAX_CHARS` characters, with
  its channel, kind ("fallback" or "not_helpful"), time and expiry;
- a row is deleted when it expires (`config.misses_days`, checked whenever the queue
  is written or read) or as soon as a reviewer decides on it (`decide`), and SQLite's
  `secure_delete` overwrites what a deleted row held;
- the queue is the `misses` table of `config.records_db()`, a file only its owner can
  read (`open_private`).

What `redact` replaces:

- `[email]`: addresses (`jane.doe+x@mail.example.co.uk`) and the spelled-out forms
  `jane (at) example (dot) com` and `jane at example dot com`;
- `[url]`: links with a scheme (`https://`, `ftp://`), anything starting `www.`, and
  bare domains under common top-level domains (`example.org/page`);
- `[name]`: social handles (`@jane_doe`), and the names found in the text (below);
- `[phone]`: 7 to 15 digits written as one number, in groups split by single
  spaces, dots, dashes or parentheses, or after a leading `+` (`+44 20 7946 0958`,
  `(555) 123-4567`, `555.123.4567`, `0412 345 678`, `0061 412 345 678`, `555-1234`,
  `+447700900123`);
- `[number]`: card numbers (16 digits and up, or three or more groups of four), US
  social security numbers (`123-45-6789`), and any other run of 5 or more digits, on
  its own or inside a word (`12345678`, `A1234567`, `90210`).

Names. The spaCy pipeline built at set-up (`config.spacy_model_dir`) is a blank
English tokenizer with a lookup lemmatizer: it has no named-entity model, and none
can be downloaded here. So names are found with a `Matcher` over the tokens:

- a word after a naming phrase, in any case: "named X", "name is X" / "name's X",
  "goes by X", "call him / her / them X", "<someone> is / was called X" (someone: a
  pronoun or a person such as therapist, counselor, doctor, friend, husband, mom),
  and after the titles "Mr", "Mrs" and "Dr." / "Prof." / "Ms." / "Mx." with a dot;
  a stop word ("named after", "called me") is never taken;
- a capitalized word after "<someone> called", "Dr", "Doctor", "Prof", "Ms", "Mx"
  or "Miss" ("a friend called April", "Doctor Grace"), even a common one;
- any capitalized word (`Sarah`, `O'Brien`, `McKay`, `José`) that doesn't start a
  sentence and isn't one of `COMMON_CAPITALIZED` (days, months, holidays, faiths,
  languages and countries, apps, family words such as "Mom", titles, "I"); one
  right after another joins it ("Sarah Jones" becomes one `[name]`);
- a capitalized word that starts a sentence, when the lookup lemmatizer doesn't know
  it as an English word and it comes before a name found already, "'s" or a verb of
  saying ("Sarah said", "Sarah's", "Sarah Jones told me");
- every other occurrence, in any case, of a word found by those rules ("... I asked
  sarah again").

So "Can I text my therapist on Sunday?" is left as it is (days aren't names), while
"Can I text Sarah on Sunday?" becomes "Can I text [name] on Sunday?".

What it can't find, so a reviewer must still read with care:

- a name that starts a sentence in any other way ("Sarah is my therapist", "Grace
  said": "grace" is an English word), a lowercase name outside the naming phrases
  ("my therapist sarah said"), a name in capitals ("SARAH"), the second lowercase
  word of a name after a naming phrase ("named sarah jones" keeps "jones"), "i'm
  sarah" (in lowercase, "i'm sad" looks the same), and a name that is also one of
  the common words ("I told Christian");
- addresses, places, employers and schools, unless capitalized mid-sentence (then
  they become `[name]`, as do brands: "at Starbucks");
- numbers written in words ("five five five ..."), numbers of fewer than 7 digits
  split into groups ("12 34 56"), dates (`2024-03-12`, `12.03.2024`) and year
  ranges (`2015-2018`), which are kept on purpose;
- anything identifying by what it says rather than by its form ("the only Deaf
  therapist in our town").

Over-redaction is the safe error: a capitalized brand or place mid-sentence, and
the word after "named", become `[name]` even when they aren't one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.stores.private import open_private

logger = logging.getLogger(__name__)

TABLE = "misses"
FALLBACK, NOT_HELPFUL = "fallback", "not_helpful"
KINDS = (FALLBACK, NOT_HELPFUL)
TRAIN, DISMISS, DELETE = "train", "dismiss", "delete"
DECISIONS = (TRAIN, DISMISS, DELETE)
MAX_CHARS = 500  # what is stored: a question, not a letter
MAX_INPUT = 2000  # what is redacted: the rest could never be stored anyway
COLUMNS = {"id": int, "at": str, "expires": str, "channel": str, "kind": str, "text": str}

PLACEHOLDERS = ("[email]", "[url]", "[phone]", "[number]", "[name]")


class ReviewError(ValueError):
    """A decision that can't be carried out (unknown intent, example already elsewhere): nothing changed."""


# --- redaction: regular expressions for what has a form ------------------------------------

_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|co|me|ly|app|dev|health|online|site|xyz|tv|"
    "uk|us|ca|au|nz|ie|eu|de|fr|es|it|nl|in"
)
EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|\b[A-Za-z0-9._%+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[A-Za-z0-9-]+"
    rf"(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[A-Za-z0-9-]+)*\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*(?:{_TLDS})\b",
    re.IGNORECASE,
)
URL = re.compile(
    r"\b(?:https?|ftp)://[^\s<>\"']+"
    r"|\bwww\.[^\s<>\"']+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?::\d+)?(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
# A leading + or 00, then digits each preceded by at most one separator: a space, dot or
# dash, or a parenthesis (with a space). The digits are counted in `_phone`.
PHONE = re.compile(r"(?<![\w+])(?:\+\s?|\(\s?\+?\s?)?\d(?:(?:[ .-]|\)\s?|\s?\(|\s?\)\s?)?\d){6,18}\)?(?![\w])")
SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
CARD = re.compile(r"\d{4}(?:[ -]\d{4}){2,}")
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}|(?:19|20)\d\d\s?-\s?(?:19|20)\d\d")
DIGITS = re.compile(r"\d{5,}")
_TRAILING = ".,;:!?)]}'\""


def _url(match: re.Match) -> str:
    """A link, without the punctuation that ends the sentence around it."""
    found = match.group()
    kept = found.rstrip(_TRAILING)
    return "[url]" + found[len(kept) :]


def _phone(match: re.Match) -> str:
    found = match.group()
    before = after = ""  # parentheses around the number, not part of it: "(555-867-5309)", "(call 555-1234)"
    inner = found[1:-1]
    if found.startswith("(") and found.endswith(")") and "(" not in inner and ")" not in inner:
        before, found, after = "(", inner, ")"
    elif found.endswith(")") and found.count(")") > found.count("("):
        found, after = found[:-1], ")"
    elif found.startswith("(") and found.count("(") > found.count(")"):
        before, found = "(", found[1:]
    digits = sum(c.isdigit() for c in found)
    if DATE.fullmatch(found) or digits < 7:
        return match.group()
    if SSN.fullmatch(found) or CARD.fullmatch(found) or digits > 15 or found.isdigit():
        return f"{before}[number]{after}"  # a card, an account, an ID: one run of digits has no "+"
    return f"{before}[phone]{after}"


# --- redaction: names, with spaCy's Matcher ---------------------------------------------------

PEOPLE = (
    "he she they who therapist counselor counsellor psychologist psychiatrist doctor dr clinician nurse "
    "social worker coach friend bestie boyfriend girlfriend partner husband wife spouse fiance fiancee ex "
    "mom mum mother dad father brother sister son daughter kid child baby cousin aunt uncle niece nephew "
    "grandma grandpa grandmother grandfather boss manager coworker colleague teacher neighbor neighbour "
    "roommate pastor priest rabbi imam guy girl woman man person"
).split()
# What follows a name that starts a sentence: "Sarah said", "Sarah's". Never "is": "Privacy is ...".
_SAYING = "said says told tells asked asks thinks thought wants wanted keeps kept texted texts called calls"
SAYS = frozenset(["'s", "\u2019s", *_SAYING.split()])
LOOSE_TITLES = ("mr", "mr.", "mrs", "mrs.", "dr.", "prof.", "ms.", "mx.")
STRICT_TITLES = ("dr", "doctor", "prof", "professor", "ms", "mx", "miss")
COMMON_CAPITALIZED = frozenset(
    """
    i monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december christmas easter thanksgiving halloween hanukkah passover
    ramadan eid diwali lent advent new year years valentine valentines
    god lord jesus christ allah buddha bible quran koran torah church mosque temple synagogue
    christian christianity catholic protestant orthodox muslim islam islamic jewish judaism hindu hinduism
    buddhist buddhism sikh mormon atheist agnostic pagan
    english spanish french german italian portuguese chinese mandarin cantonese japanese korean vietnamese
    arabic hindi urdu russian polish tagalog filipino maori māori
    america american americans canada canadian britain british england scotland scottish wales welsh
    ireland irish australia australian zealand kiwi europe european asia asian africa african
    latino latina latinx hispanic indigenous aboriginal native black white deaf lgbt lgbtq
    zoom skype teams facetime facebook instagram twitter google snapchat tiktok youtube reddit discord
    whatsapp linkedin telegram slack signal gmail outlook iphone android internet covid medicare medicaid
    mom mum mommy mummy dad daddy mama papa grandma grandpa granny nana nan
    dr doctor mr mrs ms mx miss prof professor sir madam
    hi hello hey thanks thank please sorry yes no ok okay dear alliance
    asperger aspergers alzheimer alzheimers parkinson parkinsons tourette tourettes freud freudian
    """.split()
)
# What ends a sentence or opens a new one (a quote, a bullet). Not "(" or "-": "my therapist (Sarah)".
_ENDS = {".", "!", "?", "\u2026", ":", '"', "\u201c", "*", "\u2022"}
_APOSTROPHES = "'\u2019"
_NAME_SHAPE = re.compile(
    rf"(?:Mc|Mac|O[{_APOSTROPHES}]|D[{_APOSTROPHES}])?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[{_APOSTROPHES}-][A-ZÀ-ÖØ-Þ]?[a-zß-öø-ÿ]+)*"
)


@dataclass(frozen=True)
class _Finder:
    """What finding names needs: the tokenizer, the naming phrases, and the English words the lemmatizer knows."""

    nlp: Any
    matcher: Any
    forms: Any  # the lookup table: inflected form -> lemma
    lemmas: frozenset[str]

    def english(self, token) -> bool:
        """Whether the lookup lemmatizer knows the word, as a form or a lemma: "tell", "hope"; not "sarah"."""
        return token.lower_ in self.lemmas or token.lower_ in self.forms


@lru_cache(maxsize=1)
def _finder() -> _Finder:
    """The project's spaCy pipeline (its tokenizer is all redaction needs), and a Matcher for naming phrases.

    The pipeline is the one the crisis rules loaded (`config.spacy_model_dir`), which
    `keep` needs anyway: one copy per process.
    """
    from spacy.matcher import Matcher

    from bot.safety import rules

    nlp = rules.default_rules().nlp
    matcher = Matcher(nlp.vocab)
    copula = {"LOWER": {"IN": ["is", "was", *(f"{a}s" for a in _APOSTROPHES)]}}
    matcher.add(
        "loose",
        [
            [{"LOWER": "named"}],
            [{"LOWER": "name"}, copula],
            [{"LOWER": "goes"}, {"LOWER": "by"}],
            [{"LOWER": "call"}, {"LOWER": {"IN": ["him", "her", "them"]}}],
            [{"LOWER": {"IN": PEOPLE}}, copula, {"LOWER": "called"}],
            [{"LOWER": {"IN": [t for t in LOOSE_TITLES if not t.endswith(".")]}}, {"ORTH": ".", "OP": "?"}],
            [{"LOWER": {"IN": [t for t in LOOSE_TITLES if t.endswith(".")]}}],
            [{"LOWER": {"IN": [t[:-1] for t in LOOSE_TITLES if t.endswith(".")]}}, {"ORTH": "."}],
        ],
    )
    matcher.add("strict", [[{"LOWER": {"IN": PEOPLE}}, {"LOWER": "called"}], [{"LOWER": {"IN": STRICT_TITLES}}]])
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup") if "lemmatizer" in nlp.pipe_names else {}
    return _Finder(nlp, matcher, table, frozenset(table.values()))


def _capitalized(token) -> bool:
    return (token.is_title and token.is_alpha and len(token) > 1) or bool(_NAME_SHAPE.fullmatch(token.text))


def _common(token) -> bool:
    return token.lower_.rstrip(".") in COMMON_CAPITALIZED or token.lower_ in {f"{a}s" for a in _APOSTROPHES}


def _starts_sentence(doc, i: int) -> bool:
    j = i - 1
    while j >= 0 and doc[j].is_space:
        if "\n" in doc[j].text:
            return True
        j -= 1
    if j < 0:
        return True
    before = doc[j]
    return before.text in _ENDS or (before.text.endswith(".") and before.lower_ not in LOOSE_TITLES)


def _names(text: str) -> list[tuple[int, int]]:
    """The character spans of the names found in `text` (see the module docstring)."""
    finder = _finder()
    nlp, matcher = finder.nlp, finder.matcher
    doc = nlp.make_doc(text)
    marked = [False] * len(doc)
    for match_id, _start, end in matcher(doc):
        loose = nlp.vocab.strings[match_id] == "loose"
        k = end
        word = doc[k] if k < len(doc) else None
        if word is not None and not word.is_stop and (_capitalized(word) or (loose and word.is_alpha)):
            marked[k] = True
            k += 1
            while k < len(doc) and _capitalized(doc[k]) and k - end < 3:
                marked[k] = True
                k += 1
    for i, token in enumerate(doc):
        if _capitalized(token) and not _common(token) and not _starts_sentence(doc, i):
            marked[i] = True
    for i in reversed(range(len(doc) - 1)):  # a name first in a sentence, which no English word is
        token, after = doc[i], doc[i + 1]
        if _capitalized(token) and not (_common(token) or token.is_stop or finder.english(token)):
            if marked[i + 1] or after.lower_ in SAYS:  # "Sarah Jones said", "Sarah said", "Sarah's"
                marked[i] = True
    found = {doc[i].lower_ for i, m in enumerate(marked) if m}
    for i, token in enumerate(doc):
        if token.lower_ in found and token.is_alpha:
            marked[i] = True
    spans: list[tuple[int, int]] = []
    for i, m in enumerate(marked):
        if not m:
            continue
        start, end = doc[i].idx, doc[i].idx + len(doc[i])
        if spans and re.fullmatch(r"[ -]?", text[spans[-1][1] : start]):  # "Sarah Jones", "Mary-Jane"
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def redact(text: str) -> str:
    """`text` with emails, links, handles, phone numbers, long numbers and the names it finds replaced.

    The module docstring lists what each placeholder covers and what no rule here can find.
    """
    text = EMAIL.sub("[email]", text)
    text = URL.sub(_url, text)
    text = HANDLE.sub("[name]", text)
    text = PHONE.sub(_phone, text)
    text = DIGITS.sub("[number]", text)
    for start, end in reversed(_names(text)):
        text = f"{text[:start]}[name]{text[end:]}"
    return text


def _has_words(text: str) -> bool:
    """Whether anything but placeholders, punctuation and spaces is left."""
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, " ")
    return any(c.isalnum() for c in text)


def _bounded(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words so that no word (or address) is cut in two."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    if head[-1].isspace():
        return head.rstrip()
    words = head.rsplit(None, 1)
    return (words[0] if len(words) > 1 else text[:limit]).rstrip()


# --- the queue -------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _open(path: Path, create: bool = False):
    """The records file, with the queue's table when `create` (only `keep` creates it)."""
    db = open_private(path)
    db.execute("pragma secure_delete = on")  # a deleted row's text is overwritten, not left in free pages
    if create:
        db[TABLE].create(COLUMNS, pk="id", if_not_exists=True)
    return db


def _purge(db) -> int:
    """Delete every expired row; returns how many."""
    if not db[TABLE].exists():
        return 0
    cursor = db.execute(f"delete from [{TABLE}] where expires <= ?", [_iso(_now())])
    db.conn.commit()
    if cursor.rowcount:
        logger.info("deleted %d expired questions from the review queue", cursor.rowcount)
    return cursor.rowcount


def _flagged(text: str) -> bool:
    """Whether any danger or guarded crisis rule fires on `text`, even one a safe context overrules."""
    from bot.safety import rules

    return any(name.startswith(("danger.", "guarded.")) for name in rules.default_rules().matches(text))


def keep(text: str, channel: str | None, kind: str, crisis: bool, path: Path | None = None) -> bool:
    """Queue the redacted `text` of a missed question for review, if the deployment opted in; True if kept.

    `kind` is "fallback" (not understood) or "not_helpful" (an answer that didn't help).
    `crisis` is True when the message or its conversation reached any crisis level: then
    nothing is kept. Expired rows are deleted whenever this runs. A failure to store is
    logged (never the text) and returns False: the queue must never break a reply.
    """
    if kind not in KINDS:
        raise ValueError(f"a missed question's kind is {FALLBACK!r} or {NOT_HELPFUL!r}, not {kind!r}")
    path = path or config.records_db()
    try:
        if not config.keep_misses():
            if path.exists():  # rows kept before the opt-in was turned off still expire
                db = _open(path)
                try:
                    _purge(db)
                finally:
                    db.close()
            return False
        if crisis or not text or _flagged(text):
            return False
        clean = _bounded(" ".join(redact(_bounded(text, MAX_INPUT)).split()), MAX_CHARS)
        if not _has_words(clean):
            return False
        now = _now()
        row = {
            "at": _iso(now),
            "expires": _iso(now + dt.timedelta(days=config.misses_days())),
            "channel": channel or "unknown",
            "kind": kind,
            "text": clean,
        }
        db = _open(path, create=True)
        try:
            db[TABLE].insert(row, alter=False)
            db.conn.commit()
            _purge(db)
        finally:
            db.close()
    except Exception as exc:  # the reply matters more than the queue
        logger.warning("could not keep a missed question for review (%s)", type(exc).__name__)
        return False
    logger.debug("kept a %s question for review", kind)
    return True


def pending(path: Path | None = None) -> list[dict[str, Any]]:
    """The unexpired questions waiting for review, oldest first (expired ones are deleted first)."""
    path = path or config.records_db()
    if not path.exists():
        return []
    db = _open(path)
    try:
        _purge(db)
        return list(db[TABLE].rows_where(order_by="at, id")) if db[TABLE].exists() else []
    finally:
        db.close()


def decide(
    item_id: int,
    decision: str,
    intent: str | None = None,
    nlu_file: Path | None = None,
    path: Path | None = None,
) -> dict[str, Any]:
    """Act on one queued question, then delete it: nothing is kept after its decision.

    - "train": append its text as an example of `intent` in the NLU file (default
      data/nlu.yml); an unknown intent raises `ReviewError` and changes nothing;
    - "dismiss": nothing to learn from it;
    - "delete": it should not have been kept (the redaction missed something).

    Returns the item as it was. Raises `LookupError` if it isn't in the queue (decided
    already, or expired).
    """
    if decision not in DECISIONS:
        raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == TRAIN and not intent:
        raise ReviewError("training needs an intent")
    path = path or config.records_db()
    if not path.exists():
        raise LookupError(f"question {item_id} is not in the review queue")
    db = _open(path)
    try:
        _purge(db)
        item = next(db[TABLE].rows_where("id = ?", [item_id]), None) if db[TABLE].exists() else None
        if item is None:
            raise LookupError(f"question {item_id} is not in the review queue (decided already, or expired)")
        if decision == TRAIN:
            add_example(intent or "", item["text"], nlu_file or config.ROOT / "data" / "nlu.yml")
        db.execute(f"delete from [{TABLE}] where id = ?", [item_id])
        db.conn.commit()
    finally:
        db.close()
    logger.info("review: one question %s", {TRAIN: "trained", DISMISS: "dismissed", DELETE: "deleted"}[decision])
    return item


# --- the NLU file ----------------------------------------------------------------------------

_INTENT_LINE = re.compile(r"^-\s+intent:\s*(?P<intent>\S+)\s*$")
_EXAMPLES_LINE = re.compile(r"^\s+examples:\s*\|[-+]?\s*$")


def intents(nlu_file: Path | None = None) -> list[str]:
    """The intents the NLU file has an `examples: |` block for, in its order: what "train" accepts."""
    lines = (nlu_file or config.ROOT / "data" / "nlu.yml").read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _INTENT_LINE.match(line)
        following = next((x for x in lines[i + 1 :] if x.strip()), "")
        if match and _EXAMPLES_LINE.match(following):
            found.append(match["intent"])
    return found


def training_text(text: str) -> str:
    """`text` as one example line: one line, and no `[...](...)`, `[...]{...}` Rasa would read as an entity."""
    line = " ".join(text.split())
    line = re.sub(r"\](?=[({\[])", "] ", line)
    return re.sub(r"^(?:-\s+)+", "", line)


def _examples(content: str) -> dict[str, list[str]]:
    data = yaml.safe_load(content) or {}
    found: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block and isinstance(block.get("examples"), str):
            lines = block["examples"].splitlines()
            found[block["intent"]] = [x.strip()[2:].strip() for x in lines if x.strip().startswith("- ")]
    return found


def _same_words(text: str) -> str:
    """The words of an example, in lower case: two examples with the same words are one (tests/unit/test_data.py)."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def add_example(intent: str, text: str, nlu_file: Path) -> bool:
    """Append `text` as the last example of `intent`'s `examples: |` block; False if it is one already.

    The rest of the file is left byte for byte as it was, and the new file is checked
    to parse before it replaces the old one (atomically).
    """
    content = nlu_file.read_text(encoding="utf-8")
    known = intents(nlu_file)
    if intent not in known:
        raise ReviewError(
            f"unknown intent {intent!r}: {nlu_file.name} has no `examples: |` block for it "
            f"(known: {', '.join(known)})"
        )
    example = training_text(text)
    if not example:
        raise ReviewError("the question has no text to train on")
    existing = _examples(content)
    for other, examples in existing.items():
        if _same_words(example) in {_same_words(e) for e in examples}:
            if other == intent:
                return False
            raise ReviewError(f"this is an example of {other!r} already: an example belongs to one intent only")
    lines = content.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if (m := _INTENT_LINE.match(line)) and m["intent"] == intent)
    header = next(i for i in range(start + 1, len(lines)) if lines[i].strip())
    last, indent = header, None
    for i in range(header + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        width = len(line) - len(line.lstrip(" "))
        if indent is None:
            if width <= len(lines[header]) - len(lines[header].lstrip(" ")):
                break
            indent = width
        elif width < indent:
            break
        last = i
    indent = indent if indent is not None else len(lines[header]) - len(lines[header].lstrip(" ")) + 2
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{' ' * indent}- {example}\n")
    updated = "".join(lines)
    if example not in _examples(updated).get(intent, []):
        raise ReviewError(f"could not add the example to {intent!r} in {nlu_file.name}")
    fd, tmp = tempfile.mkstemp(prefix=f".{nlu_file.name}.", dir=nlu_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(updated)
        os.chmod(tmp, nlu_file.stat().st_mode & 0o777)
        os.replace(tmp, nlu_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
