"""Tracker stores that keep each conversation's events, not a JSON text of the whole of it.

In memory (one server process): Rasa's InMemoryTrackerStore turns every
conversation into JSON text when it saves it and parses it back for the next
message. Events are never changed once they are in a tracker (Rasa copies one
before altering it), so this store keeps the event objects and rebuilds the
tracker by replaying them, as Rasa's store does after parsing. Rasa's store then
replays the conversation a second time to cut it into sessions and keep the last
one; these stores cut the events first and replay once.

In Redis (several server processes, endpoints.redis.yml): Rasa's RedisTrackerStore
reads the whole conversation's JSON, parses and merges it, then writes the whole of
it again, on every save, and reads and parses it all for every message. This store
keeps each conversation as a Redis list of events: a save appends the new ones, and
a process parses only the events it hasn't already seen.

Both rely on Rasa internals, so where the serving fixes don't apply
(bot/serving/guard.py) they store as the Rasa stores they extend.
docs/benchmarks.md has what each saves.

What holds either way, being about privacy rather than Rasa's internals: nothing
is kept for ever (the memory store forgets idle conversations and keeps at most
`ALLIANCE_MAX_CONVERSATIONS`; Redis keys expire `ALLIANCE_RETENTION_DAYS` after
the last message), and saving a conversation without events erases it, which is
how `python -m bot purge` reaches a running server.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, deserialise_events, split_events
from rasa.shared.core.trackers import DialogueStateTracker

from bot import config
from bot.serving import guard
from bot.serving import tracker_caches as caches
from bot.stores.redis_connection import connection_kwargs

logger = logging.getLogger(__name__)


class InMemoryEventTrackerStore(InMemoryTrackerStore):
    """`InMemoryTrackerStore` without the JSON round trip, and with bounded memory.

    Rasa's store keeps every conversation for the life of the process, and any REST
    caller can start new ones. This one forgets a conversation once it has been idle
    past the session expiry (its next message would start a new session anyway), and
    keeps at most `max_conversations`, dropping the longest idle first. Saving a
    conversation without events (the HTTP API's "replace events" with none, which
    `python -m bot purge` sends) erases it.
    """

    def __init__(self, *args: Any, max_conversations: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stock = not guard.fixes_apply()
        self.store: OrderedDict[str, Any] = OrderedDict()  # longest idle first
        self._touched: dict[str, float] = {}
        self.max_conversations = int(max_conversations or config.max_conversations())
        minutes = self.domain.session_config.session_expiration_time if self.domain else 0
        self.idle_seconds = minutes * 60 if minutes else retention_seconds()

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.events:
            self.erase(tracker.sender_id)
            return
        if self.stock:
            await super().save(tracker)
        else:
            await self.stream_events(tracker)
            self.store[tracker.sender_id] = tracker.as_dialogue()
        self._touch(tracker.sender_id)

    def erase(self, sender_id: str) -> bool:
        """Forget the conversation; true if it was here."""
        caches.forget(sender_id)
        self._touched.pop(sender_id, None)
        return self.store.pop(sender_id, None) is not None

    def _touch(self, sender_id: str) -> None:
        now = time.monotonic()
        self.store.move_to_end(sender_id)
        self._touched[sender_id] = now
        while self.store:
            oldest = next(iter(self.store))
            if len(self.store) <= self.max_conversations and now - self._touched.get(oldest, now) <= self.idle_seconds:
                break
            self.erase(oldest)

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's `_retrieve`: the whole conversation, or the tracker of its last session only."""
        touched = self._touched.get(sender_id)
        if touched is not None and time.monotonic() - touched > self.idle_seconds:
            self.erase(sender_id)
        if self.stock:
            return await super()._retrieve(sender_id, fetch_all_sessions)
        dialogue: Dialogue | None = self.store.get(sender_id)
        if dialogue is None:
            logger.debug("No tracker stored for this conversation.")
            return None
        return tracker_from_events(self, sender_id, list(dialogue.events), fetch_all_sessions)


def event_keys(tracker_prefix: str, sender_id: str) -> tuple[str, str]:
    """A conversation's event list and generation token, under the store's key prefix (`<prefix>:tracker:`)."""
    return tracker_prefix + "events:" + sender_id, tracker_prefix + "generation:" + sender_id


