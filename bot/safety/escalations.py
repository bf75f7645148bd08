"""The record of crisis escalations: when, which conversation and channel, the level, which layer fired.

Never the message text: the record shows that the safety layer worked, not what
anybody said.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import sqlite_utils

from bot import config
from bot.safety import CRISIS_INTENT, SAFETY_KEY
from bot.stores.private import open_private

logger = logging.getLogger(__name__)

COLUMNS = {
    "at": str, "conversation_id": str, "channel": str, "layer": str, "rule": str, "level": int, "language": str,
    "kind": str,
}  # fmt: skip


def record(
    conversation_id: str,
    channel: str | None,
    layer: str | None,
    rule: str | None,
    path: Path | None = None,
    level: int | None = None,
    language: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Append one escalation and return the row written."""
    path = path or config.escalations_db()
    row = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "conversation_id": conversation_id,
        "channel": channel or "unknown",
        "layer": layer or "unknown",
        "rule": rule or "",
        "level": level or 1,
        "language": language or "en",
        "kind": kind or "",
    }
    db = open_private(path)
    try:
        db["escalations"].insert(row, pk="id", columns=COLUMNS, alter=True)  # alter: a record from before levels
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=config.escalations_days())
        db.execute("delete from escalations where at < ?", [cutoff.isoformat(timespec="seconds")])
        db.conn.commit()
    finally:
        db.close()
    logger.warning(
        "crisis escalation recorded (level=%s, channel=%s, layer=%s)", row["level"], row["channel"], row["layer"]
    )
    return row


def record_parse(
    conversation_id: str, channel: str | None, parse_data: dict[str, Any] | None, path: Path | None = None
) -> dict[str, Any]:
    """Record the escalation of a message from its parse result (the level, which layer fired, which rule).

    No safety record means the intent came straight in as a button payload ("/crisis"),
    or, for a message that isn't a crisis itself, an answer to the check-in ("Are you
    safe right now?") that said no or didn't know: both are level 1.
    """
    parse_data = parse_data or {}
    safety = parse_data.get(SAFETY_KEY) or {}
    if (parse_data.get("intent") or {}).get("name") != CRISIS_INTENT:
        safety = {"layer": "checkin", "level": 1, "language": safety.get("language")}
    elif not safety:
        safety = {"layer": "payload", "level": 1}
    return record(
        conversation_id, channel, safety.get("layer"), safety.get("rule"), path,
        safety.get("level"), safety.get("language"), safety.get("kind"),
    )  # fmt: skip


def erase(conversation_id: str, path: Path | None = None) -> int:
    """Delete the conversation's rows (the right to erasure); how many there were."""
    path = path or config.escalations_db()
    if not path.exists():
        return 0
    db = open_private(path)
    try:
        if not db["escalations"].exists():
            return 0
        erased = db.execute("delete from escalations where conversation_id = ?", [conversation_id]).rowcount
        db.conn.commit()
        return erased
    finally:
        db.close()


def rows(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or config.escalations_db()
    if not path.exists():
        return []
    db = sqlite_utils.Database(path)
    try:
        return list(db["escalations"].rows) if db["escalations"].exists() else []
    finally:
        db.close()
