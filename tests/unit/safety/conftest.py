"""What the safety tests share: the project's English rules and pipeline, built once."""

from __future__ import annotations

import pytest
import spacy

from bot import config
from bot.safety import rules as crisis_rules


@pytest.fixture(scope="session")
def rules() -> crisis_rules.CrisisRules:
    return crisis_rules.default_rules()


@pytest.fixture(scope="session")
def nlp():
    return spacy.load(config.spacy_model_dir())
