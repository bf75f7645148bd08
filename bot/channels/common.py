"""What more than one channel needs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class RecentIds:
    """The last ids a platform delivered, so a redelivered event (a retry) is answered once."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._ids: OrderedDict[Hashable, None] = OrderedDict()

    def seen(self, event_id: Hashable | None) -> bool:
        """Record the id; true if it was already there. Events without an id are never duplicates."""
        if event_id is None:
            return False
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False
