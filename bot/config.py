"""Every setting Alliance reads, from environment variables with safe offline defaults.

Read lazily through functions so importing this module has no side effects and
tests can change the environment per test.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BUILD_DIR = ROOT / "build"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
EVAL_FILE = ROOT.parent / "shared" / "eval" / "dev.yml"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else default


def answers_source() -> Path:
    """The reviewed answer file that `answers.db` is built from."""
    return _path("ALLIANCE_ANSWERS_YML", DATA_DIR / "answers.yml")


def answers_db() -> Path:
    """The SQLite answer store the actions read."""
    return _path("ALLIANCE_ANSWERS_DB", BUILD_DIR / "answers.db")


def spacy_model_dir() -> Path:
    """The blank English spaCy pipeline (lookup lemmatizer) built at set-up."""
    return _path("ALLIANCE_SPACY_MODEL", BUILD_DIR / "spacy_en")


def fallback_suggestions() -> int:
    """How many candidate topics a "Did you mean...?" offers."""
    return int(os.environ.get("ALLIANCE_SUGGESTIONS", "3"))


def suggestion_floor() -> float:
    """The NLU confidence below which a topic is too unlikely to suggest."""
    return float(os.environ.get("ALLIANCE_SUGGESTION_FLOOR", "0.1"))


def related_buttons() -> int:
    """How many related-topic buttons follow an answer."""
    return int(os.environ.get("ALLIANCE_RELATED", "3"))
