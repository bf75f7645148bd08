"""Shared fixtures: a fresh answer store and tracker per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from rasa_sdk import Tracker

from bot import config
from bot.content import answers


@pytest.fixture(autouse=True)
def private_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes the deployment's own records or escalations under var/."""
    monkeypatch.setenv("ALLIANCE_RECORDS_DB", str(tmp_path / "records.db"))
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(tmp_path / "escalations.db"))


@pytest.fixture
def answers_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real answer source built into a private database the actions will read."""
    db = answers.build_database(config.answers_source(), tmp_path / "answers.db")
    monkeypatch.setenv("ALLIANCE_ANSWERS_DB", str(db))
    return db


@pytest.fixture
def store(answers_db: Path) -> answers.AnswerStore:
    return answers.AnswerStore(answers_db)


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    def make(
        intent: str | None = None,
        text: str = "",
        slots: dict[str, Any] | None = None,
        ranking: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        latest = {"text": text, "intent_ranking": ranking or []}
        if intent:
            latest["intent"] = {"name": intent, "confidence": 0.9}
        return Tracker.from_dict(
            {
                "sender_id": "test-user",
                "slots": {"topic": None, "more_topic": None, "crisis": None, **(slots or {})},
                "latest_message": latest,
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            }
        )

    return make
