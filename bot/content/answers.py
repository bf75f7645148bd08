"""The vetted answer store.

`data/answers.yml` is the reviewed source; `build_database` turns it into a
SQLite file (a table plus a full-text index) that the actions read. Editing an
answer means rebuilding this file, never retraining the model.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml

from bot import config

logger = logging.getLogger(__name__)

SHORT_MAX_WORDS = 90
REQUIRED_FIELDS = ("title", "short", "more", "source", "sections", "related", "vetted", "reviewed", "checked_by")
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in is it its me my of on or "
    "our so that the their them they this to was we what when where which who why will with "
    "you your therapist therapists counselor counsellor therapy".split()
)


class AnswerSourceError(ValueError):
    """The answer source file is malformed; the message names the topic and the problem."""


@dataclass(frozen=True)
class Answer:
    topic: str
    title: str
    short: str
    more: str
    article: str
    sections: tuple[str, ...]  # the article's own headings the answer rests on
    related: tuple[str, ...]
    vetted: bool
    reviewed: str
    checked_by: str

    @property
    def citation(self) -> str:
        quoted = [f'"{section}"' for section in self.sections]
        if len(quoted) == 1:
            return f'Source: "{self.article}", section {quoted[0]}.'
        return f'Source: "{self.article}", sections {", ".join(quoted[:-1])} and {quoted[-1]}.'


def load_source(path: Path | None = None) -> dict[str, Any]:
    """Parse and validate the answer source; raise `AnswerSourceError` on any problem."""
    path = path or config.answers_source()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AnswerSourceError(f"{path}: cannot be read as YAML: {exc}") from exc
    validate(doc)
    return doc


def validate(doc: Any) -> None:
    """Check the structure of a parsed answer source."""
    if not isinstance(doc, dict):
        raise AnswerSourceError("the answer file must be a mapping with `sources`, `menu` and `answers`")
    sources, answers, menu = doc.get("sources"), doc.get("answers"), doc.get("menu")
    if not isinstance(sources, dict) or not sources:
        raise AnswerSourceError("`sources` must map a source key to its title and file")
    for key, src in sources.items():
        if not isinstance(src, dict) or not src.get("title"):
            raise AnswerSourceError(f"source {key}: needs a `title`")
    if not isinstance(answers, dict) or not answers:
        raise AnswerSourceError("`answers` must map each faq_* topic to its answer")
    for topic, entry in answers.items():
        _validate_entry(str(topic), entry, sources, answers)
    if not isinstance(menu, list) or not menu:
        raise AnswerSourceError("`menu` must list the topics offered in the menu")
    for topic in menu:
        if topic not in answers:
            raise AnswerSourceError(f"menu: topic {topic} has no answer")


def _validate_entry(topic: str, entry: Any, sources: dict, answers: dict) -> None:
    def fail(problem: str) -> None:
        raise AnswerSourceError(f"topic {topic}: {problem}")

    if not topic.startswith("faq_"):
        fail("topic names must start with `faq_`")
    if not isinstance(entry, dict):
        fail("the answer must be a mapping of fields")
    missing = [f for f in REQUIRED_FIELDS if f not in entry]
    if missing:
        fail(f"missing field(s): {', '.join(missing)}")
    for field in ("title", "short", "more", "checked_by"):
        if not isinstance(entry[field], str) or not entry[field].strip():
            fail(f"`{field}` must be non-empty text")
    sections = entry["sections"]
    if not isinstance(sections, list) or not sections or not all(isinstance(x, str) and x.strip() for x in sections):
        fail("`sections` must list the headings of the article the answer rests on")
    words = len(entry["short"].split())
    if words > SHORT_MAX_WORDS:
        fail(f"`short` has {words} words (at most {SHORT_MAX_WORDS})")
    if entry["source"] not in sources:
        fail(f"unknown source {entry['source']!r} (known: {', '.join(sources)})")
    related = entry["related"]
    if not isinstance(related, list):
        fail("`related` must be a list of topics")
    for other in related:
        if other == topic:
            fail("`related` lists the topic itself")
        if other not in answers:
            fail(f"related topic {other} does not exist")
    if not isinstance(entry["vetted"], bool):
        fail("`vetted` must be true or false")
    if not isinstance(entry["reviewed"], dt.date):
        fail("`reviewed` must be a date (YYYY-MM-DD)")


def paragraphs(text: str) -> str:
    """Answer text as people see it: each line YAML gives is a paragraph, its spacing tidied.

    In a folded block (`>-`) a blank line in the file starts a new paragraph.
    """
    kept = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(line for line in kept if line)


def build_database(source: Path | None = None, target: Path | None = None) -> Path:
    """Build the answer store atomically: readers see the old file or the new one, never half."""
    doc = load_source(source)
    target = target or config.answers_db()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".answers-", suffix=".db", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        db = sqlite_utils.Database(tmp)
        sources = doc["sources"]
        db["answers"].insert_all(
            (
                {
                    "topic": topic,
                    "title": e["title"].strip(),
                    "short": paragraphs(e["short"]),
                    "more": paragraphs(e["more"]),
                    "article": sources[e["source"]]["title"],
                    "source_file": sources[e["source"]].get("file", ""),
                    "sections": json.dumps([section.strip() for section in e["sections"]]),
                    "checked_by": e["checked_by"].strip(),
                    "related": json.dumps(e["related"]),
                    "vetted": e["vetted"],
                    "reviewed": e["reviewed"].isoformat(),
                }
                for topic, e in doc["answers"].items()
            ),
            pk="topic",
        )
        db["answers"].enable_fts(["title", "short", "more"], tokenize="porter")
        db["menu"].insert_all(({"position": i, "topic": t} for i, t in enumerate(doc["menu"])), pk="position")
        db.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("built answer store %s (%d topics)", target, len(doc["answers"]))
    return target


class AnswerStore:
    """Read access to the vetted answers; a missing store behaves as an empty one."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config.answers_db()

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        # A connection per query picks up a rebuilt file at once; it costs microseconds.
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        except sqlite3.OperationalError:
            logger.error(self._missing())
            return []
        try:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            # What is wrong and what to do, without a traceback: it is the file, not the code.
            logger.error(self._unreadable(exc))
            return []
        finally:
            conn.close()

    def _missing(self) -> str:
        return f"answer store {self.path} is missing: run `make answers` (or set ALLIANCE_ANSWERS_DB)"

    def _unreadable(self, exc: sqlite3.DatabaseError) -> str:
        return f"answer store {self.path} is not a readable answer store ({exc}): rebuild it with `make answers`"

    def problem(self) -> str | None:
        """Why the store can't give answers (missing, corrupt, no vetted answer), or None when it can."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        except sqlite3.OperationalError:
            return self._missing()
        try:
            (vetted,) = conn.execute("select count(*) from answers where vetted = 1").fetchone()
            conn.execute("select count(*) from menu").fetchone()
        except sqlite3.DatabaseError as exc:
            return self._unreadable(exc)
        finally:
            conn.close()
        if not vetted:
            return f"answer store {self.path} has no vetted answer: check data/answers.yml and run `make answers`"
        return None

    @staticmethod
    def _answer(row: sqlite3.Row) -> Answer:
        return Answer(
            topic=row["topic"],
            title=row["title"],
            short=row["short"],
            more=row["more"],
            article=row["article"],
            sections=tuple(json.loads(row["sections"])),
            related=tuple(json.loads(row["related"])),
            vetted=bool(row["vetted"]),
            reviewed=row["reviewed"],
            checked_by=row["checked_by"],
        )

    def get(self, topic: str | None) -> Answer | None:
        """The vetted answer for a topic, or None when there is none."""
        if not topic:
            return None
        rows = self._query("select * from answers where topic = ? and vetted = 1", (topic,))
        return self._answer(rows[0]) if rows else None

    def get_many(self, topics: tuple[str, ...] | list[str]) -> list[Answer]:
        """The vetted answers among `topics`, in the order given (one query: related buttons)."""
        if not topics:
            return []
        marks = ", ".join("?" * len(topics))
        rows = self._query(f"select * from answers where topic in ({marks}) and vetted = 1", tuple(topics))
        found = {row["topic"]: self._answer(row) for row in rows}
        return [found[t] for t in topics if t in found]

    def vetted(self) -> list[Answer]:
        """Every vetted answer, in source order."""
        return [self._answer(r) for r in self._query("select * from answers where vetted = 1 order by rowid")]

    def menu(self) -> list[Answer]:
        """The vetted topics offered in the menu, in order."""
        rows = self._query(
            "select answers.* from menu join answers using (topic) " "where answers.vetted = 1 order by menu.position"
        )
        return [self._answer(r) for r in rows]

    def search(self, text: str, limit: int = 3) -> list[str]:
        """Vetted topics whose text best matches the words of `text` (full-text index)."""
        words = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOPWORDS and len(w) > 2]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        rows = self._query(
            "select answers.topic from answers_fts join answers on answers.rowid = answers_fts.rowid "
            "where answers_fts match ? and answers.vetted = 1 order by bm25(answers_fts) limit ?",
            (match, limit),
        )
        return [r["topic"] for r in rows]
