"""The answer store: build, vetted-only reads, and clear errors for malformed sources."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.content import answers


def _source(tmp_path: Path, mutate) -> Path:
    doc = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "answers.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_build_creates_table_and_fulltext_index(answers_db: Path) -> None:
    conn = sqlite3.connect(answers_db)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"answers", "answers_fts", "menu"} <= tables
    count = conn.execute("select count(*) from answers").fetchone()[0]
    source = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    assert count == len(source["answers"])


def test_get_returns_the_vetted_answer_with_its_source(store: answers.AnswerStore) -> None:
    answer = store.get("faq_texting")
    assert answer is not None and answer.vetted
    assert answer.article == "Your relationship with your therapist"
    assert answer.sections == ("Can I text my therapist?",)
    assert "faq_texting" not in answer.related
    assert answer.sections[0] in answer.citation and answer.article in answer.citation


def test_unvetted_answer_is_never_served(tmp_path: Path) -> None:
    source = _source(tmp_path, lambda d: d["answers"]["faq_sex"].update(vetted=False))
    store = answers.AnswerStore(answers.build_database(source, tmp_path / "a.db"))
    assert store.get("faq_sex") is None
    assert "faq_sex" not in {a.topic for a in store.vetted()}
    assert store.get("faq_religion") is not None


def test_unknown_or_empty_topic_gets_none(store: answers.AnswerStore) -> None:
    assert store.get("faq_does_not_exist") is None
    assert store.get(None) is None
    assert store.get("") is None


def test_missing_database_behaves_as_empty(tmp_path: Path) -> None:
    store = answers.AnswerStore(tmp_path / "nope.db")
    assert store.get("faq_texting") is None
    assert store.menu() == [] and store.search("texting") == []


@pytest.mark.parametrize(
    "content", [None, b"", b"\x00garbage, not SQLite\xff" * 500], ids=["missing", "empty", "garbage"]
)
def test_a_missing_or_corrupt_store_is_named_clearly_and_read_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes | None
) -> None:
    path = tmp_path / "answers.db"
    if content is not None:
        path.write_bytes(content)
    store = answers.AnswerStore(path)
    problem = store.problem()
    assert problem and str(path) in problem and "make answers" in problem
    with caplog.at_level("ERROR"):
        assert store.get("faq_texting") is None and store.menu() == [] and store.search("texting") == []
    said = [r.getMessage() for r in caplog.records]
    assert said and all(str(path) in line and "make answers" in line for line in said)
    assert not any(r.exc_info for r in caplog.records)  # a clear line, not a stack trace


def test_a_good_store_has_no_problem(store: answers.AnswerStore, tmp_path: Path) -> None:
    assert store.problem() is None
    source = _source(tmp_path, lambda d: [e.update(vetted=False) for e in d["answers"].values()])
    unvetted = answers.AnswerStore(answers.build_database(source, tmp_path / "unvetted.db"))
    assert "no vetted answer" in (unvetted.problem() or "")


def test_menu_follows_source_order(store: answers.AnswerStore) -> None:
    source = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    assert [a.topic for a in store.menu()] == source["menu"]


@pytest.mark.parametrize(
    ("text", "topic"),
    [("texting messages between sessions", "faq_texting"), ("religion faith beliefs", "faq_religion")],
)
def test_search_finds_topics_by_words(store: answers.AnswerStore, text: str, topic: str) -> None:
    assert topic in store.search(text, limit=3)


@pytest.mark.parametrize("text", ["", "   ", '"*) OR (', "NEAR( AND", "\x00\xff", "the a of"])
def test_search_never_fails_on_odd_input(store: answers.AnswerStore, text: str) -> None:
    assert isinstance(store.search(text), list)


def test_rebuild_takes_effect_without_retraining(tmp_path: Path) -> None:
    target = tmp_path / "a.db"
    store = answers.AnswerStore(answers.build_database(config.answers_source(), target))
    before = store.get("faq_texting")
    source = _source(tmp_path, lambda d: d["answers"]["faq_texting"].update(short="An edited answer."))
    answers.build_database(source, target)
    assert before is not None and before.short != "An edited answer."
    assert store.get("faq_texting").short == "An edited answer."


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["answers"]["faq_texting"].pop("short"), "topic faq_texting: missing field(s): short"),
        (lambda d: d["answers"]["faq_sex"].update(short="word " * 91), "topic faq_sex: `short` has 91 words"),
        (lambda d: d["answers"]["faq_trust"].update(related=["faq_nope"]), "related topic faq_nope"),
        (lambda d: d["answers"]["faq_trust"].update(related=["faq_trust"]), "lists the topic itself"),
        (lambda d: d["answers"]["faq_empathy"].update(vetted="yes"), "topic faq_empathy: `vetted`"),
        (lambda d: d["answers"]["faq_empathy"].update(source="blog"), "unknown source 'blog'"),
        (lambda d: d["answers"]["faq_empathy"].update(reviewed="last week"), "`reviewed` must be a date"),
        (lambda d: d["answers"].update(texting={}), "topic texting: topic names must start"),
        (lambda d: d.update(menu=["faq_nope"]), "menu: topic faq_nope has no answer"),
        (lambda d: d.update(answers=[]), "`answers` must map"),
    ],
)
def test_malformed_source_fails_naming_topic_and_problem(tmp_path: Path, mutate, expected: str) -> None:
    source = _source(tmp_path, mutate)
    with pytest.raises(answers.AnswerSourceError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        answers.build_database(source, tmp_path / "a.db")
    assert not (tmp_path / "a.db").exists()


def test_unparseable_yaml_fails_clearly(tmp_path: Path) -> None:
    source = tmp_path / "answers.yml"
    source.write_text("answers: [unclosed", encoding="utf-8")
    with pytest.raises(answers.AnswerSourceError, match="cannot be read as YAML"):
        answers.load_source(source)


def test_an_answer_resting_on_several_sections_cites_them_all(tmp_path: Path) -> None:
    doc = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    doc["answers"]["faq_texting"]["sections"] = ["Can I text my therapist?", "What are therapeutic boundaries?"]
    source = tmp_path / "answers.yml"
    source.write_text(yaml.safe_dump(doc), encoding="utf-8")
    answer = answers.AnswerStore(answers.build_database(source, tmp_path / "a.db")).get("faq_texting")
    assert answer.citation == (
        f'Source: "{answer.article}", sections "Can I text my therapist?" and "What are therapeutic boundaries?".'
    )


def test_a_blank_line_in_the_source_starts_a_paragraph() -> None:
    text = yaml.safe_load("more: >-\n  First   paragraph,\n  still the first.\n\n  Second one.\n")["more"]
    assert answers.paragraphs(text) == "First paragraph, still the first.\n\nSecond one."
