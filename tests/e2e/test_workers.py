"""Two Sanic workers share conversations and locks through Redis (endpoints.redis.yml)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest
import redis
import requests

from bot import config
from bot.content import answers
from tests import servers

pytestmark = pytest.mark.e2e
TICK = os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def redis_prefix():
    client = redis.Redis(host="localhost", port=6379)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not answering on localhost:6379 (the machine's service; see the README)")
    prefix = f"alliancetest{os.getpid()}"
    yield prefix
    servers.forget_conversations(prefix)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, redis_prefix: str):
    workdir = tmp_path_factory.mktemp("workers")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    pair = servers.start(workdir, db, endpoints="endpoints.redis.yml", env=servers.redis_workers_env(redis_prefix))
    yield pair
    pair.stop_all()


def worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each child process of the Rasa server (Sanic's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    cpu = {}
    for child in map(int, children):
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        cpu[child] = (int(fields[11]) + int(fields[12])) / TICK
    return cpu


async def converse(url: str, senders: list[str], turns: list[str]) -> None:
    # A connection per request: kept-alive connections would stay with whichever worker accepted them.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:

        async def talk(sender: str) -> None:
            for text in turns:
                async with session.post(url, json={"sender": sender, "message": text}) as r:
                    assert r.status == 200 and await r.json(), text

        await asyncio.gather(*(talk(s) for s in senders))


def test_both_workers_answer_and_share_every_conversation(workers: servers.Servers, redis_prefix: str) -> None:
    before = worker_cpu(workers.procs["rasa"].pid)
    assert len(before) == 2, "SANIC_WORKERS=2 with a Redis lock store runs two worker processes"
    turns = ["hello", "can i text my therapist", "tell me more", "what are boundaries", "thanks", "goodbye"] * 3
    senders = [f"workers-{n}" for n in range(8)]
    asyncio.run(converse(f"{workers.rasa_url}/webhooks/rest/webhook", senders, turns))

    after = worker_cpu(workers.procs["rasa"].pid)
    assert all(after[pid] - before[pid] > 0.1 for pid in before), (before, after)  # an idle worker stays near 0
    for sender in senders:
        r = requests.get(
            f"{workers.rasa_url}/conversations/rest:{sender}/tracker", params={"token": workers.token}, timeout=30
        )
        said = [e["text"] for e in r.json()["events"] if e["event"] == "user"]
        assert said == turns, sender  # whichever worker answered, the conversation is whole and in order
    keys = {k.decode() for k in redis.Redis(host="localhost", port=6379, db=0).keys(f"{redis_prefix}:*")}
    # this run's prefix, the event-list store, REST's own conversation ids
    assert {f"{redis_prefix}:tracker:events:rest:{s}" for s in senders} <= keys


def test_the_crisis_reply_under_two_workers(workers: servers.Servers) -> None:
    reply = workers.send("i want to kill myself", "workers-crisis")
    assert "9-1-1" in reply[0]["text"]
