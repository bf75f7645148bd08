"""`alliance review` (bot/tools/review.py): the review loop, driven by scripted input over a copy of data/nlu.yml."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import config
from bot.stores import misses
from bot.stores.redaction import redact
from bot.tools import cli, review

QUESTIONS = [
    "can I send my therapist a voice note after midnight",
    "is it ok to bring my therapist a pineapple upside-down cake",
    "my therapist Dr. Okafor said something odd at jane@example.com",
]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A queue holding QUESTIONS, oldest first."""
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "1")
    path = tmp_path / "records.db"
    for text in QUESTIONS:
        assert misses.keep(text, "rest", misses.FALLBACK, crisis=False, path=path)
    return path


@pytest.fixture
def nlu(tmp_path: Path) -> Path:
    copy = tmp_path / "nlu.yml"
    shutil.copy(config.ROOT / "data" / "nlu.yml", copy)
    return copy


def run(script: str, db: Path, nlu: Path) -> tuple[review.Summary, str]:
    out = io.StringIO()
    summary = review.review(io.StringIO(script), out, db, nlu, config.ROOT / "domain.yml")
    return summary, out.getvalue()


def examples(nlu_file: Path) -> dict[str, list[str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    found: dict[str, list[str]] = {}
    for message in load_data(str(nlu_file)).intent_examples:
        found.setdefault(message.get("intent"), []).append(message.get("text"))
    return found


def test_train_dismiss_delete_then_the_queue_is_empty(db: Path, nlu: Path) -> None:
    before = examples(nlu)
    summary, out = run("faq_texting\nd\nx\n", db, nlu)
    assert (summary.trained, summary.dismissed, summary.deleted, summary.left) == (1, 1, 1, 0)
    assert misses.pending(db) == []
    after = examples(nlu)  # the copy still parses as Rasa NLU data
    assert after["faq_texting"] == [*before["faq_texting"], QUESTIONS[0]]
    assert {k: v for k, v in after.items() if k != "faq_texting"} == {
        k: v for k, v in before.items() if k != "faq_texting"
    }
    assert "pineapple" not in nlu.read_text(encoding="utf-8")  # dismissed, not trained
    assert out.strip().splitlines()[-1] == (
        "review: 1 trained, 1 dismissed, 1 deleted, 0 skipped; 0 left in the queue; retrain with `make train`"
    )


def test_each_item_is_shown_redacted_with_its_kind_channel_and_date(db: Path, nlu: Path) -> None:
    _, out = run("s\ns\ns\n", db, nlu)
    assert "[1/3] fallback, rest, " + misses.pending(db)[0]["at"][:10] in out
    assert "my therapist Dr. [name] said something odd at [email]" in out
    assert "Okafor" not in out and "jane@" not in out


def test_an_unknown_intent_is_refused_and_asked_again(db: Path, nlu: Path) -> None:
    before = nlu.read_bytes()
    summary, out = run("faq_nonsense\nfeedback_helpful_typo\nq\n", db, nlu)
    assert out.count("unknown intent") == 2 and "'faq_nonsense'" in out
    assert nlu.read_bytes() == before
    assert summary.trained == 0 and len(misses.pending(db)) == 3
    summary, _ = run("faq_nonsense\nfaq_boundaries\nd\nd\n", db, nlu)  # the same item, asked again
    assert summary.trained == 1 and QUESTIONS[0] in examples(nlu)["faq_boundaries"]


def test_an_intent_only_in_the_domain_is_not_offered(tmp_path: Path, nlu: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text("intents:\n  - faq_texting\n  - only_in_the_domain\n  - greet\n", encoding="utf-8")
    assert review.trainable_intents(nlu, domain) == ["faq_texting", "greet"]


def test_question_mark_lists_the_intents_and_a_number_picks_one(db: Path, nlu: Path) -> None:
    known = review.trainable_intents(nlu, config.ROOT / "domain.yml")
    assert "faq_texting" in known and "crisis" in known
    pick = known.index("faq_trust") + 1
    summary, out = run(f"?\n{pick}\nq\n", db, nlu)
    assert all(name in out for name in known)
    assert summary.trained == 1 and QUESTIONS[0] in examples(nlu)["faq_trust"]


def test_quit_and_the_end_of_input_leave_the_rest_in_the_queue(db: Path, nlu: Path) -> None:
    summary, out = run("d\nq\n", db, nlu)
    assert (summary.dismissed, summary.left) == (1, 2)
    assert out.strip().splitlines()[-1] == "review: 0 trained, 1 dismissed, 0 deleted, 0 skipped; 2 left in the queue"
    summary, _ = run("s\n", db, nlu)  # skipped, then the input ends
    assert (summary.skipped, summary.left) == (1, 2)
    assert [i["text"] for i in misses.pending(db)] == [redact(q) for q in QUESTIONS[1:]]


def test_an_empty_queue_says_so(tmp_path: Path, nlu: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_KEEP_MISSES", raising=False)
    summary, out = run("", tmp_path / "none.db", nlu)
    assert out.strip() == "review: the queue is empty (ALLIANCE_KEEP_MISSES is off: no questions are kept)"
    assert summary == review.Summary()
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "1")
    assert run("", tmp_path / "none.db", nlu)[1].strip() == "review: the queue is empty"


def test_the_command_line_runs_the_review(
    db: Path, nlu: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("faq_texting\nx\nx\n"))
    assert cli.main(["review", "--db", str(db), "--nlu", str(nlu)]) == 0
    assert misses.pending(db) == []
    assert QUESTIONS[0] in examples(nlu)["faq_texting"]
    assert "review: 1 trained, 0 dismissed, 2 deleted" in capsys.readouterr().out


def test_make_review_runs_the_command_and_is_in_the_help() -> None:
    def make(*args: str) -> str:
        return subprocess.run(
            ["make", *args], cwd=config.ROOT, capture_output=True, text=True, check=True, timeout=60
        ).stdout

    assert ".venv/bin/python -m bot review" in make("-n", "review")
    assert any(line.split()[:2] == ["make", "review"] for line in make("help").splitlines())
