"""Several Rasa server instances behind nginx, sharing Redis: what a site with several hosts runs.

Three instances (each a Rasa server and its action server on endpoints.redis.yml,
one worker, standing in for three hosts) behind Debian's nginx, round-robin, no
stickiness (tests/balancer.py; deploy/nginx.conf and docs/deploy.md for a site).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp
import pytest
import redis

from bot import config
from bot.content import answers
from tests import balancer, servers

pytestmark = pytest.mark.e2e

INSTANCES = 3
# How long a conversation's lock outlives a turn that never finishes (Rasa's
# TICKET_LOCK_LIFETIME, 60 s by default): the next message of a conversation whose
# turn died with its instance waits that long. Shorter here to keep the test short.
LOCK_SECONDS = 10

# Ordinary questions, all different, so each user event in a tracker names its message.
QUESTIONS = [
    "can I text my therapist?", "is it ok to ask my counselor about her kids", "what are therapeutic boundaries",
    "i think i have a crush on my therapist", "tell me more", "is what i say in therapy private",
    "why does my therapist challenge me", "what is transference", "can my therapist be my friend",
    "what if i don't like my therapist", "can i talk about religion in therapy", "is it weird to google my therapist",
    "how do i stop seeing my psychologist", "what is a rupture in therapy", "how do i know my therapist is a good fit",
    "thanks",
]  # fmt: skip


@pytest.fixture(scope="module")
def redis_prefix():
    client = redis.Redis.from_url(servers.REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {servers.REDIS_URL} (the machine's service; see the README)")
    prefix = servers.private_prefix("balancer")
    yield prefix
    servers.forget_conversations(prefix)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_prefix: str):
    if not balancer.NGINX.exists():
        pytest.fail(f"{balancer.NGINX} is missing: `make test` installs Debian's nginx (apt-get install nginx)")
    workdir = tmp_path_factory.mktemp("balancer")
    running = balancer.start_cluster(INSTANCES, workdir, redis_prefix, env={"TICKET_LOCK_LIFETIME": str(LOCK_SECONDS)})
    yield running
    running.stop()


def test_the_site_config_is_valid_and_matches_the_server(tmp_path) -> None:
    """deploy/nginx.conf passes `nginx -t`, and refuses the bodies the instances refuse."""
    if not balancer.NGINX.exists():
        pytest.fail(f"{balancer.NGINX} is missing: `make test` installs Debian's nginx (apt-get install nginx)")
    site = config.ROOT / "deploy" / "nginx.conf"
    checked = balancer.check_site(site, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    limit = re.search(r"^\s*client_max_body_size (\d+)k;", site.read_text(), re.M)
    assert limit and int(limit.group(1)) * 1024 == config.max_body_bytes()


def turns(tracker: dict) -> list[tuple[str, bool]]:
    """Each user message in the tracker, in order, and whether the bot said something before the next one."""
    found: list[tuple[str, bool]] = []
    for event in tracker["events"]:
        if event["event"] == "user":
            found.append((event["text"], False))
        elif event["event"] == "bot" and found:
            found[-1] = (found[-1][0], True)
    return found


def texts(replies: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


def test_a_conversation_alternating_between_instances_keeps_order_and_history(cluster: balancer.Cluster) -> None:
    store = answers.AnswerStore(cluster.answers_db)
    sender = "balancer-alternating"
    sent = [
        "hello", "can I text my therapist?", "tell me more", "/faq_boundaries", "tell me more",
        "what is transference", "tell me more", "thank you so much", "is what i say in therapy private",
    ]  # fmt: skip
    served, replies = [], []
    for text in sent:
        reply, upstream = cluster.send(text, sender)
        assert reply, text
        replies.append(texts(reply))
        served.append(upstream)

    # Round-robin, one message at a time: each message went to another instance than the one before.
    assert set(served) == {cluster.address(i) for i in cluster.instances}, served
    assert all(a != b for a, b in itertools.pairwise(served)), served
    # "tell me more" is answered from the topic an earlier message, on another instance, left in Redis.
    assert store.get("faq_texting").more in replies[2]
    assert store.get("faq_boundaries").more in replies[4]
    assert store.get("faq_transference").more in replies[6]

    said = turns(cluster.tracker(f"rest:{sender}"))
    assert [text for text, _ in said] == sent  # every message once, in the order sent
    assert all(answered for _, answered in said), said


def bot_uttered(packet: str) -> list[str]:
    """The text of a Socket.IO `bot_uttered` event packet (`42["bot_uttered", {...}]`), if it is one."""
    if not packet.startswith("42"):
        return []
    name, *data = json.loads(packet[2:])
    return [data[0].get("text", "")] if name == "bot_uttered" and data and isinstance(data[0], dict) else []


async def widget_over_polling(url: str, session_id: str, message: str, expected: str) -> set[str]:
    """The widget's first transport, Engine.IO long-polling, by hand, until a reply says `expected`.

    Returns which instances answered the session's requests.
    """
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    served: set[str] = set()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def call(method: str, query: str, body: str | None = None) -> list[str]:
            async with http.request(method, base + query, data=body) as r:
                assert r.status == 200, (method, body, r.status, await r.text())
                served.add(r.headers.get(balancer.UPSTREAM_HEADER, ""))
                return (await r.text()).split("\x1e")  # Engine.IO 4 separates packets so

        opened = (await call("GET", ""))[0]
        assert opened.startswith("0"), opened
        sid = "&sid=" + json.loads(opened[1:])["sid"]
        await call("POST", sid, "40")  # Socket.IO: join the default namespace
        events = [
            ["session_request", {"session_id": session_id}],
            ["user_uttered", {"message": message, "session_id": session_id}],
        ]
        await call("POST", sid, "\x1e".join("42" + json.dumps(event) for event in events))
        said = []
        for _ in range(20):  # long polls until the answer comes (after the greeting of a new session)
            said += [text for packet in await call("GET", sid) for text in bot_uttered(packet)]
            if any(expected in text for text in said):
                return served
        raise AssertionError(f"no such reply over long-polling: {said}")


async def widget_over_websocket(url: str, session_id: str, message: str, expected: str) -> None:
    """The widget's WebSocket transport through nginx's Upgrade, until a reply says `expected`."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(ws_url) as ws:
            assert (await ws.receive_str()).startswith("0")  # Engine.IO open
            await ws.send_str("40")
            assert (await ws.receive_str()).startswith("40")
            await ws.send_str("42" + json.dumps(["session_request", {"session_id": session_id}]))
            await ws.send_str("42" + json.dumps(["user_uttered", {"message": message, "session_id": session_id}]))
            while True:
                packet = await asyncio.wait_for(ws.receive_str(), 20)
                if any(expected in text for text in bot_uttered(packet)):
                    return


