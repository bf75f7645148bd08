"""The in-memory event store gives the trackers Rasa's own in-memory store gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import config
from bot.tracker_store import InMemoryEventTrackerStore, RedisEventTrackerStore
from tests import servers

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))


def conversation(sender: str, sessions: int = 1) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for n in range(sessions):
        tracker.update(ActionExecuted("action_session_start", timestamp=100.0 * n + 1))
        tracker.update(SessionStarted(timestamp=100.0 * n + 2))
        tracker.update(ActionExecuted("action_listen", timestamp=100.0 * n + 3))
        intent = {"name": "faq_texting", "confidence": 0.9}
        tracker.update(UserUttered("can i text my therapist", intent, timestamp=100.0 * n + 4))
        tracker.update(ActionExecuted("action_answer_faq", timestamp=100.0 * n + 5))
        tracker.update(BotUttered("an answer", timestamp=100.0 * n + 6))
        tracker.update(SlotSet("more_topic", "faq_texting", timestamp=100.0 * n + 7))
        tracker.update(ActionExecuted("action_listen", timestamp=100.0 * n + 8))
    return tracker


def state(tracker: DialogueStateTracker | None) -> dict:
    assert tracker is not None
    return tracker.current_state(EventVerbosity.ALL)


async def test_trackers_come_back_as_rasas_store_gives_them() -> None:
    ours, theirs = InMemoryEventTrackerStore(DOMAIN), InMemoryTrackerStore(DOMAIN)
    for sessions in (0, 1, 3):
        tracker = conversation(f"user-{sessions}", sessions)
        tracker.update(ActionExecuted("action_listen", timestamp=1000.0))  # events after the last session start
        await ours.save(tracker)
        await theirs.save(tracker)
        assert state(await ours.retrieve(tracker.sender_id)) == state(await theirs.retrieve(tracker.sender_id))
        full = await ours.retrieve_full_tracker(tracker.sender_id)
        assert state(full) == state(await theirs.retrieve_full_tracker(tracker.sender_id)) == state(tracker)
    assert (await ours.retrieve("user-3")).get_slot("more_topic") == "faq_texting"
    assert len((await ours.retrieve("user-3")).events) < len(conversation("x", 3).events)  # the last session only
    assert sorted(await ours.keys()) == ["user-0", "user-1", "user-3"]
    assert await ours.retrieve("nobody") is None


async def test_what_happens_after_a_read_stays_out_until_saved() -> None:
    store = InMemoryEventTrackerStore(DOMAIN)
    await store.save(conversation("user"))
    live = await store.retrieve("user")
    live.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0}))
    assert len((await store.retrieve("user")).events) == len(live.events) - 1
    await store.save(live)
    assert (await store.retrieve("user")).latest_message.text == "thanks"


async def test_a_bounded_history_cuts_sessions_as_rasas_store_does() -> None:
    """As `rasa run --max-event-history` sets it, through `get_or_create_tracker`."""
    tracker = conversation("bounded", 2)
    for bound in (2, 3, 9, 12, 20):  # within the last session, across its start, beyond the conversation
        ours, theirs = InMemoryEventTrackerStore(DOMAIN), InMemoryTrackerStore(DOMAIN)
        await ours.save(tracker)
        await theirs.save(tracker)
        mine = await ours.get_or_create_tracker("bounded", max_event_history=bound)
        assert state(mine) == state(await theirs.get_or_create_tracker("bounded", max_event_history=bound)), bound
        assert len(mine.events) == min(bound, 8)


# --- Redis: the same trackers as Rasa's RedisTrackerStore, by real Redis ----------------------------


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
    now = state(tracker)
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
