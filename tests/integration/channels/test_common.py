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
    settings = config.SharedRedis(servers.REDIS_URL, servers.private_prefix("dedupe"))
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
    ttl = redis.Redis.from_url(shared.url).ttl(first.key("Ev1"))
    assert 0 < ttl <= 24 * 3600


async def test_a_delivery_is_recorded_under_its_conversation(shared: config.SharedRedis) -> None:
    recent = RecentIds(namespace="telegram", shared=shared)
    assert not await recent.seen(31, "telegram:55")
    assert await recent.seen(31, "telegram:55")
    assert not await recent.seen(31, "telegram:56")  # update ids are per chat here
    assert redis.Redis.from_url(shared.url).exists(f"{shared.prefix}:delivered:telegram:telegram:55|31")


async def test_without_redis_each_process_still_answers_once(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = config.SharedRedis(f"redis://127.0.0.1:{servers.free_port()}/0", "nobody")
    recent = RecentIds(shared=unreachable)
    with caplog.at_level(logging.WARNING):
        assert not await recent.seen(7) and await recent.seen(7)
    assert "Redis unreachable" in caplog.text


def test_several_workers_share_and_one_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    monkeypatch.delenv("ALLIANCE_REDIS_URL", raising=False)
    assert config.shared_redis() is None
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert config.shared_redis() is None
    monkeypatch.setenv("SANIC_WORKERS", "2")
    monkeypatch.setenv("ALLIANCE_REDIS_PREFIX", "site1")
    assert config.shared_redis() == config.SharedRedis("redis://localhost:6379/0", "site1")


def test_instances_sharing_a_redis_url_share_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several single-worker instances behind a balancer (docs/deploy.md) name their Redis by URL."""
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    monkeypatch.setenv("ALLIANCE_REDIS_URL", "rediss://:pw@redis.internal:6380/2")
    monkeypatch.delenv("ALLIANCE_REDIS_PREFIX", raising=False)
    assert config.shared_redis() == config.SharedRedis("rediss://:pw@redis.internal:6380/2", "alliance")
