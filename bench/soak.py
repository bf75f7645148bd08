"""`make soak`: the real servers under load and faults; writes the figures to docs/reliability.md.

Every scenario runs the real Rasa server (`python -m bot.serving.launch run`) and the
real action server on loopback, talks to them over REST as a site's callers do, and
then reads each conversation back through the HTTP API (`GET
/conversations/<id>/tracker`) to check what was stored:

- `load`: many conversations at once; every message answered once, in order,
  nothing lost or duplicated (the `user` events of each tracker, each carrying the
  number of the message in its metadata, and the bot events after each one against
  the reply the caller got);
- `actions_killed`: the action server killed (SIGKILL) in the middle of that load,
  then started again: FAQ turns get "I can't fetch that answer right now", never
  silence; crisis replies are unaffected; answers resume without restarting Rasa;
- `actions_down_first`: the action server down before conversations begin (their
  session start fails): the welcome and the crisis reply still reach the person, and
  the conversation goes on properly once the action server is back;
- `redis_restarted`: two Sanic workers on endpoints.redis.yml with a private
  redis-server (never the machine's own on 6379), stopped under load and started
  again, first with its data (a clean shutdown that saves), then without: no crash,
  what the callers got meanwhile, recovery;
- `rasa_restarted`: the Rasa server restarted mid-conversation on that configuration:
  the conversation goes on with its history;
- `answers_broken`: `ALLIANCE_ANSWERS_DB` missing, then a file of garbage bytes, then
  rebuilt: a clear message at start-up and in the reply, never a stack trace to the user.

Each scenario returns an `Outcome`: its figures and every invariant it saw broken
(`failures`). `gaps` are invariants that fail for a reason this code can name and
that needs a fix elsewhere: they are reported, never hidden. `tests/e2e/test_soak.py`
runs the same code at `SHORT` sizes and asserts the invariants; the timings are
figures, never judged. No message text is printed or logged here: a failure names
a conversation and the number of its message.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Iterable, Sequence

import aiohttp
import requests

from bot import config
from bot.content import answers
from bot.safety import escalations
from tests import servers

ROOT = config.ROOT
REPORT = ROOT / "docs" / "reliability.md"
OUT = config.BUILD_DIR / "soak"
# The part of docs/reliability.md this writes; anything outside the markers is left alone.
BEGIN, END = "<!-- soak: begin (written by `make soak`, bench/soak.py) -->", "<!-- soak: end -->"
SEQ = "soak_seq"  # the metadata key that numbers each message of a conversation
RASA_UP = "Rasa server is up and running."  # each worker logs it once its model is loaded
MACHINE_REDIS_PORT = 6379  # the machine's own Redis, which others use: never touched here

# What the person should see, from the domain and the replies (bot/content/replies.py).
UNAVAILABLE = "can't fetch that answer right now"  # utter_actions_unavailable (bot/serving/action_failures.py)
SERVICE_DOWN = "can't answer right now: part of this service is down"  # bot/channels/common.py, unavailable_text
NO_STORE = "can't reach my reviewed answers"  # replies.menu_messages with an unreadable answer store
WELCOME = "automated assistant, not a therapist"  # utter_welcome
ANSWERED = 'Source: "'  # every vetted answer cites its article
# What would show an error to the person: a traceback, an exception's name, a file of code.
LEAK = re.compile(r'Traceback|File "|\b[A-Z]\w*(Error|Exception)\b|sqlite3?\b|\.py\b|[Ee]rrno')

FAQ = [
    "can i text my therapist?",
    "will my therapist keep what i say private?",
    "i think i have a crush on my counselor",
    "why does my therapist challenge me so much",
    "can i bring my faith into counseling",
    "how can i tell if my therapist is the right one for me",
    "i feel way too dependent on my psychologist",
    "what should i do if my therapist and i have a falling out",
]
CRISIS = "i am going to kill myself"
# The load: FAQ questions among the rest of a conversation, each conversation starting elsewhere in it.
LOAD_MIX = [
    ("hello", "chat"), (FAQ[0], "faq"), ("tell me more", "chat"), (FAQ[1], "faq"), ("thanks so much", "chat"),
    (FAQ[2], "faq"), ("that helped", "chat"), (FAQ[3], "faq"), ("help", "chat"), (FAQ[4], "faq"),
    (FAQ[5], "faq"), ("tell me more", "chat"), (FAQ[6], "faq"), (FAQ[7], "faq"),
]  # fmt: skip
# Under a fault: FAQ turns (answered by the action server) and now and then a crisis.
FAULT_MIX = [(q, "faq") for q in FAQ[:4]] + [(CRISIS, "crisis")] + [(q, "faq") for q in FAQ[4:]]


@dataclass(frozen=True)
class Sizes:
    conversations: int = 50  # load
    messages: int = 20  # load, per conversation
    fault_conversations: int = 50  # actions_killed, redis_restarted
    per_phase: int = 6  # turns per conversation in each phase of a fault (before, during, after)
    down_first: int = 10  # actions_down_first: conversations
    outage_s: float = 5.0  # redis_restarted: how long Redis stays down each time
    pause_s: float = 0.05  # between two messages of one conversation under a fault
    restarted: int = 10  # rasa_restarted: conversations
    lock_lifetime: int | None = None  # TICKET_LOCK_LIFETIME for the Redis servers (None: Rasa's 60 s)


FULL = Sizes()  # the load of `load` and `actions_killed` alike: 50 conversations of about 20 messages
SHORT = Sizes(
    conversations=10, messages=5, fault_conversations=5, per_phase=3, down_first=3, outage_s=2.0,
    restarted=3, lock_lifetime=10,
)  # fmt: skip


@dataclass
class Outcome:
    """One scenario: what was done, its figures, and what broke."""

    name: str
    title: str
    done: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the figures mean, for docs/reliability.md

    def add(self, label: str, value: object) -> None:
        self.figures.append((label, value if isinstance(value, str) else _fmt(value)))

    def fail(self, problem: str) -> None:
        if problem not in self.failures:
            self.failures.append(problem)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return str(value)


# --- the servers ---------------------------------------------------------------------------


@dataclass
class Stack:
    """A Rasa server and its action server that can be killed and started again, each on its own port."""

    workdir: Path
    env: dict[str, str]
    commands: dict[str, list[str]]
    rasa_url: str
    actions_url: str
    token: str
    log: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    launched: dict[str, int] = field(default_factory=dict)  # where in the log each process's start begins

    @property
    def escalations_db(self) -> Path:
        return Path(self.env["ALLIANCE_ESCALATIONS_DB"])

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def launch(self, name: str, wait: bool = True, **env: str) -> float:
        """Start `name` ("rasa" or "actions"); the seconds until it answers."""
        began = time.monotonic()
        self.launched[name] = self.log_size()
        with self.log.open("ab") as out:
            self.procs[name] = subprocess.Popen(
                self.commands[name], cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT
            )
        if wait:
            self.wait(name)
        return time.monotonic() - began

    def wait(self, name: str) -> None:
        """Until `name` answers; for Rasa, until every one of its workers is up.

        One worker answers `/status` while another may still be loading the model, and a
        SIGTERM that reaches a worker then is lost (Sanic 21.12: the worker still has the
        handler it inherited from the main process), so it would never stop.
        """
        proc = self.procs[name]
        try:
            if name == "actions":
                servers.wait_for(f"{self.actions_url}/health", proc)
                return
            servers.wait_for(f"{self.rasa_url}/", proc)
            servers.wait_for(f"{self.rasa_url}/status?token={self.token}", proc)
            deadline = time.monotonic() + 240
            while self.log_text(self.launched["rasa"]).count(RASA_UP) < self.workers_wanted:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the Rasa server's {self.workers_wanted} workers did not all start")
                time.sleep(0.2)
        except Exception:
            self.stop_all()
            raise

    @property
    def workers_wanted(self) -> int:
        return max(1, int(self.env.get("SANIC_WORKERS") or 1))

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 30) -> bool:
        """Stop `name` with `sig`; true if it (and every worker of it) was gone within `timeout` seconds.

        Whatever is left after that, its workers included, is killed: nothing of ours outlives a stop.
        """
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return True
        children = self._children(proc.pid)
        proc.send_signal(sig)
        stopped = True
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stopped = False
            proc.kill()
            proc.wait()
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
                stopped = False  # a worker outlived its server
            except ProcessLookupError:
                pass
        return stopped

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def workers(self) -> list[int]:
        """The Rasa server's child processes (its Sanic workers when there are several)."""
        return sorted(self._children(self.procs["rasa"].pid)) if "rasa" in self.procs else []

    def stop_all(self) -> None:
        for name in ("rasa", "actions"):
            self.kill(name, signal.SIGTERM)

    def log_text(self, since: int = 0) -> str:
        with self.log.open("rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def tracker(self, conversation: str) -> dict:
        r = requests.get(
            f"{self.rasa_url}/conversations/{conversation}/tracker", params={"token": self.token}, timeout=60
        )
        r.raise_for_status()
        return r.json()


def start_stack(
    workdir: Path,
    answers_db: Path,
    endpoints: str = "endpoints.yml",
    env: dict[str, str] | None = None,
    actions: bool = True,
) -> Stack:
    """Both servers as tests/servers.py starts them (API behind a token, loopback, free ports).

    Without `actions` the action server is left to the caller to `launch`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    actions_port, rasa_port = servers.free_port(), servers.free_port()
    token = "soak-" + os.urandom(8).hex()
    full_env = servers._env(
        ALLIANCE_ANSWERS_DB=str(answers_db),
        ALLIANCE_ESCALATIONS_DB=str(workdir / "escalations.db"),
        ALLIANCE_RECORDS_DB=str(workdir / "records.db"),
        ALLIANCE_ACTION_URL=f"http://127.0.0.1:{actions_port}/webhook",
        ALLIANCE_API_TOKEN=token,
        **(env or {}),
    )
    commands = {
        "actions": [*servers.ACTIONS[False], "--actions", "actions", "--port", str(actions_port)],
        "rasa": [
            *servers.LAUNCH, "run", "--model", str(servers.MODEL), "--endpoints", endpoints,
            "--credentials", "credentials.yml", "-i", "127.0.0.1", "--port", str(rasa_port), "--enable-api",
        ],
    }  # fmt: skip
    stack = Stack(
        workdir, full_env, commands, f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}", token,
        workdir / "servers.log",
    )  # fmt: skip
    if actions:
        stack.launch("actions", wait=False)
    stack.launch("rasa", wait=False)
    if actions:
        stack.wait("actions")
    stack.wait("rasa")
    return stack


class PrivateRedis:
    """A redis-server of this run's own, on a free loopback port, its files under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.port = servers.free_port()
        if self.port == MACHINE_REDIS_PORT:  # the machine's Redis is never stopped here
            raise RuntimeError("refusing to run a private Redis on the machine's own port")
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):  # redis is imported late: only these scenarios need it
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> float:
        began = time.monotonic()
        with (self.directory / "redis.log").open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", str(self.directory),
                ],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client().ping()
                return time.monotonic() - began
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"the private redis-server on port {self.port} did not start") from None
                time.sleep(0.05)

    def stop(self, keep_data: bool) -> None:
        """A clean shutdown: with `keep_data` it saves its data first (as a Redis with persistence does)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.client().shutdown(save=keep_data, nosave=not keep_data)
        except Exception:  # the connection closes as it goes down
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not keep_data:
            (self.directory / "dump.rdb").unlink(missing_ok=True)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


# --- talking to the server -------------------------------------------------------------------


@dataclass
class Turn:
    """One message sent and what came back."""

    conversation: str  # as the tracker names it: rest:<sender>
    seq: int
    text: str
    kind: str  # faq, crisis or chat
    phase: str = ""
    status: int | None = None
    replies: list[dict] = field(default_factory=list)
    error: str = ""
    sent: float = 0.0
    received: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status == 200 and bool(self.replies)

    @property
    def said(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.replies)

    @property
    def said_as_stored(self) -> str:
        """The reply's texts as the bot events hold them: Rasa's REST output splits a text at each blank line."""
        return "\n\n".join(m.get("text") or "" for m in self.replies)

    @property
    def ms(self) -> float:
        return (self.received - self.sent) * 1000

    def name(self) -> str:
        return f"{self.conversation} message {self.seq} ({self.kind}, {self.phase or 'load'})"


def session() -> aiohttp.ClientSession:
    # A connection per request: a kept-alive one would stay with one worker, or break at a restart.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True, limit=100), timeout=aiohttp.ClientTimeout(total=300)
    )


async def send(http: aiohttp.ClientSession, stack: Stack, turn: Turn) -> Turn:
    sender = turn.conversation.split(":", 1)[1]
    body = {"sender": sender, "message": turn.text, "metadata": {SEQ: turn.seq}}
    turn.sent = time.monotonic()
    try:
        async with http.post(stack.webhook, json=body) as r:
            turn.status = r.status
            data = await r.json(content_type=None) if r.status == 200 else None
            turn.replies = data if isinstance(data, list) else []
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        turn.error = type(e).__name__
    turn.received = time.monotonic()
    return turn


def run_id() -> str:
    return os.urandom(3).hex()


async def scripted_async(stack: Stack, conversations: list[str], script: Sequence[tuple[str, str]], start: int,
                         phase: str) -> list[Turn]:  # fmt: skip
    """Each conversation sends `script` in turn (numbered from `start`), all conversations at once."""

    async def one(http: aiohttp.ClientSession, conversation: str) -> list[Turn]:
        return [
            await send(http, stack, Turn(conversation, start + i, text, kind, phase=phase))
            for i, (text, kind) in enumerate(script)
        ]

    async with session() as http:
        return [t for ts in await asyncio.gather(*(one(http, c) for c in conversations)) for t in ts]


def scripted(stack: Stack, conversations: list[str], script: Sequence[tuple[str, str]], start: int = 0,
             phase: str = "") -> list[Turn]:  # fmt: skip
    return asyncio.run(scripted_async(stack, conversations, script, start, phase))


def _opening(text: str) -> str:
    """The start of an answer's text as people see it (before any region placeholder)."""
    return text.split("{", 1)[0][:50]


