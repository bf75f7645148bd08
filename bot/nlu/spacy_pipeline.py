"""The spaCy pipeline Rasa tokenises and lemmatises with.

Pretrained spaCy models can't be downloaded here, so set-up builds a blank
English pipeline with the lookup lemmatizer from spacy-lookups-data.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot import config

logger = logging.getLogger(__name__)


def build_pipeline(target: Path | None = None) -> Path:
    """Write a blank English pipeline with a lookup lemmatizer to `target`."""
    import spacy  # heavy: imported only when building

    target = target or config.spacy_model_dir()
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "alliance_lookup"
    nlp.meta["description"] = "Blank English tokenizer with the spacy-lookups-data lemmatizer"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    logger.info("built spaCy pipeline %s", target)
    return target