def test_the_widget_socketio_through_nginx(cluster: balancer.Cluster) -> None:
    """Long-polling sticks to one instance (a session lives in one process); WebSocket passes the Upgrade."""
    store = answers.AnswerStore(cluster.answers_db)
    texting = store.get("faq_texting").short
    served = asyncio.run(widget_over_polling(cluster.url, "balancer-polling", "can I text my therapist?", texting))
    assert len(served) == 1, served  # every poll of the session reached the instance that opened it
    asyncio.run(widget_over_websocket(cluster.url, "balancer-ws", "can I text my therapist?", texting))


@dataclass
class Message:
    conversation: int
    text: str
    started: float
    ended: float = 0.0
    status: int | None = None  # None: no HTTP answer at all
    replies: int = 0
    upstream: str = ""  # nginx's $upstream_addr: each instance tried, the one that answered last

    @property
    def answered(self) -> bool:
        return self.status == 200 and self.replies > 0

    @property
    def answered_by(self) -> str:
        return self.upstream.split(", ")[-1]


async def load_and_kill(
    cluster: balancer.Cluster, victim: servers.Servers, conversations: int, kill_after: int
) -> tuple[list[list[Message]], float]:
    """`conversations` conversations through nginx, one message at a time each; `victim`'s Rasa server
    is SIGKILLed once `kill_after` replies have come. Each conversation's messages, and when the signal was sent.
    """
    url = f"{cluster.url}/webhooks/rest/webhook"
    sent: list[list[Message]] = [[] for _ in range(conversations)]
    replies_seen = 0
    time_to_kill = asyncio.Event()
    killed_at = 0.0

    async def talk(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal replies_seen
        for i in range(len(QUESTIONS)):
            message = Message(n, QUESTIONS[(n + i) % len(QUESTIONS)], time.monotonic())
            sent[n].append(message)
            try:
                async with session.post(url, json={"sender": f"killed-{n}", "message": message.text}) as r:
                    message.status, message.upstream = r.status, r.headers.get(balancer.UPSTREAM_HEADER, "")
                    if r.status == 200:
                        message.replies = len(await r.json())
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass  # unanswered; a person would see an error and could send it again
            message.ended = time.monotonic()
            replies_seen += 1
            if replies_seen >= kill_after:
                time_to_kill.set()

    async def kill() -> None:
        nonlocal killed_at
        await time_to_kill.wait()
        rasa = victim.procs["rasa"]
        killed_at = time.monotonic()
        rasa.kill()  # SIGKILL: no goodbye, as when a host loses power
        await asyncio.get_running_loop().run_in_executor(None, rasa.wait)

    timeout = aiohttp.ClientTimeout(total=LOCK_SECONDS + 120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(kill(), *(talk(session, n) for n in range(conversations)))
    return sent, killed_at


@dataclass
class KillRun:
    """What the load saw, and what the trackers kept, when one instance was killed under it."""

    sent: list[list[Message]]
    killed_at: float  # when SIGKILL was sent
    dead: str  # the killed instance's address
    survivors: set[str]
    kept: list[list[tuple[str, bool]]]  # each conversation's tracker: user messages, answered or not

    def messages(self) -> list[Message]:
        return [m for messages in self.sent for m in messages]

    def after_the_kill(self) -> list[Message]:
        """Sent once SIGKILL was, but for any the dying instance still took (then counted as `hit`)."""
        return [m for m in self.messages() if m.started >= self.killed_at and not self.hit(m)]

    def in_tracker(self, m: Message) -> int:
        return [text for text, _ in self.kept[m.conversation]].count(m.text)

    def hit(self, m: Message) -> bool:
        """In the killed instance's hands when it died: nginx had sent it there, and no reply came."""
        return m.answered_by == self.dead and not m.answered

    def stalled(self, m: Message) -> bool:
        """Unanswered on a survivor after waiting out the lock of its conversation's turn that died."""
        messages = self.sent[m.conversation]
        index = messages.index(m)
        return (
            not m.answered and m.answered_by in self.survivors and index > 0 and self.hit(messages[index - 1])
            and m.ended - m.started >= LOCK_SECONDS
        )  # fmt: skip


@pytest.fixture(scope="module")
def killed(cluster: balancer.Cluster) -> KillRun:
    """Nine conversations through nginx; after a third of the messages, one instance is SIGKILLed."""
    victim = cluster.instances[1]
    conversations = 9
    sent, killed_at = asyncio.run(load_and_kill(cluster, victim, conversations, kill_after=conversations * 16 // 3))
    assert victim.procs["rasa"].poll() is not None, "the instance was killed"
    kept = [turns(cluster.tracker(f"rest:killed-{n}")) for n in range(conversations)]
    dead = cluster.address(victim)
    run = KillRun(sent, killed_at, dead, {cluster.address(i) for i in cluster.instances} - {dead}, kept)

    messages = run.messages()
    after = run.after_the_kill()
    hit = [m for m in messages if run.hit(m)]
    stalled = [m for m in messages if run.stalled(m)]
    following = [ms[ms.index(m) + 1] for ms in sent for m in ms if run.hit(m) and m is not ms[-1]]
    waited = [f"{m.ended - m.started:.1f} s" for m in following if m.answered]
    print(
        f"\n{INSTANCES} instances, {conversations} conversations, {len(messages)} messages; one instance SIGKILLed "
        f"after {conversations * 16 // 3} replies; {len(after)} messages sent after that.\n"
        f"In its hands when it died (HTTP {sorted(Counter(m.status for m in hit).items(), key=str)}): {len(hit)}, "
        f"of which kept in the tracker: {sum(run.in_tracker(m) for m in hit)}.\n"
        f"The next message of those conversations: {len(waited)} answered after {', '.join(waited) or '-'}; "
        f"{len(stalled)} unanswered after waiting "
        f"{', '.join(f'{m.ended - m.started:.0f} s' for m in stalled) or '-'} for the dead turn's lock "
        f"(HTTP {sorted(Counter(m.status for m in stalled).items(), key=str)}).\n"
        f"Duplicated: {sum(max(run.in_tracker(m) - 1, 0) for m in messages)}; "
        f"every other message answered: {all(m.answered for m in messages if m not in hit + stalled)}."
    )
    return run


def test_an_instance_killed_under_load_the_others_carry_on(killed: KillRun) -> None:
    messages = killed.messages()
    after = killed.after_the_kill()
    assert after, "the load went on after the kill"
    # Every message is in its tracker at most once, in the order sent, and the bot answered each kept one.
    assert not [m for m in messages if killed.in_tracker(m) > 1]
    for n, conversation in enumerate(killed.sent):
        said = [text for text, _ in killed.kept[n]]
        assert said == [m.text for m in conversation if m.text in said], n
        assert all(answered for _, answered in killed.kept[n]), killed.kept[n]
    # After the kill, the two others took everything: nginx never handed the dead one a message.
    assert {m.answered_by for m in after} == killed.survivors
    # What went unanswered was in the dead instance's hands, or waited behind the lock such a message held.
    assert all(killed.hit(m) or killed.stalled(m) for m in messages if not m.answered)
    # Whatever was answered is in its tracker; so is nothing the client didn't get but what the dead one had.
    assert all(killed.in_tracker(m) == 1 for m in messages if m.answered)
    # Conversations the kill didn't catch mid-turn never noticed.
    for conversation in killed.sent:
        if not any(killed.hit(m) for m in conversation):
            assert all(m.answered for m in conversation)


def test_nothing_sent_after_the_kill_is_lost(killed: KillRun) -> None:
    lost = [m for m in killed.after_the_kill() if not (m.answered and killed.in_tracker(m) == 1)]
    # The next message of a conversation whose turn died with the instance is served once the dead
    # turn's ticket expires: its waiter keeps its own ticket alive (bot/stores/lock_store.py).
    assert not lost, lost
