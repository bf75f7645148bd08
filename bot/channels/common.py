"""What more than one channel needs: conversation ids qualified by channel, and the record of deliveries."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from redis.exceptions import RedisError

from bot import config

logger = logging.getLogger(__name__)

SEPARATOR = ":"


def conversation_id(channel: str, sender_id: object) -> str:
    """The channel's name before the platform's id (`telegram:12345`, `rest:abc`).

    Without it, a REST caller naming sender "12345" would write into, and read the
    state of, Telegram chat 12345: ids from different platforms are unrelated.
    """
    return f"{channel}{SEPARATOR}{sender_id}"


def platform_id(conversation: str, channel: str) -> str:
    """The platform's own id back from a conversation id (ids without the prefix pass unchanged)."""
    prefix = channel + SEPARATOR
    return conversation[len(prefix) :] if conversation.startswith(prefix) else conversation


class PlatformOutput(OutputChannel):
    """An output channel that sends to the platform's own id, however Rasa names the conversation."""

    def __init__(self, inner: OutputChannel, channel: str) -> None:
        self.inner = inner
        self.channel = channel

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.inner.send_response(platform_id(recipient_id, self.channel), message)

    def __getattr__(self, attribute: str) -> Any:  # e.g. a collector's `messages`
        return getattr(self.inner, attribute)


def qualified(on_new_message: Callable[[UserMessage], Awaitable[Any]], channel: str) -> Callable[..., Awaitable[Any]]:
    """`on_new_message` for a channel's blueprint, giving Rasa channel-qualified conversation ids."""

    async def handler(message: UserMessage) -> Any:
        message.sender_id = conversation_id(channel, message.sender_id)
        message.output_channel = PlatformOutput(message.output_channel, channel)
        return await on_new_message(message)

    return handler


SHARED_SECONDS = 24 * 3600  # how long a shared delivery id is kept: retries come within minutes


def delivered_key(prefix: str, namespace: str, conversation: str, event_id: object) -> str:
    """Where Redis records one delivery: `<prefix>:delivered:<namespace>:<conversation>|<event id>`."""
    return f"{prefix}:delivered:{namespace}:{conversation}|{event_id}"


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

    async def seen(self, event_id: Hashable | None, conversation: str = "") -> bool:
        """Record the id; true if it was already there. Events without an id are never duplicates.

        In Redis the key names the conversation, so `python -m bot purge` can erase it.
        """
        if event_id is None:
            return False
        if self.shared is not None:
            try:
                return not await self._redis().set(self.key(event_id, conversation), b"1", nx=True, ex=SHARED_SECONDS)
            except (RedisError, OSError):
                logger.warning("Redis unreachable: repeated deliveries are told apart in this process only")
        remembered = (conversation, event_id)
        if remembered in self._ids:
            return True
        self._ids[remembered] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False

    def key(self, event_id: Hashable, conversation: str = "") -> str:
        assert self.shared is not None
        return delivered_key(self.shared.prefix, self.namespace, conversation, event_id)

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio

            assert self.shared is not None
            self._client = redis.asyncio.Redis.from_url(self.shared.url, socket_timeout=2, socket_connect_timeout=1)
        return self._client