def redis_keys(prefix: str, sender_id: str) -> list[str]:
    """Every key the Redis stores keep for a conversation under ALLIANCE_REDIS_PREFIX `prefix`.

    Its events and generation (this store), its JSON (Rasa's own store, as the stock
    switch writes it), and its lock (bot/stores/lock_store.py).
    """
    from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX
    from rasa.core.tracker_store import DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX

    tracker_prefix = f"{prefix}:{DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX}"
    return [
        *event_keys(tracker_prefix, sender_id),
        tracker_prefix + sender_id,
        f"{prefix}:{DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX}{sender_id}",
    ]


def retention_seconds() -> int:
    """How long a stored conversation outlives its last message (`ALLIANCE_RETENTION_DAYS`)."""
    return int(config.retention_days() * 24 * 3600)


def tracker_from_events(
    store: TrackerStore, sender_id: str, events: list[Event], fetch_all_sessions: bool
) -> DialogueStateTracker:
    """What Rasa's stores build from a stored conversation, with one replay.

    The whole conversation, or only its last session: Rasa replays the whole, then
    cuts it into sessions and replays each; this cuts the events first.
    """
    if not fetch_all_sessions:
        kept = events[-store.max_event_history :] if store.max_event_history else events  # as a tracker keeps them
        sessions = split_events(kept, ActionExecuted, {"action_name": ACTION_SESSION_START_NAME})
        if len(sessions) > 1:
            empty = store.init_tracker(sender_id)
            return DialogueStateTracker.from_events(
                sender_id,
                sessions[-1],
                empty.slots.values(),
                sender_source=empty.sender_source,
                max_event_history=store.max_event_history,
            )
    tracker = store.init_tracker(sender_id)
    tracker.recreate_from_dialogue(Dialogue(sender_id, events))  # copies the events into the new tracker
    return tracker


# Appends events to a conversation's list if it is still as the tracker was read from
# it (same generation, same length): one atomic round trip. KEYS: the list, the
# generation; ARGV: the generation and length read, seconds to expire (0: never), events.
APPEND = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[2]) then
  return 0
