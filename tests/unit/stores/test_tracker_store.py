"""The in-memory event store gives the trackers Rasa's own in-memory store gives."""

from __future__ import annotations

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import config
from bot.stores.tracker_store import InMemoryEventTrackerStore

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