def continues(store: answers.AnswerStore, question: Turn, more: Turn) -> bool:
    """Whether `more` ("tell me more") is the longer text of the answer `question` got."""
    asked = [a for a in store.vetted() if _opening(a.short) and _opening(a.short) in question.said]
    return len(asked) == 1 and _opening(asked[0].more) in more.said and UNAVAILABLE not in more.said


# --- what a tracker says ---------------------------------------------------------------------


@dataclass
class Audit:
    """A conversation's tracker against the turns sent to it."""

    sent: int = 0
    stored: int = 0  # user events carrying one of our numbers
    lost: int = 0  # handled (answered) turns with no user event
    duplicated: int = 0  # user events beyond the first for one message
    out_of_order: int = 0  # user events stored before one sent earlier
    unanswered_stored: int = 0  # turns not handled (no reply, say) that are in the tracker all the same
    mismatched: int = 0  # turns whose reply differs from the bot events stored after their user event
    sessions: int = 0  # session_started events
    other: int = 0  # user events of messages not among the turns audited
    lost_turns: list[Turn] = field(default_factory=list, repr=False)

    def __iadd__(self, other: Audit) -> Audit:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def stored_if_answered(turn: Turn) -> bool:
    return turn.answered


def audit(events: list[dict], turns: Sequence[Turn], handled: Callable[[Turn], bool] = stored_if_answered) -> Audit:
    """Count what the tracker lost, duplicated or reordered, and replies that aren't what it stored.

    A turn answered with messages must be stored once, in order, with the bot events after
    its user event (and the welcome of a session started for it) exactly the reply's texts.
    """
    result = Audit(sent=len(turns))
    stored: list[int] = []
    said: dict[int, list[str]] = {}
    pending: list[str] = []  # a session start's messages: they belong to the next message's reply
    current: int | None = None
    for event in events:
        kind = event.get("event")
        if kind == "action" and event.get("name") == "action_session_start":
            current, pending = None, []
        elif kind == "session_started":
            result.sessions += 1
        elif kind == "user":
            seq = (event.get("metadata") or {}).get(SEQ)
            if not isinstance(seq, int):
                current = None
                continue
            stored.append(seq)
            current = seq
            said.setdefault(seq, []).extend(pending)
            pending = []
        elif kind == "bot":
            (pending if current is None else said[current]).append(event.get("text") or "")
    result.stored = len(stored)
    counts = Counter(stored)
    result.duplicated = sum(n - 1 for n in counts.values())
    result.out_of_order = sum(1 for a, b in itertools.pairwise(stored) if b < a)
    result.other = sum(1 for seq in stored if seq not in {t.seq for t in turns})
    for turn in turns:
        if handled(turn):
            if counts[turn.seq] == 0:
                result.lost += 1
                result.lost_turns.append(turn)
            elif counts[turn.seq] == 1 and "\n\n".join(said[turn.seq]) != turn.said_as_stored:
                result.mismatched += 1
        elif counts[turn.seq]:
            result.unanswered_stored += 1
    return result


