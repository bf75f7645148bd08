"""The Redis event store gives the trackers Rasa's own Redis store gives, on real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import config
from bot.stores.tracker_store import RedisEventTrackerStore
from tests import servers

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))


@pytest.fixture
def redis_pair() -> Iterator[tuple[type, type]]:
    """Store factories under private prefixes: ours (call it twice for two processes) and Rasa's."""
    prefixes = [servers.private_prefix("ours"), servers.private_prefix("rasas")]

    def ours(**kwargs: object) -> RedisEventTrackerStore:
        return RedisEventTrackerStore(DOMAIN, host="localhost", db=0, key_prefix=prefixes[0], **kwargs)

    def theirs(**kwargs: object) -> RedisTrackerStore:
        return RedisTrackerStore(DOMAIN, host="localhost", db=0, key_prefix=prefixes[1], **kwargs)

    yield ours, theirs
    for prefix in prefixes:
        servers.forget_conversations(prefix)


def turn(n: int, intent: str = "faq_texting") -> list:
    """One exchange, with timestamps after every earlier turn's."""
    t = 1000.0 + 10 * n
    return [
        UserUttered(f"message {n}", {"name": intent, "confidence": 0.9}, timestamp=t + 1),
        ActionExecuted("action_answer_faq", timestamp=t + 2),
        BotUttered(f"answer {n}", timestamp=t + 3),
        SlotSet("more_topic", intent, timestamp=t + 4),
        ActionExecuted("action_listen", timestamp=t + 5),
    ]


def new_session(n: int) -> list:
    t = 1000.0 + 10 * n
    return [ActionExecuted("action_session_start", timestamp=t + 6), SessionStarted(timestamp=t + 7),
            ActionExecuted("action_listen", timestamp=t + 8)]  # fmt: skip


async def message(store: TrackerStore, sender: str, events: list) -> None:
    """What message processing does with a store: read (or create), add events, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def scripted(tracker: DialogueStateTracker | None) -> dict:
    """A tracker's state, with the time of the event each store adds to a new conversation left out."""
    assert tracker is not None
    now = tracker.current_state(EventVerbosity.ALL)
    for event in now["events"]:
        if event["timestamp"] > 1e9:  # the store's own `action_listen`, stamped when it was created
            event["timestamp"] = None
    now["latest_event_time"] = now["events"][-1]["timestamp"] if now["events"] else None
    return now


async def same(ours: TrackerStore, theirs: TrackerStore, sender: str) -> None:
    assert scripted(await ours.retrieve(sender)) == scripted(await theirs.retrieve(sender))
    full = scripted(await ours.retrieve_full_tracker(sender))
    assert full == scripted(await theirs.retrieve_full_tracker(sender))


async def test_redis_conversations_come_back_as_rasas_redis_store_gives_them(redis_pair) -> None:
    make_ours, make_theirs = redis_pair
    first, second, theirs = make_ours(), make_ours(), make_theirs()  # two server processes, and Rasa's
    script = [*new_session(0), *turn(1), *turn(2), *new_session(3), *turn(4), *turn(5, "thank"), *turn(6)]
    steps = [script[i : i + 5] for i in range(0, len(script), 5)]
    generations = set()
    for n, events in enumerate(steps):
        await message(first if n % 2 else second, "alice", events)  # messages alternate between processes
        await message(theirs, "alice", events)
        await same(first, theirs, "alice")
        await same(second, theirs, "alice")
        generations.add(first.red.get(first._keys("alice")[1]))
    assert len(generations) == 1  # written once, then only appended to
    assert len((await first.retrieve_full_tracker("alice")).events) == len(script) + 1  # + the first action_listen
    assert sorted(await first.keys()) == ["alice"] and await first.retrieve("nobody") is None


async def test_redis_saves_that_cannot_append_merge_as_rasas_store_does(redis_pair) -> None:
    make_ours, make_theirs = redis_pair
    ours_a, ours_b, theirs_a, theirs_b = make_ours(), make_ours(), make_theirs(), make_theirs()
    for store in (ours_a, theirs_a):
        await message(store, "bob", [*new_session(0), *turn(1)])
    # Both processes read the conversation; one saves a turn; the other then saves its stale copy.
    for a, b in ((ours_a, ours_b), (theirs_a, theirs_b)):
        stale, fresh = await a.retrieve("bob"), await b.retrieve("bob")
        for event in turn(2):
            fresh.update(event)
        await b.save(fresh)
        for event in turn(3, "thank"):
            stale.update(event)
        await a.save(stale)
    await same(ours_a, theirs_a, "bob")
    await same(ours_b, theirs_a, "bob")
    rewritten = ours_a.red.get(ours_a._keys("bob")[1])
    # A tracker set from outside (never read from the store) is merged too.
    for store in (ours_a, theirs_a):
        outside = DialogueStateTracker.from_events("bob", [*new_session(9), *turn(10)], DOMAIN.slots)
        await store.save(outside)
    await same(ours_a, theirs_a, "bob")
    await same(ours_b, theirs_a, "bob")
    assert ours_a.red.get(ours_a._keys("bob")[1]) != rewritten  # merged and written anew
    # The conversation expires (its keys go), begins again through one process, is read through the other.
    for store in (ours_a, theirs_a):
        store.red.delete(*(store._keys("bob") if store is ours_a else [store.key_prefix + "bob"]))
        await message(store, "bob", [*new_session(20), *turn(21, "greet")])
    await same(ours_b, theirs_a, "bob")


async def test_redis_conversations_expire_as_configured(redis_pair) -> None:
    make_ours, _ = redis_pair
    store = make_ours(record_exp=600)
    await message(store, "carol", turn(1))
    await message(store, "carol", turn(2))  # an append renews the expiry too
    ttls = [store.red.ttl(key) for key in store._keys("carol")]
    assert all(0 < ttl <= 600 for ttl in ttls), ttls
