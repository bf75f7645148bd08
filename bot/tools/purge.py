"""`alliance purge CONVERSATION`: erase one person's conversation everywhere Alliance keeps it.

The right to erasure. A conversation lives in the Rasa server's tracker store (in its
memory, or in Redis when several processes share it), in the escalation record (rows
without text, but naming the conversation), and, for Slack and Telegram with several
processes, in Redis's record of answered deliveries. The turns, votes and review queue
(`bot/stores/records.py`, `misses.py`) name no conversation, so nothing there points
back to it. Conversation ids name their channel: `telegram:12345`, `rest:abc`,
`socketio:<session>`, `slack:<user>`.

A running server is asked through its HTTP API (the token from ALLIANCE_API_TOKEN):
replacing the conversation's events with none erases it from either store
(`bot/stores/tracker_store.py`). With ALLIANCE_REDIS_URL set, the Redis keys are also
deleted directly, so a stopped server's conversations are erased too.

What a purge can't reach: with several server processes, one that read the
conversation earlier may still hold its parsed events in memory (the Redis store's
cache of at most 1,000 conversations, oldest dropped first) until that process next
touches the conversation, finds it gone and drops them, or stops; it never writes
them back. Each process's record of recent deliveries holds delivery ids, never text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bot import config
from bot.safety import escalations
from bot.stores.tracker_store import redis_keys

logger = logging.getLogger(__name__)

DEFAULT_SERVER = "http://127.0.0.1:5005"


@dataclass
class Erased:
    """What one purge found and erased, counted; `unreached` says what it could not reach."""

    tracker: bool = False
    redis_keys: int = 0
    escalations: int = 0
    unreached: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"tracker erased through the server: {'yes' if self.tracker else 'no'}",
            f"Redis keys deleted: {self.redis_keys}",
            f"escalation rows deleted: {self.escalations}",
        ]
        return "; ".join(parts) + "".join(f"\nnot reached: {why}" for why in self.unreached)


def erase_on_server(conversation: str, server: str, token: str | None) -> tuple[bool, str | None]:
    """Ask the running server to replace the conversation's events with none: (done, why not)."""
    if token is None:
        return False, "the server's HTTP API (set ALLIANCE_API_TOKEN, the server's token)"
    url = f"{server.rstrip('/')}/conversations/{quote(conversation, safe=':')}/tracker/events"
    try:
        response = requests.put(url, json=[], params={"token": token}, timeout=30)
    except requests.RequestException as exc:
        return False, f"the server at {server} ({type(exc).__name__})"
    if response.status_code != 200:
        return False, f"the server at {server} (HTTP {response.status_code})"
    return True, None


def _glob_escaped(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


def erase_in_redis(conversation: str, url: str, prefix: str) -> int:
    """Delete the conversation's keys: its events (ours and Rasa's format), lock and delivery records."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    keys: list[Any] = redis_keys(prefix, conversation)
    keys += list(client.scan_iter(f"{prefix}:delivered:*:{_glob_escaped(conversation)}|*"))
    return int(client.delete(*keys))


def purge(
    conversation: str,
    server: str | None = DEFAULT_SERVER,
    token: str | None = None,
    redis_url: str | None = None,
    prefix: str | None = None,
    escalations_db: Path | None = None,
) -> Erased:
    """Erase `conversation` from the server, Redis and the escalation record."""
    erased = Erased()
    if server:
        erased.tracker, why = erase_on_server(conversation, server, token)
        if why:
            erased.unreached.append(why)
    if redis_url:
        try:
            erased.redis_keys = erase_in_redis(conversation, redis_url, prefix or config.redis_prefix())
        except Exception as exc:  # redis' errors and the OS's
            erased.unreached.append(f"Redis ({type(exc).__name__})")
    erased.escalations = escalations.erase(conversation, escalations_db)
    logger.warning("conversation purged: %s", erased.summary().replace("\n", "; "))  # the id is no text
    return erased
