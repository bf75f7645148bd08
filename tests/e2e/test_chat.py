"""End to end: `python -m bot chat` in a real terminal, and nothing of it left running however the chat ends."""

from __future__ import annotations

import fcntl
import os
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import requests

from bot import config
from bot.content import answers, replies
from bot.stores import records
from tests import servers

pytestmark = pytest.mark.e2e

PROMPT = "Your input ->"
BUTTONS = "(Use arrow keys)"  # questionary's hint under a button question
READY_TIMEOUT = 240.0
GONE_TIMEOUT = 60.0
# How Python prints a warning: "path:line: SomeWarning: message".
WARNING_LINE = re.compile(r"\w+Warning: ")
ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>])")


def _state(pid: int) -> str | None:
    """The process state letter from /proc, or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z", "X")  # a zombie has exited: only its exit status is left


def descendants(pid: int) -> dict[int, str]:
    """The processes below `pid`, with their command lines."""
    found = children(pid)
    for child in list(found):
        found.update(descendants(child))
    return found


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = " ".join(a.decode(errors="replace") for a in argv if a)
    return found


def _controlling_terminal() -> None:
    """In the child, after setsid: the pty on stdin becomes the session's controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@dataclass
class Terminal:
    """`python -m bot chat` in a new session on a pseudo-terminal whose master side is this test's."""

    leader: subprocess.Popen
    master: int
    actions_port: int
    raw: bytearray = field(default_factory=bytearray)
    open: bool = True

    def text(self) -> str:
        return ESCAPES.sub("", self.raw.decode(errors="replace"))

    def read_until(self, done: Callable[[], bool], what: str, timeout: float = READY_TIMEOUT) -> None:
        """Read the terminal's output until `done()` holds; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout:.0f} s; the terminal shows:\n{self.text()[-3000:]}")
            if self.open and select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.raw += os.read(self.master, 65536)
                except OSError:  # EIO: nothing has the terminal open any more
                    self.open = False
            else:
                time.sleep(0.2)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def hang_up(self) -> None:
        """Close the master side, as a terminal window or tmux closing does: the kernel hangs up the pty."""
        os.close(self.master)
        self.master, self.open = -1, False

    def close(self, pids: list[int]) -> None:
        """Whatever a failed test left: the terminal, the session and `pids` go."""
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.leader.poll() is None:
            os.killpg(self.leader.pid, signal.SIGKILL)
        self.leader.wait(30)


def start_chat(workdir: Path, under_make: bool) -> Terminal:
    """The chat with free ports and private stores, leading its session or, with `under_make`, run by make.

    On a hang-up the kernel signals the session leader only, and the rest of the session when the
    leader exits. make, the leader of `make chat` in a terminal, doesn't exit on SIGHUP: it waits for
    its recipe first, so nothing signals the chat, which has to see the closed terminal itself.
    """
    actions_port, rasa_port = servers.free_port(), servers.free_port()
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    env = dict(
        os.environ,
        TERM="xterm",
        ALLIANCE_ANSWERS_DB=str(db),
        ALLIANCE_ESCALATIONS_DB=str(workdir / "escalations.db"),
        ALLIANCE_RECORDS_DB=str(workdir / "records.db"),
    )
    env.pop("ALLIANCE_ACTION_URL", None)  # the chat points Rasa at its own action server
    command = [sys.executable, "-m", "bot", "chat", "--actions-port", str(actions_port), "--rasa-port", str(rasa_port)]
    if under_make:
        (workdir / "Makefile").write_text(f"chat:\n\t@{shlex.join(command)}\n")
        command = ["make", "-s", "-f", str(workdir / "Makefile"), "chat"]
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    try:
        leader = subprocess.Popen(
            command, cwd=config.ROOT, env=env, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, preexec_fn=_controlling_terminal,
        )  # fmt: skip
    finally:
        os.close(slave)
    return Terminal(leader, master, actions_port)


def actions_answer(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Running:
    """The processes of a chat that has reached its prompt."""

    terminal: Terminal
    supervisor: int
    actions: int
    shell: int

    @property
    def pids(self) -> list[int]:
        return list(dict.fromkeys([self.terminal.leader.pid, self.supervisor, self.actions, self.shell]))


@pytest.fixture
def chat(tmp_path: Path):
    opened: list[tuple[Terminal, list[int]]] = []

    def open_chat(under_make: bool = False) -> Running:
        terminal = start_chat(tmp_path, under_make)
        pids: list[int] = []
        opened.append((terminal, pids))
        terminal.read_until(
            lambda: PROMPT in terminal.text() and actions_answer(terminal.actions_port), "prompt and action server"
        )
        if under_make:
            (supervisor,) = [pid for pid, argv in descendants(terminal.leader.pid).items() if " -m bot chat " in argv]
        else:
            supervisor = terminal.leader.pid
        kids = children(supervisor)
        (actions,) = [pid for pid, argv in kids.items() if " rasa_sdk --actions actions " in argv]
        (shell,) = [pid for pid, argv in kids.items() if " bot.serving.launch shell " in argv]
        running = Running(terminal, supervisor, actions, shell)
        pids.extend(running.pids)
        assert all(alive(pid) for pid in running.pids)
        assert os.getsid(supervisor) == terminal.leader.pid
        listening = servers.listening_addresses(terminal.actions_port)
        assert listening and listening <= {"127.0.0.1", "::1"}  # the action server stays on loopback
        return running

    yield open_chat
    for terminal, pids in opened:
        terminal.close(pids)


def assert_nothing_left(running: Running) -> None:
    port = running.terminal.actions_port
    deadline = time.monotonic() + GONE_TIMEOUT
    while time.monotonic() < deadline:
        left = [pid for pid in running.pids if alive(pid)]
        if not left and not servers.listening_addresses(port):
            return
        time.sleep(0.2)
    raise AssertionError(f"still running after {GONE_TIMEOUT:.0f} s: {left}; port {port} listening")


def test_chat_starts_without_a_page_of_warnings(chat) -> None:
    running = chat()
    before_prompt = running.terminal.text().split(PROMPT)[0]
    assert "Bot loaded" in before_prompt
    assert not WARNING_LINE.search(before_prompt), before_prompt


@pytest.mark.parametrize("under_make", [False, True], ids=["chat-leads-the-session", "under-make"])
def test_closing_the_terminal_ends_every_process(chat, under_make: bool) -> None:
    running = chat(under_make)
    running.terminal.hang_up()
    assert_nothing_left(running)
    code = running.terminal.leader.wait(30)
    if not under_make:
        assert code == 128 + signal.SIGHUP


@pytest.mark.parametrize("keys", [b"\x04", b"\x03", b"/stop\r"], ids=["ctrl-d", "ctrl-c", "stop"])
def test_ending_the_chat_at_the_prompt_ends_every_process(chat, keys: bytes) -> None:
    running = chat()
    running.terminal.type(keys)
    assert_nothing_left(running)
    assert running.terminal.leader.wait(30) == 0


def test_ctrl_c_at_a_button_question_ends_every_process(chat) -> None:
    running = chat()
    terminal = running.terminal
    terminal.type(b"can I text my therapist?\r")
    terminal.read_until(lambda: BUTTONS in terminal.text(), "button question", timeout=120)
    terminal.type(b"\x03")
    assert_nothing_left(running)
    assert terminal.leader.wait(30) == 0


DOWN = b"\x1b[B"  # the arrow key, as a terminal sends it


def test_choosing_helpful_after_an_answer_records_a_vote(chat, tmp_path: Path) -> None:
    running = chat()
    terminal, db = running.terminal, tmp_path / "records.db"  # the chat's ALLIANCE_RECORDS_DB
    store = answers.AnswerStore(tmp_path / "answers.db")
    texting = store.get("faq_texting")
    titles = [b["title"] for b in replies.answer_topic(store, "faq_texting").messages[-1]["buttons"]]
    terminal.type(b"can I text my therapist?\r")
    terminal.read_until(lambda: BUTTONS in terminal.text(), "button question", timeout=120)
    shown = terminal.text()
    assert f"{titles.index('Helpful') + 1}: Helpful (/feedback_helpful)" in shown
    assert f"{titles.index('Not helpful') + 1}: Not helpful (/feedback_not_helpful)" in shown
    assert records.rows("votes", db) == []

    terminal.type(DOWN * titles.index("Helpful") + b"\r")  # the choices start at the first
    terminal.read_until(lambda: replies.VOTE_THANKS in terminal.text(), "thanks for the vote", timeout=120)
    [vote] = records.rows("votes", db)
    assert servers.vote_fields(vote) == servers.expected_vote("cmdline", texting, records.HELPFUL)
    [turn] = records.rows("turns", db)
    assert (turn["channel"], turn["topic"], turn["kind"]) == ("cmdline", "faq_texting", records.ANSWER)

    terminal.type(b"/stop\r")
    assert_nothing_left(running)
