"""An in-memory tracker store that keeps each conversation's events as objects.

Rasa's InMemoryTrackerStore turns every conversation into JSON text when it saves
it and parses it back for the next message: about 15% of the server's time per
message in a 25-turn conversation (docs/benchmarks.md). Events are never changed
once they are in a tracker (Rasa copies one before altering it), so this store keeps
the event objects and rebuilds the tracker by replaying them, as Rasa's store does
after parsing. For several server processes use Redis instead (endpoints.redis.yml).

Rasa's store then replays the conversation a second time to cut it into sessions and
keep the last one; this store cuts the stored events first and replays once.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, split_events
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


class InMemoryEventTrackerStore(InMemoryTrackerStore):
    """`InMemoryTrackerStore` without the JSON round trip; same sessions, same trackers."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = tracker.as_dialogue()  # type: ignore[assignment]

    def deserialise_tracker(self, sender_id: str, serialised_tracker: Dialogue) -> DialogueStateTracker | None:  # type: ignore[override]
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(serialised_tracker)  # copies the events into the new tracker
        return tracker

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's `_retrieve`: the whole conversation, or the tracker of its last session only."""
        dialogue: Dialogue | None = self.store.get(sender_id)  # type: ignore[assignment]
        if dialogue is None:
            logger.debug("No tracker stored for this conversation.")
            return None
        if fetch_all_sessions:
            return self.deserialise_tracker(sender_id, dialogue)
        events = list(dialogue.events)
        if self.max_event_history:  # what a tracker keeps of them, as Rasa cuts the kept ones
            events = events[-self.max_event_history :]
        sessions = split_events(events, ActionExecuted, {"action_name": ACTION_SESSION_START_NAME})
        if len(sessions) <= 1:
            return self.deserialise_tracker(sender_id, dialogue)
        empty = self.init_tracker(sender_id)
        return DialogueStateTracker.from_events(
            sender_id,
            sessions[-1],
            empty.slots.values(),
            sender_source=empty.sender_source,
            max_event_history=self.max_event_history,
        )
