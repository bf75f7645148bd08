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
        self.sent = 0  # replies sent through it

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(platform_id(recipient_id, self.channel), message)

    def _forward(name: str) -> Callable[..., Awaitable[Any]]:  # type: ignore[misc]
        async def send(self: PlatformOutput, recipient_id: str, *args: Any, **kwargs: Any) -> Any:
            self.sent += 1
            return await getattr(self.inner, name)(platform_id(recipient_id, self.channel), *args, **kwargs)

        send.__name__ = name
        return send

    send_text_message = _forward("send_text_message")
    send_image_url = _forward("send_image_url")
    send_attachment = _forward("send_attachment")
    send_text_with_buttons = _forward("send_text_with_buttons")
    send_quick_replies = _forward("send_quick_replies")
    send_elements = _forward("send_elements")
    send_custom_json = _forward("send_custom_json")
    del _forward

    def __getattr__(self, attribute: str) -> Any:  # e.g. a collector's `messages`
        return getattr(self.inner, attribute)


def unavailable_text() -> str:
    """What a person is told when their message can't be handled at all (a store down, say).

    The crisis check can't have run, so it names the numbers whatever the message said.
    """
    emergency = config.emergency()
    return (
        "Sorry, I can't answer right now: part of this service is down. Please try again in a few "
        f"minutes. If you are in danger or thinking about harming yourself, call {emergency.number_display} "
        f"now, or {emergency.line_sentence}."
    )


async def answered(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage, output: PlatformOutput, channel: str
) -> Any:
    """Rasa's handling of `message`; if it fails before any reply, the person is told so, with the numbers.

    Rasa's channels would otherwise answer nothing (REST: an empty list) and log the
    message's text with the error; here the log says which channel and what failed.
    """
    try:
        return await on_new_message(message)
    except Exception as exc:
        logger.error("%s: a message could not be handled (%s)", channel, type(exc).__name__)
        if output.sent:
            return None
        try:
            await output.send_response(message.sender_id, {"text": unavailable_text()})
        except Exception as failed:  # the platform itself unreachable: nothing more to do
            logger.error("%s: nor could the person be told (%s)", channel, type(failed).__name__)
        return None


def qualified(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    channel: str,
    namespace: Callable[[UserMessage], str] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """`on_new_message` for a channel's blueprint: channel-qualified conversation ids, and a reply even on failure.

    `namespace` picks the prefix per message (the channel's name unless given).
    """

    async def handler(message: UserMessage) -> Any:
        prefix = namespace(message) if namespace else channel
        message.sender_id = conversation_id(prefix, message.sender_id)
        output = PlatformOutput(message.output_channel, prefix)
        message.output_channel = output
        return await answered(on_new_message, message, output, channel)

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
