"""bot.stores.records: turns and votes for the report, in a file only its owner reads, never message text."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from bot.safety import escalations
from bot.stores import records


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_turns_and_votes_are_kept_in_a_private_file(tmp_path: Path) -> None:
    db = tmp_path / "var" / "records.db"
    records.record_turn("rest", "faq_texting", records.ANSWER, path=db)
    records.record_turn("slack", None, records.FALLBACK, path=db)
    records.record_vote("rest", "faq_texting", records.answer_version("2026-12-03", "a", "b"), records.HELPFUL, path=db)
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
    turns, votes = records.rows("turns", db), records.rows("votes", db)
    assert [(t["channel"], t["topic"], t["kind"]) for t in turns] == [
        ("rest", "faq_texting", "answer"),
        ("slack", None, "fallback"),
    ]
    assert [(v["topic"], v["vote"]) for v in votes] == [("faq_texting", "helpful")]
    assert set(turns[0]) == {"at", "channel", "topic", "kind"}  # no column could hold what was said


def test_an_answer_version_changes_with_its_text() -> None:
    one = records.answer_version("2026-12-03", "short", "more")
    assert one == records.answer_version("2026-12-03", "short", "more")
    assert one != records.answer_version("2026-12-03", "short", "more, edited")
    assert one.startswith("2026-12-03:")


def test_rows_past_retention_are_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_RECORDS_DAYS", "30")
    db = tmp_path / "records.db"
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)).isoformat(timespec="seconds")
    records.record_turn("rest", "faq_trust", records.ANSWER, at=old, path=db)
    records.record_turn("rest", "faq_texting", records.ANSWER, path=db)
    assert [t["topic"] for t in records.rows("turns", db)] == ["faq_texting"]


def test_a_vote_is_helpful_or_not(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        records.record_vote("rest", "faq_texting", "v", "meh", path=tmp_path / "r.db")


def test_the_escalation_record_is_private_too(tmp_path: Path) -> None:
    db = tmp_path / "escalations.db"
    escalations.record("c1", "rest", "rules", "danger.kill_self", path=db)
    assert mode(db) == 0o600
