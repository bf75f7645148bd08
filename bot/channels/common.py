"""What more than one channel needs."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from redis.exceptions import RedisError

from bot import config

logger = logging.getLogger(__name__)

SHARED_SECONDS = 24 * 3600  # how long a shared delivery id is kept: retries come within minutes


class RecentIds:
    """The last ids a platform delivered, so a redelivered event (a retry) is answered once.

    One server process keeps them in memory. Several (`config.shared_redis`) keep them
    in Redis, where every process sees them, for a day; if Redis can't be reached, each
    process falls back to its own memory rather than refuse or drop a message.
    """

    def __init__(self, size: int = 1024, namespace: str = "ids", shared: config.SharedRedis | None = None) -> None:
        self.size = size
        self.namespace = namespace
        self.shared = shared
        self._ids: OrderedDict[Hashable, None] = OrderedDict()
        self._client: Any = None  # made on first use, in the process (and event loop) that uses it

    async def seen(self, event_id: Hashable | None) -> bool:
        """Record the id; true if it was already there. Events without an id are never duplicates."""
        if event_id is None:
            return False
        if self.shared is not None:
            try:
                return not await self._redis().set(self.key(event_id), b"1", nx=True, ex=SHARED_SECONDS)
            except (RedisError, OSError):
                logger.warning("Redis unreachable: repeated deliveries are told apart in this process only")
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False

    def key(self, event_id: Hashable) -> str:
        assert self.shared is not None
        return f"{self.shared.prefix}:delivered:{self.namespace}:{event_id}"

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio

            assert self.shared is not None
            self._client = redis.asyncio.Redis(
                host=self.shared.host,
                port=self.shared.port,
                db=self.shared.db,
                socket_timeout=2,
                socket_connect_timeout=1,
            )
        return self._client
