"""Which language a message is in: English, Spanish, or another Alliance can't read.

Two signals, both shipped in packages (nothing is downloaded at run time): word
frequencies for English and Spanish (spacy-lookups-data, trimmed at set-up into
`build/words_en_es.json`), which tell those two apart even in three-word messages,
and py3langid's character model, which recognises the other languages. Short or
unclear messages count as English: the English layers then read them, and the
Spanish crisis rules run on every message anyway (bot/safety/guard.py).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict

from bot import config

logger = logging.getLogger(__name__)

ENGLISH, SPANISH, OTHER = "en", "es", "other"
UNKNOWN_WORD = -20.0  # log probability of a word neither list has
WORDS = re.compile(r"[^\W\d_]+")
# Spanish when its words are this much likelier (log probability per word), or, for one word, in all.
SPANISH_MARGIN_PER_WORD = 1.5
SPANISH_MARGIN_ONE_WORD = 4.0
# Another language when py3langid is this sure and most words are not common English ones.
OTHER_CONFIDENCE = 0.9
SURE = 0.999  # ... or this sure, when a few words are also English ones ("mon", "est")
COMMON = -14.0  # a word at least this frequent counts as a common word of the language
STRONG = -10.0  # ... and this frequent, as a word that is English whatever else it could be
# Words for dying and killing oneself in languages Alliance can't read: with one of them a message
# is never taken for English, so it gets the reply with the emergency number in any case.
FOREIGN_DANGER = frozenset("""
sterben tot umbringen selbstmord suizid töten mourir suicider tuer meurs crever morire uccidermi
suicidarmi ammazzarmi morrer matar suicidar morrendo umrzeć umrzec zabić zabic samobójstwo
chết tự tử mamatay magpakamatay mati bunuh intihar ölmek ölmek intihar
touye mouri swisid zelfmoord sinucid sinucidere kujiua selvmord självmord itsemurha öngyilkos sebevražda
""".split())


def _mostly_other_script(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum("LATIN" in unicodedata.name(ch, "") for ch in letters)
    return bool(letters) and latin < len(letters) / 2


@lru_cache(maxsize=1)
def _word_lists(path: Path | None = None) -> Dict[str, Dict[str, float]]:
    path = path or config.word_lists_file()
    if not path.exists():
        from bot.nlu.spacy_pipeline import build_word_lists

        logger.warning("%s is missing (make setup builds it); building it now", path)
        build_word_lists(path)
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def plainly_english(text: str) -> bool:
    """Three or more words, at least three in four of them everyday English ones: no other rules need reading it."""
    words = WORDS.findall(text.lower())
    english = _word_lists()["en"]
    return len(words) >= 3 and sum(english.get(w, UNKNOWN_WORD) >= STRONG for w in words) >= 0.75 * len(words)


def detect(text: str) -> str:
    """"en", "es" or "other"."""
    words = WORDS.findall(text.lower())
    if not words:
        return ENGLISH
    if _mostly_other_script(text):
        return OTHER
    if len(words) <= 3 and all(w[:1].isupper() for w in WORDS.findall(text)):
        return ENGLISH  # a name ("José Luis"): it says nothing about the language
    lists = _word_lists()
    en = [lists["en"].get(w, UNKNOWN_WORD) for w in words]
    es = [lists["es"].get(w, UNKNOWN_WORD) for w in words]
    margin = sum(es) - sum(en)
    if len(words) == 1:
        return SPANISH if margin >= SPANISH_MARGIN_ONE_WORD else ENGLISH
    if margin >= SPANISH_MARGIN_PER_WORD * len(words):
        return SPANISH
    if FOREIGN_DANGER.intersection(words):
        return OTHER
    if len(words) < 3 or sum(p >= STRONG for p in en) >= 0.75 * len(words):
        return ENGLISH  # too short to tell, or plainly English (as `plainly_english`): no model needed
    language, confidence = _identifier().classify(text)
    common_english = sum(p >= COMMON for p in en) / len(words)
    if language not in (ENGLISH, SPANISH) and (
        (confidence >= OTHER_CONFIDENCE and common_english < 0.5) or (confidence >= SURE and common_english < 0.75)
    ):
        return OTHER
    if language != ENGLISH and common_english < 0.34 and sum(p == UNKNOWN_WORD for p in en) >= len(words) / 2:
        return OTHER  # mostly words English doesn't have, and the model doesn't call it English
    if language != ENGLISH and sum(p >= STRONG for p in en) < len(words) / 4:
        return OTHER  # hardly any everyday English word ("ich will nicht mehr leben")
    return ENGLISH