end
if #ARGV > 3 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 4))
end
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
"""
APPEND_AT_MOST = 1000  # new events in one append (Lua's argument limit is far above)


@dataclass
class _Parsed:
    """The events of a conversation one process has parsed, and the list they came from."""

    generation: str
    events: list[Event]


@dataclass(frozen=True)
class _Stored:
    """Set on a tracker read from Redis: where its events sit in the stored list."""

    generation: str
    stored: int  # events in the list when the tracker was read
    kept: int  # of which the tracker holds the last `kept` (its last session)


class RedisEventTrackerStore(RedisTrackerStore):
    """`RedisTrackerStore` with each conversation as a list of events; the same trackers.

    Keys, under the configured prefix: `tracker:events:<id>`, the list of events as
    JSON; `tracker:generation:<id>`, a token that changes whenever the list is
    written anew rather than appended to. A save appends when the tracker was read
    from this list and the list hasn't changed since (checked and appended in one
    Redis script); anything else (a new tracker, a tracker set through the HTTP API, a
    conversation changed in between) is merged as Rasa's store merges it and the list
    written anew.
    """

    # Conversations whose parsed events one process keeps.
    PARSED_CONVERSATIONS = 1000

    def __init__(self, domain: Domain | None = None, host: str | None = None, **kwargs: Any) -> None:
        """Rasa's arguments; `host` may be a `redis://` or `rediss://` URL, and conversations expire by default."""
        kwargs = connection_kwargs(host, kwargs)
        if kwargs.get("record_exp") in (None, ""):
            kwargs["record_exp"] = retention_seconds()
        kwargs["record_exp"] = float(kwargs["record_exp"]) or None
        super().__init__(domain, **kwargs)
        self._parsed: OrderedDict[str, _Parsed] = OrderedDict()
        self._append_script = self.red.register_script(APPEND)
        self.stock = not guard.fixes_apply()

    def erase(self, sender_id: str) -> bool:
        """Delete the conversation, as this store and Rasa's keep it; true if there was one."""
        caches.forget(sender_id)
        self._parsed.pop(sender_id, None)
        return bool(self.red.delete(*self._keys(sender_id), self.key_prefix + sender_id))

    def _keys(self, sender_id: str) -> tuple[str, str]:
        return event_keys(self.key_prefix, sender_id)

    async def keys(self) -> Iterable[str]:
        if self.stock:
            return await super().keys()
        start = len(self.key_prefix + "events:")
        return [key[start:] for key in self.red.scan_iter(self.key_prefix + "events:*")]

    def _events(self, sender_id: str) -> tuple[str, list[Event]] | None:
        """The stored events, parsing only those this process hasn't parsed before."""
        events_key, generation_key = self._keys(sender_id)
        known = self._parsed.pop(sender_id, None)
        start = len(known.events) if known else 0
        with self.red.pipeline(transaction=True) as pipe:
            generation, raw = pipe.get(generation_key).lrange(events_key, start, -1).execute()
        if generation is None:
            return None
        if known is None or known.generation != generation:
            if start:
                with self.red.pipeline(transaction=True) as pipe:
                    generation, raw = pipe.get(generation_key).lrange(events_key, 0, -1).execute()
                if generation is None:
                    return None
            known = _Parsed(generation, [])
        events = known.events + deserialise_events([json.loads(item) for item in raw])
        self._remember(sender_id, _Parsed(generation, events))
        return generation, events

    def _remember(self, sender_id: str, parsed: _Parsed) -> None:
        self._parsed[sender_id] = parsed
        self._parsed.move_to_end(sender_id)
        while len(self._parsed) > self.PARSED_CONVERSATIONS:
            self._parsed.popitem(last=False)

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        if self.stock:
            return await super()._retrieve(sender_id, fetch_all_sessions)
        stored = self._events(sender_id)
        if stored is None:
            logger.debug("No tracker stored for this conversation.")
            return None
        generation, events = stored
        tracker = tracker_from_events(self, sender_id, events, fetch_all_sessions)
        if tracker._max_event_history is None:
            tracker.__dict__["_alliance_stored"] = _Stored(generation, len(events), len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        if not tracker.events:
            self.erase(tracker.sender_id)
            return
        if self.stock:
            return await super().save(tracker, timeout)
        await self.stream_events(tracker)
        timeout = timeout or self.record_exp
        if not self._append(tracker, timeout):
            self._rewrite(tracker, timeout)

    def _append(self, tracker: DialogueStateTracker, timeout: float | None) -> bool:
        """Append the tracker's new events if the list is still as the tracker was read from it."""
        read: _Stored | None = tracker.__dict__.get("_alliance_stored")
        events = list(tracker.events)
        if read is None or tracker._max_event_history is not None or len(events) < read.kept:
            return False
        new = events[read.kept :]
        if len(new) > APPEND_AT_MOST:
            return False
        appended = self._append_script(
            keys=self._keys(tracker.sender_id),
            args=[read.generation, read.stored, int(timeout or 0), *(json.dumps(event.as_dict()) for event in new)],
        )
        if not appended:
            return False
        known = self._parsed.get(tracker.sender_id)
        if known is not None and known.generation == read.generation and len(known.events) == read.stored:
            self._remember(tracker.sender_id, _Parsed(read.generation, known.events + new))
        tracker.__dict__["_alliance_stored"] = _Stored(read.generation, read.stored + len(new), len(events))
        return True

    def _rewrite(self, tracker: DialogueStateTracker, timeout: float | None) -> None:
        """Rasa's save: the stored conversation merged with the tracker, written anew."""
        stored = self._events(tracker.sender_id)
        if stored is not None:
            prior = tracker_from_events(self, tracker.sender_id, stored[1], fetch_all_sessions=True)
            tracker = self._merge_trackers(prior, tracker)
        events = list(tracker.events)
        generation = uuid.uuid4().hex
        events_key, generation_key = self._keys(tracker.sender_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(events_key)
            if events:
                pipe.rpush(events_key, *(json.dumps(event.as_dict()) for event in events))
            pipe.set(generation_key, generation)
            if timeout:
                pipe.expire(events_key, int(timeout)).expire(generation_key, int(timeout))
            pipe.execute()
        self._remember(tracker.sender_id, _Parsed(generation, events))
