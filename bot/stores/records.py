"""What Alliance records about its own use, for the report (`alliance report`): never what anyone said.

- `turns`: one row per question the bot answered or didn't (time, channel, topic or
  None, and the kind of turn: `answer` or `fallback`);
- `votes`: one row per "Helpful" / "Not helpful" (time, channel, topic, the answer's
  version, the vote).
Rows older than the retention period (`config.records_days`) are deleted whenever
rows are added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Any, Iterable

from bot import config
from bot.stores.private import open_private

logger = logging.getLogger(__name__)

ANSWER, FALLBACK = "answer", "fallback"
HELPFUL, NOT_HELPFUL = "helpful", "not_helpful"
TURNS = {"at": str, "channel": str, "topic": str, "kind": str}
VOTES = {"at": str, "channel": str, "topic": str, "version": str, "vote": str}


def answer_version(reviewed: str, short: str, more: str) -> str:
    """Which text of an answer a vote is about: its review date and a hash of its words."""
    digest = hashlib.sha256(f"{short}\n{more}".encode()).hexdigest()[:10]
    return f"{reviewed}:{digest}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _insert(table: str, columns: dict[str, type], row: dict[str, Any], path: Path | None) -> dict[str, Any]:
    db = open_private(path or config.records_db())
    try:
        db[table].insert(row, columns=columns, alter=False)
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=config.records_days())
        db.execute(f"delete from [{table}] where at < ?", [cutoff.isoformat(timespec="seconds")])
        db.conn.commit()
    finally:
        db.close()
    return row


def record_turn(channel: str | None, topic: str | None, kind: str, at: str | None = None, path: Path | None = None):
    """One question, answered with `topic` (`ANSWER`) or not understood (`FALLBACK`)."""
    row = {"at": at or _now(), "channel": channel or "unknown", "topic": topic, "kind": kind}
    return _insert("turns", TURNS, row, path)


def record_vote(
    channel: str | None, topic: str, version: str, vote: str, at: str | None = None, path: Path | None = None
) -> dict[str, Any]:
    """One "Helpful" (`HELPFUL`) or "Not helpful" (`NOT_HELPFUL`) on an answer."""
    if vote not in (HELPFUL, NOT_HELPFUL):
        raise ValueError(f"a vote is {HELPFUL!r} or {NOT_HELPFUL!r}, not {vote!r}")
    row = {"at": at or _now(), "channel": channel or "unknown", "topic": topic, "version": version, "vote": vote}
    return _insert("votes", VOTES, row, path)


def rows(table: str, path: Path | None = None) -> list[dict[str, Any]]:
    """Every row of `turns` or `votes`, oldest first."""
    path = path or config.records_db()
    if not path.exists():
        return []
    db = open_private(path)
    try:
        return list(db[table].rows_where(order_by="at")) if db[table].exists() else []
    finally:
        db.close()


def between(records: Iterable[dict[str, Any]], since: str | None, until: str | None) -> list[dict[str, Any]]:
    """The rows whose time is in [since, until) (ISO dates or times; None: open)."""
    return [r for r in records if (since is None or r["at"] >= since) and (until is None or r["at"] < until)]
