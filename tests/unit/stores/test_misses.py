"""bot.stores.misses: the review queue keeps only redacted text, only when opted in, never from a crisis."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from bot import config
from bot.nlu import examples as nlu_examples
from bot.stores import misses, records
from bot.stores.redaction import redact

QUESTION = "can I text my therapist at jane.doe@example.com or +1 (555) 123-4567 on weekends?"
PLANTED = (b"jane", b"example.com", b"555", b"123-4567", b"4567")


def raw(db: Path) -> bytes:
    """Every byte SQLite has on disk for `db`: the file and its journal or write-ahead log, if any."""
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-journal"), Path(f"{db}-wal")) if p.exists())


def table_rows(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        if not conn.execute("select 1 from sqlite_master where name = 'misses'").fetchone():
            return []
        return conn.execute("select * from misses").fetchall()


@pytest.fixture
def opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "1")
    monkeypatch.delenv("ALLIANCE_MISSES_DAYS", raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "var" / "records.db"


# --- keeping -----------------------------------------------------------------------------------


def test_without_the_opt_in_nothing_is_kept(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_KEEP_MISSES", raising=False)
    assert misses.keep(QUESTION, "rest", misses.FALLBACK, crisis=False, path=db) is False
    assert not db.exists()  # not even an empty file
    records.record_turn("rest", None, records.FALLBACK, path=db)  # the records file exists for the report
    for off in ("", "0", "false", "no"):
        monkeypatch.setenv("ALLIANCE_KEEP_MISSES", off)
        assert misses.keep(QUESTION, "rest", misses.NOT_HELPFUL, crisis=False, path=db) is False
    assert misses.pending(db) == []
    with sqlite3.connect(db) as conn:  # not even an empty table
        assert not conn.execute("select 1 from sqlite_master where name = 'misses'").fetchone()
    assert b"therapist" not in raw(db) and b"weekends" not in raw(db)


def test_kept_text_is_redacted_before_it_reaches_the_disk(db: Path, opted_in: None) -> None:
    assert misses.keep(QUESTION, "slack", misses.FALLBACK, crisis=False, path=db) is True
    on_disk = raw(db)
    assert b"can I text my therapist at" in on_disk and b"on weekends?" in on_disk  # the question itself is kept
    for planted in PLANTED:
        assert planted not in on_disk, planted
    [item] = misses.pending(db)
    assert item["text"] == "can I text my therapist at [email] or [phone] on weekends?"
    assert (item["channel"], item["kind"]) == ("slack", "fallback")
    at, expires = dt.datetime.fromisoformat(item["at"]), dt.datetime.fromisoformat(item["expires"])
    assert expires - at == dt.timedelta(days=30)  # the default of ALLIANCE_MISSES_DAYS
    assert set(item) == {"id", "at", "expires", "channel", "kind", "text"}


def test_the_queue_file_is_private(db: Path, opted_in: None) -> None:
    assert misses.keep("is it ok to google my therapist", None, misses.NOT_HELPFUL, crisis=False, path=db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert misses.pending(db)[0]["channel"] == "unknown"


def test_a_crisis_is_never_kept(db: Path, opted_in: None) -> None:
    text = "is it weird that I like my therapist"  # harmless words: the caller knows the conversation reached a crisis
    assert misses.keep(text, "rest", misses.FALLBACK, crisis=True, path=db) is False
    assert misses.keep(text, "rest", misses.NOT_HELPFUL, crisis=True, path=db) is False
    assert table_rows(db) == [] and (not db.exists() or b"weird" not in raw(db))
    assert misses.keep(text, "rest", misses.FALLBACK, crisis=False, path=db) is True  # the same text, no crisis


@pytest.mark.parametrize(
    "text",
    [
        "i want to end my life, can my therapist know",  # a danger rule
        "i've been saving up my pills, is that confidential",
        "i'm going to kill myself lol",
    ],
)
def test_what_the_crisis_rules_flag_is_never_kept_even_if_the_caller_missed_it(
    db: Path, opted_in: None, text: str
) -> None:
    assert misses.keep(text, "rest", misses.FALLBACK, crisis=False, path=db) is False
    assert table_rows(db) == []


@pytest.mark.parametrize(
    "text", ["", "   ", "jane@example.com", "+1 555 123 4567", "www.example.org ?!", "Sarah Jones"]
)
def test_nothing_is_kept_when_nothing_is_left_after_redaction(db: Path, opted_in: None, text: str) -> None:
    assert misses.keep(text, "rest", misses.FALLBACK, crisis=False, path=db) is False
    assert table_rows(db) == []


def test_the_stored_text_is_bounded(db: Path, opted_in: None) -> None:
    long = "why does my therapist keep canceling " * 200
    assert misses.keep(long, "rest", misses.FALLBACK, crisis=False, path=db)
    [item] = misses.pending(db)
    assert 400 < len(item["text"]) <= 500
    assert long.startswith(item["text"]) and long[len(item["text"])] == " "  # cut between words


def test_newlines_and_runs_of_spaces_become_one_line(db: Path, opted_in: None) -> None:
    assert misses.keep("can I\n\n  hug   my therapist?", "rest", misses.FALLBACK, crisis=False, path=db)
    assert misses.pending(db)[0]["text"] == "can I hug my therapist?"


def test_expired_questions_are_deleted_and_leave_no_trace(
    db: Path, opted_in: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_now = misses._now
    monkeypatch.setattr(misses, "_now", lambda: real_now() - dt.timedelta(days=31))
    assert misses.keep("an old question about transference", "rest", misses.FALLBACK, crisis=False, path=db)
    monkeypatch.setattr(misses, "_now", real_now)
    assert misses.keep("a new question about texting", "rest", misses.FALLBACK, crisis=False, path=db)
    assert [row[-1] for row in table_rows(db)] == ["a new question about texting"]  # deleted by keep itself
    assert b"old question" not in raw(db)  # secure_delete: not left behind in a free page
    assert [i["text"] for i in misses.pending(db)] == ["a new question about texting"]


def test_expired_questions_are_deleted_when_the_queue_is_read(
    db: Path, opted_in: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIANCE_MISSES_DAYS", "7")
    assert misses.keep("a question about boundaries", "rest", misses.FALLBACK, crisis=False, path=db)
    item = misses.pending(db)[0]
    assert dt.datetime.fromisoformat(item["expires"]) - dt.datetime.fromisoformat(item["at"]) == dt.timedelta(days=7)
    real_now = misses._now
    monkeypatch.setattr(misses, "_now", lambda: real_now() + dt.timedelta(days=8))
    assert misses.pending(db) == [] and table_rows(db) == []


def test_expired_questions_go_even_after_the_opt_in_is_turned_off(
    db: Path, opted_in: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert misses.keep("a question about empathy", "rest", misses.FALLBACK, crisis=False, path=db)
    monkeypatch.setenv("ALLIANCE_KEEP_MISSES", "0")
    real_now = misses._now
    monkeypatch.setattr(misses, "_now", lambda: real_now() + dt.timedelta(days=31))
    assert misses.keep("another question", "rest", misses.FALLBACK, crisis=False, path=db) is False
    assert table_rows(db) == []


def test_the_kind_is_fallback_or_not_helpful(db: Path, opted_in: None) -> None:
    with pytest.raises(ValueError):
        misses.keep("a question", "rest", "answer", crisis=False, path=db)


def test_a_storage_failure_returns_false_and_logs_no_text(
    tmp_path: Path, opted_in: None, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_file = tmp_path / "records.db"
    not_a_file.mkdir()
    with caplog.at_level(logging.DEBUG):
        assert misses.keep("a question about religion", "rest", misses.FALLBACK, crisis=False, path=not_a_file) is False
    assert caplog.records and all("religion" not in r.getMessage() for r in caplog.records)


def test_no_message_text_is_logged(db: Path, opted_in: None, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    nlu = tmp_path / "nlu.yml"
    shutil.copy(config.ROOT / "data" / "nlu.yml", nlu)
    with caplog.at_level(logging.DEBUG, logger="bot"):
        for kind in (misses.FALLBACK, misses.NOT_HELPFUL):
            misses.keep("may I bring my cat zeppelin to therapy", "rest", kind, crisis=False, path=db)
        first, second = misses.pending(db)
        misses.decide(first["id"], misses.TRAIN, intent="faq_boundaries", nlu_file=nlu, path=db)
        misses.decide(second["id"], misses.DISMISS, path=db)
    assert len(caplog.records) >= 4
    assert all("zeppelin" not in r.getMessage() for r in caplog.records)


# --- redaction ---------------------------------------------------------------------------------

REDACTED = [
    # emails
    ("email me at jane.doe+therapy@mail.example.co.uk please", "email me at [email] please"),
    ("JANE_DOE@EXAMPLE.ORG is my address", "[email] is my address"),
    ("write to jane (at) example (dot) com", "write to [email]"),
    ("it's jane at example dot com", "it's [email]"),
    # phone numbers
    ("my number is +1 (555) 123-4567", "my number is [phone]"),
    ("call 555-123-4567 or 555.123.4567 or 555 123 4567", "call [phone] or [phone] or [phone]"),
    ("(555) 123 4567 is my cell", "[phone] is my cell"),
    ("my cell (555-867-5309) or (+1 555 867 5309)", "my cell ([phone]) or ([phone])"),
    ("my mobile is 07700 900123, thanks", "my mobile is [phone], thanks"),
    ("office +44 20 7946 0958.", "office [phone]."),
    ("0412 345 678 or 0061 412 345 678", "[phone] or [phone]"),
    ("+447700900123", "[phone]"),
    ("text 555-1234 tonight", "text [phone] tonight"),
    # long digit runs
    ("my card is 4111 1111 1111 1111", "my card is [number]"),
    ("card 4111-1111-1111-1111 expired", "card [number] expired"),
    ("ssn 123-45-6789", "ssn [number]"),
    ("account 12345678, member ID A1234567", "account [number], member ID A[number]"),
    ("my zip is 90210", "my zip is [number]"),
    # links
    ("see https://example.org/path?x=1. ok", "see [url]. ok"),
    ("www.therapist.com/about, or psychologytoday.com!", "[url], or [url]!"),
    ("is HTTP://EXAMPLE.NET/A safe", "is [url] safe"),
    # handles
    ("follow me @jane_doe on insta", "follow me [name] on insta"),
    # names after naming phrases, in any case
    ("my therapist is named sarah and she is nice", "my therapist is named [name] and she is nice"),
    ("My therapist's name is Ana.", "My therapist's name is [name]."),
    ("my name's kim", "my name's [name]"),
    ("my counselor is called bob", "my counselor is called [name]"),
    ("my husband was called greg", "my husband was called [name]"),
    ("he goes by jim", "he goes by [name]"),
    ("a friend called April told me", "a friend called [name] told me"),
    ("I saw Dr. Smith and dr. jones", "I saw Dr. [name] and dr. [name]"),
    ("Mrs. Brown and mr green and Dr Patel", "Mrs. [name] and mr [name] and Dr [name]"),
    # capitalized words mid-sentence
    ("I'm Sarah, can you help?", "I'm [name], can you help?"),
    ("Hi, I am Maria Gonzalez and I need help", "Hi, I am [name] and I need help"),
    ("my friend Mary-Jane O'Brien and Sean McKay", "my friend [name] and [name]"),
    ("My therapist José said hello", "My therapist [name] said hello"),
    ("my therapist (Sarah) said no", "my therapist ([name]) said no"),
    ("Can I text Sarah on Sunday?", "Can I text [name] on Sunday?"),
    # names first in a sentence, and found once, everywhere
    ("Sarah Jones said I should ask", "[name] said I should ask"),
    ("Sarah said I should ask. I asked sarah again", "[name] said I should ask. I asked [name] again"),
    ("Priya's my counselor", "[name]'s my counselor"),
    # all at once
    (
        "Hi, I'm Tom Baker (tom.baker@mail.com, 555-867-5309); my therapist Dr. Lee said to ask",
        "Hi, I'm [name] ([email], [phone]); my therapist Dr. [name] said to ask",
    ),
]

UNCHANGED = [
    "Can I text my therapist on Sunday?",  # days aren't names
    "Is it OK to hug my therapist at Christmas?",
    "What does the Bible say about therapy with a Christian therapist?",
    "I'm Christian, can my therapist be Muslim?",
    "Can we do sessions over Zoom or FaceTime?",
    "Is CBT or EMDR better for PTSD?",
    "I told Mom and Dad about my therapist in January",
    "Why does my therapist never talk about herself?",
    "I've been in therapy for 2 years since 2019, and my session is at 3:30",
    "we met weekly 2015-2018 and last on 2024-03-12",
    "should I call 988?",
    "my therapist called me yesterday",
    "my mom called yesterday to ask",
    "is this feeling called transference?",
    "I miss therapy",
    "call me back please",
    "Tell my therapist I said hi",
    "Privacy is important. Texting is fine?",
    "Does my therapist like me? I feel like she does.",
    "is it normal to feel attached to my counsellor after 10 sessions",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED, ids=[c[0][:40] for c in REDACTED])
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_questions_are_left_as_they_are(text: str) -> None:
    assert redact(text) == text


def test_what_redaction_cannot_find_is_documented() -> None:
    """The limits in the module docstring are real: if one is lifted, the docstring must change too."""
    assert redact("Sarah is my therapist") == "Sarah is my therapist"
    assert redact("my therapist sarah said no") == "my therapist sarah said no"
    assert redact("call five five five one two three four") == "call five five five one two three four"
    assert "Sarah is my therapist" in misses.__doc__ and "my therapist sarah said" in misses.__doc__


# --- deciding ----------------------------------------------------------------------------------


@pytest.fixture
def nlu(tmp_path: Path) -> Path:
    copy = tmp_path / "nlu.yml"
    shutil.copy(config.ROOT / "data" / "nlu.yml", copy)
    return copy


def examples(nlu_file: Path) -> dict[str, list[str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(nlu_file))
    found: dict[str, list[str]] = {}
    for message in data.intent_examples:
        found.setdefault(message.get("intent"), []).append(message.get("text"))
    return found


def test_train_appends_the_example_under_its_intent_and_deletes_the_item(db: Path, opted_in: None, nlu: Path) -> None:
    before = nlu.read_text(encoding="utf-8")
    misses.keep("can I send my therapist a voice note at 555-123-4567", "rest", misses.FALLBACK, False, path=db)
    [item] = misses.pending(db)
    misses.decide(item["id"], misses.TRAIN, intent="faq_texting", nlu_file=nlu, path=db)
    assert misses.pending(db) == [] and table_rows(db) == []
    assert b"voice note" not in raw(db)  # nothing is kept after its decision
    after = nlu.read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["    - can I send my therapist a voice note at [phone]"]
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert "can I send my therapist a voice note at [phone]" in examples(nlu)["faq_texting"]


def test_train_keeps_the_file_s_formatting_and_adds_at_the_end_of_the_block(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(
        'version: "3.1"\n\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n\n'
        "- intent: faq_texting\n  examples: |\n    - can i text my therapist\n",
        encoding="utf-8",
    )
    assert nlu_examples.add_example("greet", "hey there", nlu)
    assert nlu_examples.add_example("faq_texting", "is it [ok](yes) to text", nlu)  # Rasa's entity syntax, defused
    assert nlu.read_text(encoding="utf-8") == (
        'version: "3.1"\n\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n    - hey there\n\n'
        "- intent: faq_texting\n  examples: |\n    - can i text my therapist\n    - is it [ok] (yes) to text\n"
    )
    found = examples(nlu)
    assert found["greet"] == ["hi", "hello", "hey there"]
    assert "is it [ok] (yes) to text" in found["faq_texting"]
    assert nlu_examples.add_example("greet", "hey there", nlu) is False  # an example already: nothing changes


def test_an_unknown_intent_is_refused_and_nothing_changes(db: Path, opted_in: None, nlu: Path) -> None:
    before = nlu.read_bytes()
    misses.keep("can my therapist be my friend on facebook", "rest", misses.FALLBACK, False, path=db)
    [item] = misses.pending(db)
    with pytest.raises(misses.ReviewError, match="unknown intent 'faq_nonsense'"):
        misses.decide(item["id"], misses.TRAIN, intent="faq_nonsense", nlu_file=nlu, path=db)
    with pytest.raises(misses.ReviewError):
        misses.decide(item["id"], misses.TRAIN, intent=None, nlu_file=nlu, path=db)
    assert nlu.read_bytes() == before
    assert [i["id"] for i in misses.pending(db)] == [item["id"]]  # still waiting for a decision


def test_an_example_of_another_intent_is_refused(db: Path, opted_in: None, nlu: Path) -> None:
    taken = examples(nlu)["faq_boundaries"][0]
    misses.keep(taken, "rest", misses.FALLBACK, False, path=db)
    [item] = misses.pending(db)
    with pytest.raises(misses.ReviewError, match="faq_boundaries"):
        misses.decide(item["id"], misses.TRAIN, intent="faq_texting", nlu_file=nlu, path=db)
    assert len(misses.pending(db)) == 1


@pytest.mark.parametrize("decision", [misses.DISMISS, misses.DELETE])
def test_dismiss_and_delete_remove_the_item_and_leave_the_nlu_file_alone(
    db: Path, opted_in: None, nlu: Path, decision: str
) -> None:
    before = nlu.read_bytes()
    misses.keep("a question about my therapist's dog", "rest", misses.FALLBACK, False, path=db)
    misses.keep("a second question", "rest", misses.FALLBACK, False, path=db)
    first, second = misses.pending(db)
    assert misses.decide(first["id"], decision, nlu_file=nlu, path=db)["text"] == first["text"]
    assert [i["id"] for i in misses.pending(db)] == [second["id"]]
    assert b"therapist's dog" not in raw(db)
    assert nlu.read_bytes() == before
    with pytest.raises(LookupError):
        misses.decide(first["id"], decision, path=db)  # decided already


def test_a_decision_is_train_dismiss_or_delete(db: Path, opted_in: None) -> None:
    misses.keep("a question", "rest", misses.FALLBACK, False, path=db)
    with pytest.raises(ValueError):
        misses.decide(misses.pending(db)[0]["id"], "keep", path=db)
    assert len(misses.pending(db)) == 1
