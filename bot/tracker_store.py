"""An in-memory tracker store that keeps each conversation's events as objects.

Rasa's InMemoryTrackerStore turns every conversation into JSON text when it saves
it and parses it back for the next message: about 15% of the server's time per
message in a 25-turn conversation (docs/benchmarks.md). Events are never changed
once they are in a tracker (Rasa copies one before altering it), so this store keeps
the event objects and rebuilds the tracker by replaying them, as Rasa's store does
after parsing. For several server processes use Redis instead (endpoints.redis.yml).
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.conversation import Dialogue
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
