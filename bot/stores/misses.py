"""The review queue: questions the bot didn't understand, redacted, kept only when a deployment opts in.

This is the most sensitive thing Alliance can keep, so:

- nothing is kept unless `ALLIANCE_KEEP_MISSES` is on (`config.keep_misses`);
- nothing is kept from a message or conversation that reached any crisis level: the
  caller says so (`crisis`), and the crisis rules (`bot/safety/rules.yml`) check the
  text again, so a message that fires any rule that escalates is never kept even
  when a safe context overrules it;
- only the redacted text is written (`redact`), at most `MAX_CHARS` characters, with
  its channel, kind ("fallback" or "not_helpful"), time and expiry;
- a row is deleted when it expires (`config.misses_days`, checked whenever the queue
  is written or read) or as soon as a reviewer decides on it (`decide`), and SQLite's
  `secure_delete` overwrites what a deleted row held;
- the queue is the `misses` table of `config.records_db()`, a file only its owner can
  read (`open_private`).

What `redact` replaces:

- `[email]`: addresses (`jane.doe+x@mail.example.co.uk`) and the spelled-out forms
  `jane (at) example (dot) com` and `jane at example dot com`;
- `[url]`: links with a scheme (`https://`, `ftp://`), anything starting `www.`, and
  bare domains under common top-level domains (`example.org/page`);
- `[name]`: social handles (`@jane_doe`), and the names found in the text (below);
- `[phone]`: 7 to 15 digits written as one number, in groups split by single
  spaces, dots, dashes or parentheses, or after a leading `+` (`+44 20 7946 0958`,
  `(555) 123-4567`, `555.123.4567`, `0412 345 678`, `0061 412 345 678`, `555-1234`,
  `+447700900123`);
- `[number]`: card numbers (16 digits and up, or three or more groups of four), US
  social security numbers (`123-45-6789`), and any other run of 5 or more digits, on
  its own or inside a word (`12345678`, `A1234567`, `90210`).

Names. The spaCy pipeline built at set-up (`config.spacy_model_dir`) is a blank
English tokenizer with a lookup lemmatizer: it has no named-entity model, and none
can be downloaded here. So names are found with a `Matcher` over the tokens:

- a word after a naming phrase, in any case: "named X", "name is X" / "name's X",
  "goes by X", "call him / her / them X", "<someone> is / was called X" (someone: a
  pronoun or a person such as therapist, counselor, doctor, friend, husband, mom),
  and after the titles "Mr", "Mrs" and "Dr." / "Prof." / "Ms." / "Mx." with a dot;
  a stop word ("named after", "called me") is never taken;
- a capitalized word after "<someone> called", "Dr", "Doctor", "Prof", "Ms", "Mx"
  or "Miss" ("a friend called April", "Doctor Grace"), even a common one;
- any capitalized word (`Sarah`, `O'Brien`, `McKay`, `José`) that doesn't start a
  sentence and isn't one of `COMMON_CAPITALIZED` (days, months, holidays, faiths,
  languages and countries, apps, family words such as "Mom", titles, "I"); one
  right after another joins it ("Sarah Jones" becomes one `[name]`);
- a capitalized word that starts a sentence, when the lookup lemmatizer doesn't know
  it as an English word and it comes before a name found already, "'s" or a verb of
  saying ("Sarah said", "Sarah's", "Sarah Jones told me");
- every other occurrence, in any case, of a word found by those rules ("... I asked
  sarah again").

So "Can I text my therapist on Sunday?" is left as it is (days aren't names), while
"Can I text Sarah on Sunday?" becomes "Can I text [name] on Sunday?".

What it can't find, so a reviewer must still read with care:

- a name that starts a sentence in any other way ("Sarah is my therapist", "Grace
  said": "grace" is an English word), a lowercase name outside the naming phrases
  ("my therapist sarah said"), a name in capitals ("SARAH"), the second lowercase
  word of a name after a naming phrase ("named sarah jones" keeps "jones"), "i'm
  sarah" (in lowercase, "i'm sad" looks the same), and a name that is also one of
  the common words ("I told Christian");
- addresses, places, employers and schools, unless capitalized mid-sentence (then
  they become `[name]`, as do brands: "at Starbucks");
- numbers written in words ("five five five ..."), numbers of fewer than 7 digits
  split into groups ("12 34 56"), dates (`2024-03-12`, `12.03.2024`) and year
  ranges (`2015-2018`), which are kept on purpose;
- anything identifying by what it says rather than by its form ("the only Deaf
  therapist in our town").

Over-redaction is the safe error: a capitalized brand or place mid-sentence, and
the word after "named", become `[name]` even when they aren't one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from bot import config
from bot.nlu.examples import ReviewError, add_example
from bot.stores.private import open_private
from bot.stores.redaction import bounded, has_words, redact

logger = logging.getLogger(__name__)


TABLE = "misses"
FALLBACK, NOT_HELPFUL = "fallback", "not_helpful"
KINDS = (FALLBACK, NOT_HELPFUL)
TRAIN, DISMISS, DELETE = "train", "dismiss", "delete"
DECISIONS = (TRAIN, DISMISS, DELETE)
MAX_CHARS = 500  # what is stored: a question, not a letter
MAX_INPUT = 2000  # what is redacted: the rest could never be stored anyway
COLUMNS = {"id": int, "at": str, "expires": str, "channel": str, "kind": str, "text": str}


# --- the queue -------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


# When, without the opt-in, each records file was last checked for expired leftovers.
_LEFTOVERS_CHECKED: dict[Path, float] = {}
PURGE_EVERY = 3600.0  # seconds


def _open(path: Path, create: bool = False):
    """The records file, with the queue's table when `create` (only `keep` creates it)."""
    db = open_private(path)
    db.execute("pragma secure_delete = on")  # a deleted row's text is overwritten, not left in free pages
    if create:
        db[TABLE].create(COLUMNS, pk="id", if_not_exists=True)
    return db


