"""The record of crisis escalations: when, which conversation and channel, which layer fired.

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
from bot.safety import SAFETY_KEY
from bot.stores.private import open_private

logger = logging.getLogger(__name__)

COLUMNS = {"at": str, "conversation_id": str, "channel": str, "layer": str, "rule": str}


def record(
    conversation_id: str,
    channel: str | None,
    layer: str | None,
    rule: str | None,
    path: Path | None = None,
) -> dict[str, Any]:
    """Append one escalation and return the row written."""
    path = path or config.escalations_db()
    row = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "conversation_id": conversation_id,
        "channel": channel or "unknown",
        "layer": layer or "unknown",
        "rule": rule or "",
    }
    db = open_private(path)
    try:
        db["escalations"].insert(row, pk="id", columns=COLUMNS, alter=False)
    finally:
        db.close()
    logger.warning("crisis escalation recorded (channel=%s, layer=%s)", row["channel"], row["layer"])
    return row


def record_parse(
    conversation_id: str, channel: str | None, parse_data: dict[str, Any] | None, path: Path | None = None
) -> dict[str, Any]:
    """Record the escalation of a message from its parse result (which layer fired, which rule).

    No safety record means the intent came straight in, as a button payload ("/crisis").
    """
    safety = (parse_data or {}).get(SAFETY_KEY) or {"layer": "payload"}
    return record(conversation_id, channel, safety.get("layer"), safety.get("rule"), path)


def rows(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or config.escalations_db()
    if not path.exists():
        return []
    db = sqlite_utils.Database(path)
    try:
        return list(db["escalations"].rows) if db["escalations"].exists() else []
    finally:
        db.close()
