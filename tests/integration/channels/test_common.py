"""bot.channels.common: a redelivered event is answered once, by one process or by several."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import redis

from bot import config
from bot.channels.common import RecentIds
from tests import servers


@pytest.fixture
def shared() -> Iterator[config.SharedRedis]:
    """A private prefix on the machine's Redis, emptied afterwards."""
    settings = config.SharedRedis("localhost", servers.private_prefix("dedupe"))
    yield settings
    servers.forget_conversations(settings.prefix)


async def test_one_process_remembers_the_last_ids() -> None:
    recent = RecentIds(size=2)
    assert not await recent.seen("a") and await recent.seen("a")
    assert not await recent.seen(None) and not await recent.seen(None)  # no id: never a duplicate
    assert not await recent.seen("b") and not await recent.seen("c")
    assert not await recent.seen("a")  # pushed out by two newer ones


async def test_processes_sharing_redis_answer_a_retry_once(shared: config.SharedRedis) -> None:
    first, second = RecentIds(namespace="slack", shared=shared), RecentIds(namespace="slack", shared=shared)
    other_platform = RecentIds(namespace="telegram", shared=shared)
    assert not await first.seen("Ev1")
    assert await second.seen("Ev1")  # the retry reached the other process
    assert not await other_platform.seen("Ev1")
    assert not await second.seen(None)
    ttl = redis.Redis(host=shared.host, port=shared.port, db=shared.db).ttl(first.key("Ev1"))
    assert 0 < ttl <= 24 * 3600


async def test_without_redis_each_process_still_answers_once(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = config.SharedRedis("127.0.0.1", "nobody", port=servers.free_port())
    recent = RecentIds(shared=unreachable)
    with caplog.at_level(logging.WARNING):
        assert not await recent.seen(7) and await recent.seen(7)
    assert "Redis unreachable" in caplog.text


def test_several_workers_share_and_one_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert config.shared_redis() is None
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert config.shared_redis() is None
    monkeypatch.setenv("SANIC_WORKERS", "2")
    monkeypatch.setenv("ALLIANCE_REDIS_PREFIX", "site1")
    assert config.shared_redis() == config.SharedRedis("localhost", "site1", port=6379)
