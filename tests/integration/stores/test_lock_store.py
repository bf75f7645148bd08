"""bot.stores.lock_store: Rasa's ticket lock, each change one atomic step, on real Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig

from bot.stores.lock_store import AtomicRedisLockStore
from tests import servers


@pytest.fixture
def prefixes() -> Iterator[tuple[str, str]]:
    names = (servers.private_prefix("lockours"), servers.private_prefix("lockrasas"))
    yield names
    for name in names:
        servers.forget_conversations(name)


def numbers(store: RedisLockStore, conversation: str) -> list[int] | None:
    lock = store.get_lock(conversation)
    return None if lock is None else [ticket.number for ticket in lock.tickets]


def test_tickets_come_and_go_as_with_rasas_store(prefixes: tuple[str, str]) -> None:
    ours = AtomicRedisLockStore(host="localhost", key_prefix=prefixes[0])
    theirs = RedisLockStore(host="localhost", key_prefix=prefixes[1])
    steps = [
        ("issue", 60), ("issue", 60), ("issue", 60), ("cleanup", 0), ("issue", 0.05), ("sleep", 0.1),
        ("update", None), ("cleanup", 2), ("issue", 60), ("cleanup", 1), ("cleanup", 3), ("cleanup", 2),
        ("issue", 60),
    ]  # fmt: skip
    for step, value in steps:
        results = []
        for store in (ours, theirs):
            if step == "issue":
                results.append(store.issue_ticket("c", value))
            elif step == "cleanup":
                store.cleanup("c", value)
            elif step == "update":
                store.update_lock("c")
            results.append(numbers(store, "c"))
            results.append(store.get_lock("c").is_locked(value) if step == "issue" else None)
        if step == "sleep":
            time.sleep(value)
            continue
        assert results[: len(results) // 2] == results[len(results) // 2 :], (step, value, results)
    assert numbers(ours, "c") == [0]  # all done and gone, then a new first ticket
    lock = ours.get_lock("c")  # Rasa's own reading of what the script wrote
    assert lock.conversation_id == "c" and 55 < lock.tickets[0].expires - time.time() <= 60


def test_tickets_issued_at_once_by_many_processes_are_all_different(prefixes: tuple[str, str]) -> None:
    """Each thread has its own store and connection, as each server process would."""
    issued: list[int] = []
    start = threading.Barrier(8)

    def process() -> None:
        store = AtomicRedisLockStore(host="localhost", key_prefix=prefixes[0])
        start.wait()
        issued.extend(store.issue_ticket("busy", 60) for _ in range(40))

    threads = [threading.Thread(target=process) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(issued) == list(range(320))


async def test_one_message_of_a_conversation_at_a_time_in_order(prefixes: tuple[str, str]) -> None:
    stores = [AtomicRedisLockStore(host="localhost", key_prefix=prefixes[0]) for _ in range(2)]
    inside: list[int] = []
    order: list[int] = []

    async def message(n: int) -> None:
        async with stores[n % 2].lock("conversation", wait_time_in_seconds=0.005):
            inside.append(n)
            assert len(inside) == 1, inside  # nobody else holds the lock
            order.append(n)
            await asyncio.sleep(0.02)
            inside.remove(n)

    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(message(n)))
        await asyncio.sleep(0.002)  # tickets are issued in this order
    await asyncio.gather(*tasks)
    assert order == list(range(6)) and stores[0].get_lock("conversation") is None


def test_endpoints_yml_makes_it_and_allows_several_workers(prefixes: tuple[str, str], monkeypatch) -> None:
    endpoint = EndpointConfig(
        url="localhost", type="bot.stores.lock_store.AtomicRedisLockStore", port=6379, db=1, key_prefix=prefixes[0]
    )
    store = LockStore.create(endpoint)
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix.startswith(prefixes[0] + ":")
    assert store.issue_ticket("x") == 0
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(store) == 2


async def test_a_waiter_is_served_after_a_holder_that_died(prefixes: tuple[str, str]) -> None:
    """The holder's process dies mid-turn: its ticket expires, the live waiter's doesn't."""
    dead, alive = (AtomicRedisLockStore(host="localhost", key_prefix=prefixes[0]) for _ in range(2))
    dead.issue_ticket("rest:dies", lock_lifetime=1.0)  # issued, then the process is killed: never cleaned up

    async def next_message() -> list[int]:
        async with alive.lock("rest:dies", lock_lifetime=1.0, wait_time_in_seconds=0.3) as lock:
            return [t.number for t in lock.tickets]

    served = await asyncio.wait_for(next_message(), timeout=10)
    assert served == [1]  # the dead ticket is gone; the waiter's, renewed, is served
    assert alive.get_lock("rest:dies") is None


async def test_rasas_own_waiter_loses_its_place_behind_a_dead_holder(prefixes: tuple[str, str]) -> None:
    """Why: Rasa's waiter lets its own ticket expire with the dead one's, and is never served."""
    store = RedisLockStore(host="localhost", key_prefix=prefixes[1])
    store.issue_ticket("rest:dies", lock_lifetime=1.0)

    async def next_message() -> None:
        async with store.lock("rest:dies", lock_lifetime=1.0, wait_time_in_seconds=0.3):
            pass

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(next_message(), timeout=4)