def _purge(db) -> int:
    """Delete every expired row; returns how many."""
    if not db[TABLE].exists():
        return 0
    cursor = db.execute(f"delete from [{TABLE}] where expires <= ?", [_iso(_now())])
    db.conn.commit()
    if cursor.rowcount:
        logger.info("deleted %d expired questions from the review queue", cursor.rowcount)
    return cursor.rowcount


def _flagged(text: str) -> bool:
    """Whether a crisis rule that escalates fires on `text` (English or Spanish), even one a safe context overrules."""
    from bot.safety import rules

    tiers = tuple(f"{tier}." for tier in rules.LEVELS)
    sets = [rules.default_rules(), rules.spanish_rules()]
    return any(name.startswith(tiers) for found in sets if found for name in found.matches(text))


def keep(text: str, channel: str | None, kind: str, crisis: bool, path: Path | None = None) -> bool:
    """Queue the redacted `text` of a missed question for review, if the deployment opted in; True if kept.

    `kind` is "fallback" (not understood) or "not_helpful" (an answer that didn't help).
    `crisis` is True when the message or its conversation reached any crisis level: then
    nothing is kept. Expired rows are deleted whenever this runs. A failure to store is
    logged (never the text) and returns False: the queue must never break a reply.
    """
    if kind not in KINDS:
        raise ValueError(f"a missed question's kind is {FALLBACK!r} or {NOT_HELPFUL!r}, not {kind!r}")
    path = path or config.records_db()
    try:
        if not config.keep_misses():
            # Rows kept before the opt-in was turned off still expire, checked at most hourly:
            # without the opt-in a fallback costs no more than its turn record.
            if path.exists() and time.monotonic() - _LEFTOVERS_CHECKED.get(path, -PURGE_EVERY) >= PURGE_EVERY:
                _LEFTOVERS_CHECKED[path] = time.monotonic()
                db = _open(path)
                try:
                    _purge(db)
                finally:
                    db.close()
            return False
        if crisis or not text or _flagged(text):
            return False
        clean = bounded(" ".join(redact(bounded(text, MAX_INPUT)).split()), MAX_CHARS)
        if not has_words(clean):
            return False
        now = _now()
        row = {
            "at": _iso(now),
            "expires": _iso(now + dt.timedelta(days=config.misses_days())),
            "channel": channel or "unknown",
            "kind": kind,
            "text": clean,
        }
        db = _open(path, create=True)
        try:
            db[TABLE].insert(row, alter=False)
            db.conn.commit()
            _purge(db)
        finally:
            db.close()
    except Exception as exc:  # the reply matters more than the queue
        logger.warning("could not keep a missed question for review (%s)", type(exc).__name__)
        return False
    logger.debug("kept a %s question for review", kind)
    return True


def pending(path: Path | None = None) -> list[dict[str, Any]]:
    """The unexpired questions waiting for review, oldest first (expired ones are deleted first)."""
    path = path or config.records_db()
    if not path.exists():
        return []
    db = _open(path)
    try:
        _purge(db)
        return list(db[TABLE].rows_where(order_by="at, id")) if db[TABLE].exists() else []
    finally:
        db.close()


def decide(
    item_id: int,
    decision: str,
    intent: str | None = None,
    nlu_file: Path | None = None,
    path: Path | None = None,
) -> dict[str, Any]:
    """Act on one queued question, then delete it: nothing is kept after its decision.

    - "train": append its text as an example of `intent` in the NLU file (default
      data/nlu.yml); an unknown intent raises `ReviewError` and changes nothing;
    - "dismiss": nothing to learn from it;
    - "delete": it should not have been kept (the redaction missed something).

    Returns the item as it was. Raises `LookupError` if it isn't in the queue (decided
    already, or expired).
    """
    if decision not in DECISIONS:
        raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == TRAIN and not intent:
        raise ReviewError("training needs an intent")
    path = path or config.records_db()
    if not path.exists():
        raise LookupError(f"question {item_id} is not in the review queue")
    db = _open(path)
    try:
        _purge(db)
        item = next(db[TABLE].rows_where("id = ?", [item_id]), None) if db[TABLE].exists() else None
        if item is None:
            raise LookupError(f"question {item_id} is not in the review queue (decided already, or expired)")
        if decision == TRAIN:
            add_example(intent or "", item["text"], nlu_file or config.ROOT / "data" / "nlu.yml")
        db.execute(f"delete from [{TABLE}] where id = ?", [item_id])
        db.conn.commit()
    finally:
        db.close()
    logger.info("review: one question %s", {TRAIN: "trained", DISMISS: "dismissed", DELETE: "deleted"}[decision])
    return item
