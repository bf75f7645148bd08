"""Bounded memory and retention: conversations are forgotten, expire, and can be erased."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import config
from bot.channels.common import delivered_key
from bot.safety import escalations
from bot.stores.tracker_store import InMemoryEventTrackerStore, RedisEventTrackerStore
from bot.tools import purge
from tests import servers
from tests.integration.stores.test_tracker_store import message, turn

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))


@pytest.fixture
def prefix() -> Iterator[str]:
    name = servers.private_prefix("retain")
    yield name
    servers.forget_conversations(name)


def memory_store(**kwargs: object) -> InMemoryEventTrackerStore:
    return InMemoryEventTrackerStore(DOMAIN, **kwargs)


async def test_memory_keeps_at_most_the_cap_dropping_the_longest_idle() -> None:
    store = memory_store(max_conversations=3)
    for n in range(5):
        await message(store, f"rest:{n}", turn(n))
    assert list(await store.keys()) == ["rest:2", "rest:3", "rest:4"]
    await message(store, "rest:2", turn(9))  # now the most recent
    await message(store, "rest:5", turn(10))
    assert list(await store.keys()) == ["rest:4", "rest:2", "rest:5"]


async def test_memory_forgets_a_conversation_idle_past_the_session_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    store = memory_store()
    assert store.idle_seconds == DOMAIN.session_config.session_expiration_time * 60
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    await message(store, "rest:old", turn(1))
    clock[0] += store.idle_seconds + 1
    assert await store.retrieve("rest:old") is None  # read after its expiry: gone
    await message(store, "rest:a", turn(2))
    await message(store, "rest:b", turn(3))
    clock[0] += store.idle_seconds + 1
    await message(store, "rest:c", turn(4))  # a save sweeps out the idle ones
    assert list(await store.keys()) == ["rest:c"]


async def test_the_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MAX_CONVERSATIONS", "2")
    store = memory_store()
    for n in range(4):
        await message(store, f"rest:{n}", turn(n))
    assert len(list(await store.keys())) == 2


async def test_saving_a_conversation_without_events_erases_it_in_memory() -> None:
    store = memory_store()
    await message(store, "telegram:1", turn(1))
    await store.save(DialogueStateTracker.from_events("telegram:1", []))
    assert await store.retrieve("telegram:1") is None and list(await store.keys()) == []


async def test_redis_conversations_expire_after_the_retention_period(prefix: str, monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_RETENTION_DAYS", "2")
    store = RedisEventTrackerStore(DOMAIN, host=servers.REDIS_URL, key_prefix=prefix)
    assert store.record_exp == 2 * 24 * 3600
    await message(store, "rest:r", turn(1))
    await message(store, "rest:r", turn(2))  # appended: the expiry is renewed, not lost
    client = redis.Redis.from_url(servers.REDIS_URL)
    for key in (f"{prefix}:tracker:events:rest:r", f"{prefix}:tracker:generation:rest:r"):
        assert 2 * 24 * 3600 - 60 < client.ttl(key) <= 2 * 24 * 3600


async def test_redis_by_url_with_an_explicit_expiry_and_erasure(prefix: str) -> None:
    store = RedisEventTrackerStore(DOMAIN, host="redis://localhost:6379/0", key_prefix=prefix, record_exp=60)
    await message(store, "slack:U1", turn(1))
    assert 0 < redis.Redis.from_url(servers.REDIS_URL).ttl(f"{prefix}:tracker:events:slack:U1") <= 60
    await store.save(DialogueStateTracker.from_events("slack:U1", []))
    other_process = RedisEventTrackerStore(DOMAIN, host=servers.REDIS_URL, key_prefix=prefix)
    assert await other_process.retrieve("slack:U1") is None
    assert not list(redis.Redis.from_url(servers.REDIS_URL).scan_iter(f"{prefix}:*"))


def test_a_lock_left_behind_expires(prefix: str) -> None:
    kind = "bot.stores.lock_store.AtomicRedisLockStore"
    endpoint = EndpointConfig(url=servers.REDIS_URL, type=kind, key_prefix=prefix)
    store = LockStore.create(endpoint)
    store.issue_ticket("rest:crashed", lock_lifetime=60)  # a process that dies holding it never cleans up
    ttl = redis.Redis.from_url(servers.REDIS_URL).ttl(f"{prefix}:lock:rest:crashed")
    assert 60 < ttl <= 120


async def test_purge_erases_a_conversation_everywhere(prefix: str, tmp_path) -> None:
    store = RedisEventTrackerStore(DOMAIN, host=servers.REDIS_URL, key_prefix=prefix)
    await message(store, "telegram:42", turn(1))
    await message(store, "telegram:43", turn(2))
    client = redis.Redis.from_url(servers.REDIS_URL)
    client.set(delivered_key(prefix, "telegram", "telegram:42", 7), b"1")
    client.set(delivered_key(prefix, "telegram", "telegram:43", 8), b"1")
    db = tmp_path / "escalations.db"
    escalations.record("telegram:42", "telegram", "rules", "imminent", db)
    escalations.record("telegram:43", "telegram", "rules", "imminent", db)

    erased = purge.purge("telegram:42", server=None, redis_url=servers.REDIS_URL, prefix=prefix, escalations_db=db)

    assert (erased.redis_keys, erased.escalations) == (3, 1)  # events, generation, delivery; one row
    assert await store.retrieve("telegram:42") is None
    assert await store.retrieve("telegram:43") is not None  # the other person's stays
    assert [r["conversation_id"] for r in escalations.rows(db)] == ["telegram:43"]
    assert client.exists(delivered_key(prefix, "telegram", "telegram:43", 8))
    assert not client.exists(delivered_key(prefix, "telegram", "telegram:42", 7))


def test_escalation_rows_expire(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "escalations.db"
    escalations.record("rest:old", "rest", "rules", "imminent", db)
    import sqlite_utils

    sqlite_utils.Database(db).execute("update escalations set at = '2020-01-01T00:00:00+00:00'").connection.commit()
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DAYS", "30")
    escalations.record("rest:new", "rest", "rules", "imminent", db)
    assert [r["conversation_id"] for r in escalations.rows(db)] == ["rest:new"]
    assert oct(db.stat().st_mode & 0o777) == "0o600"


@pytest.fixture(scope="module")
def redis_with_password() -> Iterator[str]:
    """A private Redis that wants a password, as a managed Redis does."""
    import subprocess

    port = servers.free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--requirepass", "s3cret pass"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:s3cret%20pass@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


async def test_a_redis_with_a_password_is_reached_by_url(redis_with_password: str) -> None:
    store = RedisEventTrackerStore(DOMAIN, host=redis_with_password, key_prefix="pw")
    await message(store, "rest:pw", turn(1))
    assert [e.text for e in (await store.retrieve("rest:pw")).events if e.type_name == "user"] == ["message 1"]
    locks = LockStore.create(
        EndpointConfig(url=redis_with_password, type="bot.stores.lock_store.AtomicRedisLockStore", key_prefix="pw")
    )
    assert locks.issue_ticket("rest:pw") == 0
    without = redis_with_password.replace(":s3cret%20pass@", "")
    with pytest.raises(redis.AuthenticationError):
        await message(RedisEventTrackerStore(DOMAIN, host=without, key_prefix="pw"), "rest:x", turn(1))
