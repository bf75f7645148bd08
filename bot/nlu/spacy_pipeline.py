"""The spaCy pipelines Rasa and the crisis rules tokenise and lemmatise with, and the word lists.

Pretrained spaCy models can't be downloaded here, so set-up builds blank English and
Spanish pipelines with the lookup lemmatizer from spacy-lookups-data. The Spanish rules
match without accents (people type "esta" for "está"), so the Spanish lemmas are folded
the same way (the table keeps its words as hashes, so only the lemmas can be). It
serves only the Spanish crisis rules, so it keeps only the entries
whose lemma those rules name (`@word` in bot/safety/rules_es.yml): the whole table
would cost each server process some 140 MB for lemmas nothing reads. The word lists
(bot/safety/language.py) come from the same package.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot import config

logger = logging.getLogger(__name__)

# Words rarer than this (log probability) are left out of the word lists: they cost memory
# and say little about which language a message is in.
WORD_FLOOR = -16.0


def build_pipeline(target: Path | None = None, language: str = "en") -> Path:
    """Write a blank pipeline with a lookup lemmatizer to `target`."""
    import spacy  # heavy: imported only when building

    target = target or config.spacy_model_dir(language)
    nlp = spacy.blank(language)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    if language == "es":
        _fold_lemma_table(nlp)
    nlp.meta["name"] = f"alliance_lookup_{language}"
    nlp.meta["description"] = f"Blank {language} tokenizer with the spacy-lookups-data lemmatizer"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    logger.info("built spaCy pipeline %s", target)
    return target


def _fold_lemma_table(nlp) -> None:
    """Accents folded, and only the entries whose lemma the Spanish rules name."""
    from spacy.lookups import Lookups

    from bot.safety.rules import SPANISH_RULES_FILE, fold_accents, lemmas_named

    wanted = lemmas_named(SPANISH_RULES_FILE)
    lemmatizer = nlp.get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_lookup")
    kept: dict = {}
    for key, value in table.items():  # keys are the words' hashes
        if fold_accents(value) in wanted:
            kept[key] = fold_accents(value)
    lookups = Lookups()
    lookups.add_table("lemma_lookup", kept)
    lemmatizer.lookups = lookups


def build_word_lists(target: Path | None = None) -> Path:
    """English and Spanish word frequencies (log probabilities) for telling the languages apart."""
    import spacy_lookups_data
    import srsly

    target = target or config.word_lists_file()
    data = Path(spacy_lookups_data.__file__).parent / "data"
    lists = {}
    for language in ("en", "es"):
        probs = srsly.read_gzip_json(data / f"{language}_lexeme_prob.json.gz")
        lists[language] = {w: round(p, 1) for w, p in probs.items() if p >= WORD_FLOOR and w.isalpha()}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(lists, ensure_ascii=False), encoding="utf-8")
    return target


def build_all() -> list[Path]:
    return [build_pipeline(language="en"), build_pipeline(language="es"), build_word_lists()]
