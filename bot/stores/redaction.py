"""Redaction of what identifies a person in a question kept for review: emails, URLs, phones, numbers, names.

Used by the review queue (bot/stores/misses.py) before anything reaches disk; what
it covers and what it can't find is said in that module's docstring.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)


PLACEHOLDERS = ("[email]", "[url]", "[phone]", "[number]", "[name]")


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


def has_words(text: str) -> bool:
    """Whether anything but placeholders, punctuation and spaces is left."""
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, " ")
    return any(c.isalnum() for c in text)


def bounded(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words so that no word (or address) is cut in two."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    if head[-1].isspace():
        return head.rstrip()
    words = head.rsplit(None, 1)
    return (words[0] if len(words) > 1 else text[:limit]).rstrip()