def audit_all(
    stack: Stack, turns: Iterable[Turn], handled: Callable[[Turn], bool] = stored_if_answered
) -> tuple[Audit, list[str]]:
    """`audit` of every conversation among `turns`; and which conversations went wrong."""
    by_conversation: dict[str, list[Turn]] = {}
    for turn in turns:
        by_conversation.setdefault(turn.conversation, []).append(turn)
    total, wrong = Audit(), []
    for conversation, its_turns in by_conversation.items():
        one = audit(stack.tracker(conversation)["events"], its_turns, handled)
        total += one
        if one.lost or one.duplicated or one.out_of_order or one.unanswered_stored or one.mismatched:
            wrong.append(f"{conversation}: {one}")
    return total, wrong


def check_audit(outcome: Outcome, total: Audit, wrong: list[str]) -> None:
    outcome.add("user events stored / messages answered", f"{total.stored} / {total.sent - total.unanswered_stored}")
    outcome.add("lost / duplicated / out of order", f"{total.lost} / {total.duplicated} / {total.out_of_order}")
    outcome.add("replies that differ from what the tracker stored", total.mismatched)
    for problem in wrong[:5]:
        outcome.fail(f"tracker: {problem}")


def latency_figures(outcome: Outcome, turns: Sequence[Turn], label: str = "") -> None:
    times = sorted(t.ms for t in turns if t.status is not None)
    if not times:
        return
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    outcome.add(f"latency p50 / p95 / max{label} (ms)", f"{statistics.median(times):.0f} / {p95:.0f} / {times[-1]:.0f}")


def texts_in_log(stack: Stack, turns: Iterable[Turn], since: int = 0) -> int:
    """How many of the messages sent appear in the servers' log (nothing at INFO or above may show one)."""
    log = stack.log_text(since)
    return sum(1 for text in {t.text for t in turns} if len(text) >= 12 and text in log)


def check_privacy(outcome: Outcome, stack: Stack, turns: Iterable[Turn], since: int = 0) -> None:
    """No message text in the servers' log (the project's rule: none at INFO or above, and nothing lower is on)."""
    leaked = texts_in_log(stack, turns, since)
    outcome.add("messages whose text shows in the servers' log", leaked)
    if leaked:
        outcome.fail(f"{leaked} message texts in the servers' log")


# --- the checks on each reply ------------------------------------------------------------------


def crisis_reply(turn: Turn) -> bool:
    return f"call {config.emergency().number_display} now" in turn.said


def answer_reply(turn: Turn) -> bool:
    return ANSWERED in turn.said and UNAVAILABLE not in turn.said


def service_down_reply(turn: Turn) -> bool:
    """The channels' own reply when Rasa can't handle a message at all (bot/channels/common.py): never stored."""
    return SERVICE_DOWN in turn.said


def unavailable_reply(turn: Turn) -> bool:
    return UNAVAILABLE in turn.said and ANSWERED not in turn.said


def reply_problems(turn: Turn, faq: Callable[[Turn], bool] | None) -> str | None:
    """What is wrong with one reply: silence, a crisis reply missing, or a FAQ reply not as `faq` wants."""
    if not turn.answered:
        return f"{turn.name()}: no reply (HTTP {turn.status or turn.error})"
    if turn.kind == "crisis" and not crisis_reply(turn):
        return f"{turn.name()}: the crisis reply is missing"
    if turn.kind == "faq" and faq is not None and not faq(turn):
        return f"{turn.name()}: expected {faq.__name__.replace('_', ' ')}"
    return None


# --- a load with phases ------------------------------------------------------------------------


class Phases:
    """The phase a fault scenario is in, and how many turns each phase has had answered."""

    def __init__(self, first: str) -> None:
        self.name = first
        self.done: Counter[str] = Counter()
        self.began: dict[str, float] = {first: time.monotonic()}
        self.turns: list[Turn] = []  # every turn done so far

    def enter(self, name: str) -> None:
        self.name = name
        self.began[name] = time.monotonic()

    async def until(self, phase: str, turns: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.done[phase] < turns:
            if time.monotonic() > deadline:
                raise TimeoutError(f"phase {phase}: {self.done[phase]} of {turns} turns in {timeout:.0f} s")
            await asyncio.sleep(0.02)


async def phased_load(
    stack: Stack,
    senders: list[str],
    mix: Sequence[tuple[str, str]],
    control: Callable[[Phases], Awaitable[None]],
    first: str,
    pause: float,
) -> tuple[list[Turn], str | None]:
    """Every conversation sends messages from `mix` one after another until `control` returns.

    A turn belongs to the phase it was sent and answered in, or to "transition" when the
    phase changed while it was in flight. A caller whose message got no reply waits half
    a second before the next, as a person would. Returns the turns, and what stopped
    `control` early, if anything did.
    """
    phases, stop, trouble = Phases(first), asyncio.Event(), []
    turns = phases.turns

    async def talk(http: aiohttp.ClientSession, n: int, sender: str) -> None:
        seq = 0
        while not stop.is_set():
            text, kind = mix[(n + seq) % len(mix)]
            phase = phases.name
            turn = await send(http, stack, Turn(f"rest:{sender}", seq, text, kind))
            turn.phase = phase if phases.name == phase else "transition"
            phases.done[turn.phase] += turn.answered
            turns.append(turn)
            seq += 1
            await asyncio.sleep(pause if turn.answered else max(pause, 0.5))

    async def controller() -> None:
        try:
            await control(phases)
        except Exception as e:  # a phase that never completes: reported, and the load stops
            trouble.append(f"{type(e).__name__}: {e}")
        finally:
            stop.set()

    async with session() as http:
        await asyncio.gather(controller(), *(talk(http, n, s) for n, s in enumerate(senders)))
    return turns, (trouble[0] if trouble else None)


# --- the scenarios -----------------------------------------------------------------------------


def load(stack: Stack, sizes: Sizes) -> Outcome:
    """Many conversations at once: every message answered once, in order, nothing lost or duplicated."""
    n, m = sizes.conversations, sizes.messages
    outcome = Outcome(
        "load", "Conversations at once",
        f"{n} conversations x {m} messages over REST, all at once, each message sent when the "
        "previous one is answered, one Rasa server process (`endpoints.yml`)",
    )  # fmt: skip
    rid, log_from = run_id(), stack.log_size()

    async def converse(http: aiohttp.ClientSession, c: int) -> list[Turn]:
        done = []
        for seq in range(m):
            text, kind = LOAD_MIX[(c + seq) % len(LOAD_MIX)]
            done.append(await send(http, stack, Turn(f"rest:soak-load-{rid}-{c}", seq, text, kind)))
        return done

    async def everyone() -> list[Turn]:
        async with session() as http:
            return [t for ts in await asyncio.gather(*(converse(http, c) for c in range(n))) for t in ts]

    began = time.monotonic()
    turns = asyncio.run(everyone())
    elapsed = time.monotonic() - began
    silent = [t for t in turns if not t.answered]
    outcome.add("messages", len(turns))
    outcome.add("time (s)", elapsed)
    outcome.add("throughput (messages/s)", f"{len(turns) / elapsed:.0f}")
    latency_figures(outcome, turns)
    outcome.add("replies with no message, or an HTTP error", len(silent))
    faq = [t for t in turns if t.kind == "faq"]
    outcome.add("FAQ questions answered with a vetted answer", f"{sum(map(answer_reply, faq))} / {len(faq)}")
    for turn in silent[:5]:
        outcome.fail(reply_problems(turn, None) or turn.name())
    for turn in turns:
        if turn.answered and turn.kind == "faq" and not answer_reply(turn):
            outcome.fail(f"{turn.name()}: no vetted answer")
    check_audit(outcome, *audit_all(stack, turns))
    check_privacy(outcome, stack, turns, log_from)
    return outcome


def actions_killed(stack: Stack, sizes: Sizes) -> Outcome:
    """The action server killed under load, then started again; Rasa is never restarted."""
    n, k = sizes.fault_conversations, sizes.per_phase
    outcome = Outcome(
        "actions_killed", "The action server killed under load",
        f"{n} conversations talking without stop (FAQ questions, every {len(FAULT_MIX)}th message "
        f'"{CRISIS}"); after {n * k} answered turns the action server is killed (SIGKILL); after {n * k} more '
        f"it is started again; the load goes on until {n * k} turns have been answered since it was back",
    )  # fmt: skip
    rasa_pid, log_from = stack.procs["rasa"].pid, stack.log_size()
    marks: dict[str, float] = {}

    async def control(phases: Phases) -> None:
        await phases.until("up", n * k)
        phases.enter("killing")
        await asyncio.to_thread(stack.kill, "actions")
        phases.enter("down")
        marks["killed"] = time.monotonic()
        await phases.until("down", n * k)
        phases.enter("restarting")
        marks["restart_s"] = await asyncio.to_thread(stack.launch, "actions")
        phases.enter("back")
        marks["back"] = time.monotonic()
        await phases.until("back", n * k)

    senders = [f"soak-kill-{run_id()}-{c}" for c in range(n)]
    turns, trouble = asyncio.run(phased_load(stack, senders, FAULT_MIX, control, "up", sizes.pause_s))
    if trouble:
        outcome.fail(f"the load stopped early: {trouble}")
    expect = {"up": answer_reply, "down": unavailable_reply, "back": answer_reply}
    by_phase: dict[str, list[Turn]] = {}
    for turn in turns:
        by_phase.setdefault(turn.phase, []).append(turn)
        problem = reply_problems(turn, expect.get(turn.phase))
        if problem:
            outcome.fail(problem)
        if turn.kind == "faq" and turn.answered and not (answer_reply(turn) or unavailable_reply(turn)):
            outcome.fail(f"{turn.name()}: neither an answer nor the clear 'can't fetch' reply")

    def count(phase: str, kind: str, test: Callable[[Turn], bool]) -> str:
        these = [t for t in by_phase.get(phase, []) if t.kind == kind]
        return f"{sum(test(t) for t in these)} / {len(these)}"

    outcome.add("messages", len(turns))
    outcome.add("replies with no message, or an HTTP error", sum(not t.answered for t in turns))
    outcome.add("FAQ answered before the kill", count("up", "faq", answer_reply))
    outcome.add('FAQ while down: "can\'t fetch that answer right now"', count("down", "faq", unavailable_reply))
    outcome.add("FAQ answered after it was back", count("back", "faq", answer_reply))
    outcome.add("FAQ in flight at a change (answer or \"can't fetch\")", count(
        "transition", "faq", lambda t: answer_reply(t) or unavailable_reply(t)))  # fmt: skip
    crises = [t for t in turns if t.kind == "crisis"]
    for phase, label in (("up", "before the kill"), ("down", "while down"), ("back", "after it was back"),
                         ("transition", "in flight at a change")):  # fmt: skip
        outcome.add(f"crisis replies {label}", count(phase, "crisis", crisis_reply))
    outcome.add("action server restart, start to /health (s)", marks.get("restart_s", 0.0))
    back = [t for t in by_phase.get("back", []) if t.kind == "faq"]
    if back:
        outcome.add("first FAQ answer after /health (ms)", (min(t.received for t in back) - marks["back"]) * 1000)
    latency_figures(outcome, by_phase.get("down", []), " while down")
    conversations = {t.conversation for t in turns}
    rows = [r for r in escalations.rows(stack.escalations_db) if r["conversation_id"] in conversations]
    answered_crises = [t for t in crises if t.answered and crisis_reply(t)]
    outcome.add("escalations recorded / crisis replies sent", f"{len(rows)} / {len(answered_crises)}")
    if len(rows) != len(answered_crises):
        outcome.fail(f"{len(rows)} escalations recorded for {len(answered_crises)} crisis replies")
    same = stack.alive("rasa") and stack.procs["rasa"].pid == rasa_pid
    outcome.add("Rasa server restarted", "no" if same else "YES")
    if not same:
        outcome.fail("the Rasa server did not survive")
    check_audit(outcome, *audit_all(stack, turns))
    check_privacy(outcome, stack, turns, log_from)
    return outcome


def actions_down_first(stack: Stack, sizes: Sizes) -> Outcome:
    """Conversations that begin while the action server is down; then it comes back."""
    n = sizes.down_first
    outcome = Outcome(
        "actions_down_first", "The action server down before conversations begin",
        f'{n} new conversations with the action server down: "hello", "{CRISIS}", a FAQ question; then '
        'the action server is started and each goes on: another FAQ question, "tell me more", "hello"; '
        "and a conversation begun after it is back",
    )  # fmt: skip
    stack.kill("actions")
    rid, log_from = run_id(), stack.log_size()
    before = [("hello", "chat"), (CRISIS, "crisis"), (FAQ[0], "faq")]
    after = [(FAQ[1], "faq"), ("tell me more", "chat"), ("hello", "chat")]
    store = answers.AnswerStore(Path(stack.env["ALLIANCE_ANSWERS_DB"]))
    reminder = config.emergency().reminder
    conversations = [f"rest:soak-first-{rid}-{c}" for c in range(n)]
    down = scripted(stack, conversations, before, 0, "down")
    restart_s = stack.launch("actions")
    back = scripted(stack, conversations, after, len(before), "back")
    fresh = scripted(stack, [f"rest:soak-first-{rid}-after"], [("hello", "chat"), (FAQ[0], "faq")], 0, "fresh")
    turns = down + back

    def share(these: list[Turn], test: Callable[[Turn], bool]) -> str:
        return f"{sum(test(t) for t in these)} / {len(these)}"

    def previous(turn: Turn) -> Turn:
        return next(t for t in turns if t.conversation == turn.conversation and t.seq == turn.seq - 1)

    firsts = [t for t in down if t.seq == 0]
    faq_back = [t for t in back if t.kind == "faq"]
    more = [t for t in back if t.text == "tell me more"]
    fresh_ok = len(fresh) == 2 and WELCOME in fresh[0].said and answer_reply(fresh[1])
    outcome.add("welcome at the first message (from the Rasa server)", share(firsts, lambda t: WELCOME in t.said))
    outcome.add("crisis replies", share([t for t in down if t.kind == "crisis"], crisis_reply))
    outcome.add("FAQ while down: \"can't fetch that answer right now\"",
                share([t for t in down if t.kind == "faq"], unavailable_reply))  # fmt: skip
    outcome.add("action server start, to /health (s)", restart_s)
    outcome.add("FAQ answered once it is back, with the crisis reminder",
                share(faq_back, lambda t: answer_reply(t) and t.said.endswith(reminder)))  # fmt: skip
    outcome.add('"tell me more" continues that answer', share(more, lambda t: continues(store, previous(t), t)))
    outcome.add("a conversation begun after it is back: welcome, then an answer", "yes" if fresh_ok else "NO")
    for turn in turns:
        problem = reply_problems(turn, {"down": unavailable_reply, "back": answer_reply}[turn.phase])
        if problem:
            outcome.fail(problem)
    for turn in firsts:
        if WELCOME not in turn.said:
            outcome.fail(f"{turn.name()}: no welcome")
    for turn in faq_back:
        if not turn.said.endswith(reminder):
            outcome.fail(f"{turn.name()}: the answer after the crisis lacks the reminder")
    for turn in more:
        if not continues(store, previous(turn), turn):
            outcome.fail(f"{turn.name()}: not the longer text of the answer before it")
    if not fresh_ok:
        outcome.fail("a conversation begun after the action server came back did not start properly")
    sessions, crisis_slot = [], []
    for conversation in conversations:
        tracker = stack.tracker(conversation)
        sessions.append(sum(e["event"] == "session_started" for e in tracker["events"]))
        crisis_slot.append(bool((tracker.get("slots") or {}).get("crisis")))
    outcome.add("session_started events per conversation", ", ".join(map(str, sorted(set(sessions)))))
    outcome.add("conversations that remember the crisis (slot)", f"{sum(crisis_slot)} / {len(crisis_slot)}")
    if any(s != 1 for s in sessions):
        outcome.fail(f"session_started events per conversation: {sessions}")
    if not all(crisis_slot):
        outcome.fail("a conversation forgot its crisis")
    rows = Counter(r["conversation_id"] for r in escalations.rows(stack.escalations_db))
    recorded = [rows[c] for c in conversations]
    outcome.add("escalations recorded per conversation (by the Rasa server)",
                ", ".join(map(str, sorted(set(recorded)))))  # fmt: skip
    if any(r != 1 for r in recorded):
        outcome.fail(f"escalations recorded per conversation: {recorded}")
    check_audit(outcome, *audit_all(stack, turns))
    check_privacy(outcome, stack, turns + fresh, log_from)
    return outcome


def redis_restarted(stack: Stack, redis_server: PrivateRedis, sizes: Sizes) -> Outcome:
    """Redis stopped under load and started again, with its data and then without; two workers."""
    n, k = sizes.fault_conversations, sizes.per_phase
    outcome = Outcome(
        "redis_restarted", "Redis stopped and started again, two workers",
        f"`SANIC_WORKERS=2`, `endpoints.redis.yml`, a private redis-server; {n} conversations talking "
        f"without stop; after {n * k} answered turns Redis is shut down for {sizes.outage_s:.0f} s, saving "
        f"its data (as a Redis with persistence does), and started again; once {n * k} turns have been "
        f"answered, it is shut down again for {sizes.outage_s:.0f} s, this time losing its data (no "
        f"persistence), and started again; the load goes on until {n * k} more turns are answered",
    )  # fmt: skip
    rasa_pid, workers = stack.procs["rasa"].pid, stack.workers()
    log_from = stack.log_size()
    marks: dict[str, float] = {}
    kept: list[tuple[Audit, list[str]]] = []

    def handled(turn: Turn) -> bool:
        """Whether a turn must be in its tracker: whatever a message got while Redis was down, it can't be,
        nor a message told the service is down (Redis may answer the soak before the server reconnects)."""
        return turn.answered and not turn.phase.startswith("down") and not service_down_reply(turn)

    async def outage(phases: Phases, down: str, back: str, keep_data: bool) -> None:
        phases.enter("stopping")
        await asyncio.to_thread(redis_server.stop, keep_data)
        phases.enter(down)
        await asyncio.sleep(sizes.outage_s)
        phases.enter("starting")
        marks[f"restart {back}"] = time.monotonic()
        await asyncio.to_thread(redis_server.start)
        phases.enter(back)
        marks[back] = time.monotonic()

    async def control(phases: Phases) -> None:
        await phases.until("up", n * k)
        await outage(phases, "down", "back", keep_data=True)
        await phases.until("back", n * k)
        # Before the data goes: every turn answered so far is stored, once and in order.
        kept.append(await asyncio.to_thread(audit_all, stack, list(phases.turns), handled))
        await outage(phases, "down (data lost)", "back (data lost)", keep_data=False)
        await phases.until("back (data lost)", n * k)

    senders = [f"soakredis{run_id()}{c}" for c in range(n)]
    turns, trouble = asyncio.run(phased_load(stack, senders, FAULT_MIX, control, "up", sizes.pause_s))
    if trouble:
        outcome.fail(f"the load stopped early: {trouble}")
    outcome.add("messages", len(turns))
    for down, back in (("down", "back"), ("down (data lost)", "back (data lost)")):
        during = [t for t in turns if t.phase == down]
        statuses = Counter(str(t.status) if t.answered else f"{t.status or t.error} with no message" for t in during)
        outcome.add(f"replies while Redis was {down}",
                    ", ".join(f"{v} x HTTP {s}" for s, v in sorted(statuses.items())) or "none sent")  # fmt: skip
        told = sum(service_down_reply(t) for t in during)
        outcome.add(f"of those, told the service is down, with the numbers (Redis {down})", f"{told} / {len(during)}")
        after = [t for t in turns if t.phase == back]
        good = [t for t in after if t.answered and not service_down_reply(t)]
        if good:
            outcome.add(f"first reply once Redis was {back} (ms after it answered)",
                        (min(t.received for t in good) - marks[back]) * 1000)  # fmt: skip
        latency_figures(outcome, after, f" once it was {back}")
        for turn in after:
            problem = reply_problems(turn, answer_reply)
            if problem:
                outcome.fail(problem)
        number = config.emergency().number_display
        unsafe = [t for t in during if t.answered and number not in t.said]
        if unsafe:
            outcome.gaps.append(f"while Redis was {down}, {len(unsafe)} replies did not give the emergency number")
        silent = [t for t in during if not t.answered]
        if silent:
            crises = sum(t.kind == "crisis" for t in silent)
            outcome.gaps.append(
                f"while Redis was {down}, {len(silent)} of {len(during)} messages ({crises} of them crisis "
                f"messages) got HTTP {'/'.join(sorted({str(t.status or t.error) for t in silent}))} with no "
                "message at all: Rasa's REST channel swallows the failure to lock or read the conversation "
                "(the handlers in bot/channels/rest.py and common.py have to answer it)"
            )
    if kept:
        # A turn in flight as Redis went down can be answered and yet not stored: Rasa sends the
        # reply it collected even when saving the conversation failed. Any other loss is a failure.
        total, wrong = kept[0]
        in_flight = [t for t in total.lost_turns if t.phase == "transition"]
        lost = total.lost - len(in_flight)
        outcome.add("with its data: answered turns lost / duplicated / out of order",
                    f"{lost} / {total.duplicated} / {total.out_of_order} (of {total.sent} sent)")  # fmt: skip
        crises = sum(t.kind == "crisis" for t in in_flight)
        outcome.add("in flight as Redis went down: answered, but not stored",
                    f"{len(in_flight)} ({crises} of them crisis replies)")  # fmt: skip
        outcome.add("with its data: replies that differ from what the tracker stored", total.mismatched)
        if in_flight:
            outcome.notes.append(
                "A message being handled at the instant Redis goes down can be answered and yet not "
                "stored: Rasa sends the reply it has collected even when saving the conversation then "
                "fails. The conversation goes on without that turn; when it was a crisis, later answers "
                "lack the reminder, though the escalation itself is recorded (by the action server, in "
                "SQLite)."
            )
        if lost or total.duplicated or total.out_of_order or total.mismatched or total.unanswered_stored:
            for problem in wrong[:5]:
                outcome.fail(f"tracker, Redis restarted with its data: {problem}")
    # Since the data was lost: a new conversation for each, nothing from before coming back.
    since = [t for t in turns if t.sent >= marks.get("restart back (data lost)", float("inf"))]
    firsts: dict[str, Turn] = {}
    for turn in since:
        if turn.answered and not service_down_reply(turn):
            firsts.setdefault(turn.conversation, turn)
    welcomed = sum(WELCOME in t.said for t in firsts.values())
    outcome.add("conversations welcomed anew after the data was lost", f"{welcomed} / {len(firsts)}")
    if welcomed != len(firsts):
        outcome.fail(f"{len(firsts) - welcomed} conversations went on without a session after the data was lost")
    total, wrong = audit_all(stack, since, handled)
    resurrected = total.other
    outcome.add("after the loss: answered turns lost / duplicated / out of order",
                f"{total.lost} / {total.duplicated} / {total.out_of_order} (of {total.sent} sent)")  # fmt: skip
    outcome.add("after the loss: turns from before it back in a tracker", resurrected)
    for problem in wrong[:5]:
        outcome.fail(f"tracker, Redis restarted without its data: {problem}")
    if resurrected:
        outcome.fail(f"{resurrected} turns from before the data was lost came back into the trackers")
    same = stack.alive("rasa") and stack.procs["rasa"].pid == rasa_pid and stack.workers() == workers
    outcome.add("worker processes (before → after)", f"{len(workers)} → {len(stack.workers())}, "
                f"{'the same' if same else 'NOT the same'}")  # fmt: skip
    if not same or len(workers) != 2:
        outcome.fail(f"the Rasa server's workers changed: {workers} → {stack.workers()}")
    errors = [line for line in stack.log_text(log_from).splitlines() if " ERROR " in line]
    kinds = Counter(m.group(1) for line in errors for m in [re.search(r'"exc_type": "(\w+)"', line)] if m)
    outcome.add("ERROR lines in the servers' log (exception types)",
                f"{len(errors)} ({', '.join(f'{k} {v}' for k, v in kinds.most_common(4)) or 'none'})")  # fmt: skip
    outcome.notes.append(
        "While Redis is down the Rasa server can neither lock nor read a conversation, so it handles "
        "no message at all and the crisis check never runs: each channel then answers every message "
        "itself, saying the service is down and naming the emergency number and the crisis line "
        "(bot/channels/common.py), and logs the failure without the text. Both workers stay up and answer again as "
        "soon as Redis does; a Redis without persistence comes back empty, and every conversation "
        "then starts anew with the welcome."
    )
    leaked = texts_in_log(stack, turns, log_from)
    outcome.add("messages whose text shows in the servers' log", leaked)
    if leaked:
        outcome.gaps.append(
            f"{leaked} distinct message texts were written to the log at ERROR while Redis was down "
            "(Rasa's REST channel logs `rest.message.received.failure` with the text)"
        )
    return outcome


def rasa_restarted(stack: Stack, sizes: Sizes) -> Outcome:
    """The Rasa server restarted mid-conversation on endpoints.redis.yml: the conversation goes on."""
    n = sizes.restarted
    outcome = Outcome(
        "rasa_restarted", "The Rasa server restarted mid-conversation (Redis)",
        f'{n} conversations: "hello", "{CRISIS}", a FAQ question; the Rasa server (two workers, '
        '`endpoints.redis.yml`) is stopped (SIGTERM) and started again; then "tell me more", another '
        "FAQ question",
    )  # fmt: skip
    rid, log_from = run_id(), stack.log_size()
    before = [("hello", "chat"), (CRISIS, "crisis"), (FAQ[0], "faq")]
    after = [("tell me more", "chat"), (FAQ[1], "faq")]
    store = answers.AnswerStore(Path(stack.env["ALLIANCE_ANSWERS_DB"]))
    reminder = config.emergency().reminder
    conversations = [f"rest:soakrestart{rid}{c}" for c in range(n)]
    first = scripted(stack, conversations, before, 0, "before")
    old_workers = stack.workers()
    began = time.monotonic()
    clean = stack.kill("rasa", signal.SIGTERM)
    stopped = time.monotonic() - began
    started = stack.launch("rasa")
    if not clean:
        outcome.fail(f"the Rasa server did not stop on SIGTERM within {stopped:.0f} s (its workers were killed)")
    if not stack.alive("rasa") or set(stack.workers()) & set(old_workers) or len(stack.workers()) != 2:
        outcome.fail(f"after the restart the workers are {stack.workers()}, before {old_workers}")
    second = scripted(stack, conversations, after, len(before), "after")
    turns = first + second
    outcome.add("stop (s) / start until both workers are up (s)", f"{stopped:.1f} / {started:.1f}")
    outcome.notes.append(
        "The restart waits until both workers have loaded the model, not only until `/status` "
        "answers: a SIGTERM that reaches a worker still loading it is lost (Sanic 21.12 leaves the "
        "worker the handler it inherited from the main process), so the server never stops, and "
        "killing the main process leaves that worker serving the port."
    )
    for turn in turns:
        problem = reply_problems(turn, answer_reply)
        if problem:
            outcome.fail(problem)

    def previous(turn: Turn) -> Turn:
        return next(t for t in turns if t.conversation == turn.conversation and t.seq == turn.seq - 1)

    more = [t for t in second if t.text == "tell me more"]
    more_ok = [t for t in more if continues(store, previous(t), t)]
    outcome.add('"tell me more" after the restart continues the answer before it', f"{len(more_ok)} / {len(more)}")
    rewelcomed = [t for t in second if WELCOME in t.said]
    outcome.add("welcomed again after the restart", len(rewelcomed))
    faq_after = [t for t in second if t.kind == "faq"]
    reminded = [t for t in faq_after if t.said.endswith(reminder)]
    outcome.add("answers after the restart that remember the crisis (reminder)", f"{len(reminded)} / {len(faq_after)}")
    for turn in more:
        if turn not in more_ok:
            outcome.fail(f"{turn.name()}: not the longer text of the answer given before the restart")
    for turn in rewelcomed:
        outcome.fail(f"{turn.name()}: a new session after the restart")
    for turn in faq_after:
        if turn not in reminded:
            outcome.fail(f"{turn.name()}: the crisis before the restart was forgotten")
    total, wrong = audit_all(stack, turns)
    outcome.add("session_started events", f"{total.sessions} in {n} conversations")
    if total.sessions != n:
        outcome.fail(f"{total.sessions} sessions started in {n} conversations")
    check_audit(outcome, total, wrong)
    check_privacy(outcome, stack, turns, log_from)
    return outcome


def answers_broken(stack: Stack, sizes: Sizes) -> Outcome:
    """ALLIANCE_ANSWERS_DB missing, then garbage, then rebuilt in place (`stack` started with it missing)."""
    del sizes  # one conversation each time is enough
    db = Path(stack.env["ALLIANCE_ANSWERS_DB"])
    outcome = Outcome(
        "answers_broken", "The answer store missing or corrupt",
        "Both servers started with `ALLIANCE_ANSWERS_DB` naming a missing file; then the action server "
        "restarted on a file of 8 KiB of random bytes there; then the store rebuilt in place "
        "(as `make answers` does) with both servers running; each time, a conversation: "
        f'"hello", a FAQ question, "tell me more", "help", nonsense, "{CRISIS}", a FAQ question',
    )  # fmt: skip
    script = [("hello", "chat"), (FAQ[0], "faq"), ("tell me more", "chat"), ("help", "chat"),
              ("asdf qwerty", "chat"), (CRISIS, "crisis"), (FAQ[1], "faq")]  # fmt: skip
    rid = run_id()
    clear = {"missing": clear_no_store, "garbage": clear_no_store, "rebuilt": answer_reply}

    def startup_message(since: int) -> str:
        lines = [line for line in stack.log_text(since).splitlines() if "answer store" in line and " ERROR " in line]
        return lines[0].split(" - ", 1)[-1].strip().replace(f"{ROOT}/", "") if lines else ""

    if db.exists():
        raise ValueError(f"{db} exists: this scenario starts without an answer store")
    messages = {"missing": startup_message(0)}
    turns = {"missing": scripted(stack, [f"rest:soak-answers-{rid}-missing"], script, 0, "missing")}
    since = stack.log_size()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(os.urandom(8192))
    stack.kill("actions")
    stack.launch("actions")
    messages["garbage"] = startup_message(since)
    turns["garbage"] = scripted(stack, [f"rest:soak-answers-{rid}-garbage"], script, 0, "garbage")
    answers.build_database(config.answers_source(), db)
    turns["rebuilt"] = scripted(stack, [f"rest:soak-answers-{rid}-rebuilt"], script, 0, "rebuilt")
    for state, these in turns.items():
        faq = [t for t in these if t.kind == "faq"]
        shown = [t for t in these if LEAK.search(t.said)]
        if state in messages:
            said = f"`` {messages[state]} ``" if messages[state] else "nothing"  # it has backticks of its own
            outcome.add(f"{state}: the action server's log at start", said)
            if not messages[state]:
                outcome.fail(f"{state}: no message about the answer store when the action server started")
        outcome.add(f"{state}: FAQ replies {'with an answer' if state == 'rebuilt' else 'saying so clearly'}",
                    f"{sum(clear[state](t) for t in faq)} / {len(faq)}")  # fmt: skip
        crisis_ok = all(crisis_reply(t) for t in these if t.kind == "crisis")
        outcome.add(f"{state}: messages answered; the crisis reply given",
                    f"{sum(t.answered for t in these)} / {len(these)}; {'yes' if crisis_ok else 'NO'}")  # fmt: skip
        outcome.add(f"{state}: replies showing an error or stack trace", len(shown))
        for turn in these:
            problem = reply_problems(turn, clear[state])
            if problem:
                outcome.fail(problem)
        for turn in shown:
            outcome.fail(f"{turn.name()}: the reply shows an error")
    outcome.add("stack traces in the servers' log", stack.log_text().count("Traceback"))
    check_privacy(outcome, stack, [t for these in turns.values() for t in these])
    return outcome


def clear_no_store(turn: Turn) -> bool:
    return NO_STORE in turn.said or UNAVAILABLE in turn.said


# --- the run ----------------------------------------------------------------------------------


def fresh_answers(workdir: Path) -> Path:
    return answers.build_database(config.answers_source(), workdir / "answers.db")


def memory_stack(workdir: Path) -> Stack:
    return start_stack(workdir, fresh_answers(workdir))


def redis_stack(workdir: Path, redis_server: PrivateRedis, sizes: Sizes) -> Stack:
    env = servers.redis_workers_env(servers.private_prefix("soak"), url=redis_server.url)
    if sizes.lock_lifetime:
        env["TICKET_LOCK_LIFETIME"] = str(sizes.lock_lifetime)
    return start_stack(workdir, fresh_answers(workdir), endpoints="endpoints.redis.yml", env=env)


def broken_answers_stack(workdir: Path) -> Stack:
    return start_stack(workdir, workdir / "store" / "answers.db")


def run(sizes: Sizes, workdir: Path) -> list[Outcome]:
    """Every scenario at `sizes`, each group on servers of its own under `workdir`."""
    outcomes = []
    stack = memory_stack(workdir / "memory")
    try:
        outcomes += [load(stack, sizes), actions_killed(stack, sizes), actions_down_first(stack, sizes)]
    finally:
        stack.stop_all()
    redis_server = PrivateRedis(workdir / "redis" / "data")
    redis_server.start()
    try:
        stack = redis_stack(workdir / "redis", redis_server, sizes)
        try:
            outcomes += [redis_restarted(stack, redis_server, sizes), rasa_restarted(stack, sizes)]
        finally:
            stack.stop_all()
    finally:
        redis_server.close()
    stack = broken_answers_stack(workdir / "answers")
    try:
        outcomes.append(answers_broken(stack, sizes))
    finally:
        stack.stop_all()
    return outcomes


def section(outcomes: list[Outcome], seconds: float) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    lines = [
        BEGIN,
        "## Faults survived",
        "",
        f"Measured by `make soak` (`bench/soak.py`) on {dt.date.today().isoformat()}, in {seconds:.0f} s: "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, the servers, Redis and the callers "
        "on this one machine, over loopback. Every scenario runs the real Rasa server "
        "(`python -m bot.serving.launch run`, with the serving fixes) and the real action server, talks "
        "over REST, and then reads each conversation back through the HTTP API "
        "(`GET /conversations/<id>/tracker`): each message carries its number in its metadata, so every "
        "`user` event names the message it stores, and the bot events after it must be exactly the reply "
        "the caller got. Timings are figures, never pass or fail; `tests/e2e/test_soak.py` runs the same "
        "code smaller in `make test` and fails on any broken invariant.",
        "",
    ]
    broken = [o for o in outcomes if o.failures]
    gaps = [o for o in outcomes if o.gaps]
    summary = (
        "Every invariant held."
        if not broken
        else ("Broken invariants: " + "; ".join(f"{o.title.lower()} ({len(o.failures)})" for o in broken) + ".")
    )
    if gaps:
        summary += " Not yet as the issue asks: " + "; ".join(o.title.lower() for o in gaps) + " (below)."
    lines += [summary, ""]
    for outcome in outcomes:
        lines += [f"### {outcome.title}", "", outcome.done + ".", "", "| figure | value |", "| --- | ---: |"]
        lines += [f"| {label} | {value} |" for label, value in outcome.figures]
        lines.append("")
        if outcome.failures:
            lines += ["Broken:", ""] + [f"- {f}" for f in outcome.failures[:10]] + [""]
        if outcome.gaps:
            lines += ["Not yet:", ""] + [f"- {g}" for g in outcome.gaps] + [""]
        for note in outcome.notes:
            lines += [note, ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_report(text: str, path: Path = REPORT) -> None:
    """Put the soak section in `path`, in place of the last one; what others wrote there stays."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            new = head + text.rstrip("\n") + rest.split(END, 1)[1]
        else:
            new = old.rstrip("\n") + "\n\n" + text
    else:
        new = "# Reliability\n\nHow Alliance holds up under load and faults, measured on real servers.\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the sizes of the e2e test, for a quick look")
    parser.add_argument("--no-report", action="store_true", help=f"print only, don't write {REPORT.relative_to(ROOT)}")
    args = parser.parse_args()
    if not servers.MODEL.exists():
        print(f"{servers.MODEL} is missing: run `make setup` first", file=sys.stderr)
        return 2
    sizes = SHORT if args.short else FULL
    shutil.rmtree(OUT, ignore_errors=True)
    began = time.monotonic()
    outcomes = run(sizes, OUT)
    text = section(outcomes, time.monotonic() - began)
    print(text)
    if not args.no_report:
        write_report(text)
        print(f"wrote {REPORT.relative_to(ROOT)}; the servers' logs are under {OUT.relative_to(ROOT)}/")
    return 1 if any(o.failures for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
