"""`alliance chat` (`make chat`): talk to Alliance in this terminal, and leave nothing running after.

A small supervisor starts two children, the action server and Rasa's shell, and
ends both when the chat ends: by `/stop`, Ctrl-C, Ctrl-D, a hang-up or SIGTERM.
A terminal that closes under `make` sends no signal to the processes below it
(the kernel hangs up the session leader only), so the supervisor also watches its
terminal and treats the hang-up like SIGHUP. Each child gets Linux's parent-death
signal too, so it ends even when the supervisor is killed outright.

Both children run through `python -m bot.tools.chat MODULE ARGS`, which runs
MODULE as `python -m MODULE ARGS` does, without the warnings Rasa's dependencies
print at every start. Sanic and Rasa put their own "once" filters for
DeprecationWarning and UserWarning ahead of any PYTHONWARNINGS or earlier filter,
so the categories are also dropped where warnings are shown; RuntimeWarning and
the rest still show, and so do errors. That the shell ends on Ctrl-D and on Ctrl-C
at a button question is one of the serving fixes (bot/serving/console.py).
"""

from __future__ import annotations

import ctypes
import logging
import os
import runpy
import select
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Sequence, TextIO

from bot import config

logger = logging.getLogger(__name__)

RUNNER = "bot.tools.chat"
DEFAULT_MODEL = config.ROOT / "models" / "alliance.tar.gz"
DEFAULT_ENDPOINTS = config.ROOT / "endpoints.yml"
DEFAULT_ACTIONS_PORT = 5055
DEFAULT_RASA_PORT = 5005
# Seconds a child gets to exit after SIGTERM before it is killed.
STOP_GRACE = 5.0
# How often the supervisor looks at its children and its terminal, in seconds.
TICK = 0.2

# What the children get unless the caller's environment says otherwise (the Makefile exports the same).
ENV_DEFAULTS = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}

# The warning categories Rasa's dependencies print: DeprecationWarning (pkg_resources in apscheduler and
# namespace packages, distutils in sanic_cors, click in typer and spaCy, SQLAlchemy's 2.0 warnings),
# pyparsing's PyparsingDeprecationWarning (a UserWarning too) from matplotlib and packaging, Rasa's own
# UserWarnings, and FutureWarning from numpy, scikit-learn and TensorFlow.
QUIET = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning, ImportWarning, ResourceWarning)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def actions_command(port: int) -> list[str]:
    """The action server, rasa_sdk, on `port`; `actions_env` keeps it on loopback."""
    return [sys.executable, "-m", RUNNER, "rasa_sdk", "--actions", "actions", "--port", str(port), "--quiet"]


def shell_command(model: Path, endpoints: Path, port: int) -> list[str]:
    """Rasa's shell through bot.serving.launch (the serving fixes), its server on loopback `port`."""
    return [
        sys.executable, "-m", RUNNER, "bot.serving.launch", "shell",
        "--model", str(model), "--endpoints", str(endpoints), "-i", "127.0.0.1", "--port", str(port), "--quiet",
    ]  # fmt: skip


def shell_env(actions_port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of both children: the caller's, with the defaults and the action server's URL."""
    env = dict(os.environ if base is None else base)
    for name, value in ENV_DEFAULTS.items():
        env.setdefault(name, value)
    env.setdefault("ALLIANCE_ACTION_URL", f"http://127.0.0.1:{actions_port}/webhook")
    return env


def actions_env(actions_port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The action server's environment: Sanic listens on loopback only."""
    return {**shell_env(actions_port, base), "SANIC_HOST": "127.0.0.1"}


def _die_with_parent(own_group: bool) -> Callable[[], None]:
    """A `preexec_fn`: the child gets SIGTERM when the supervisor dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        if own_group:
            os.setpgid(0, 0)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _stop(procs: Sequence[subprocess.Popen], grace: float = STOP_GRACE) -> None:
    """SIGTERM every child still running, then SIGKILL whichever is still there after `grace` seconds."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _terminal(stream: TextIO) -> int | None:
    """The file descriptor of `stream` if it is a terminal, else None."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


@dataclass
class Supervisor:
    """Runs the action server and the shell; `run` returns when the chat ends, with nothing left running."""

    model: Path = DEFAULT_MODEL
    endpoints: Path = DEFAULT_ENDPOINTS
    actions_port: int = DEFAULT_ACTIONS_PORT
    rasa_port: int = DEFAULT_RASA_PORT
    cwd: Path = config.ROOT
    children: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    stop_signal: int | None = field(default=None, init=False)

    def run(self) -> int:
        """The shell's exit code, or 128 + the signal that ended the chat (SIGHUP for a closed terminal)."""
        handled = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in handled}
        try:
            self._start()
            return self._wait()
        finally:
            _stop(list(self.children.values()))
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start(self) -> None:
        # The action server has its own process group and no stdin: the terminal's Ctrl-C is the shell's to
        # handle, and the action server ends when the shell does.
        self.children["actions"] = subprocess.Popen(
            actions_command(self.actions_port), cwd=self.cwd, env=actions_env(self.actions_port),
            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent(own_group=True),
        )  # fmt: skip
        self.children["shell"] = subprocess.Popen(
            shell_command(self.model, self.endpoints, self.rasa_port), cwd=self.cwd,
            env=shell_env(self.actions_port), preexec_fn=_die_with_parent(own_group=False),
        )  # fmt: skip

    def _wait(self) -> int:
        shell, actions = self.children["shell"], self.children["actions"]
        tty = _terminal(sys.stdin)
        poller = select.poll()
        if tty is not None:
            poller.register(tty, 0)  # no events asked for: poll reports only a hang-up or an error
        actions_reported = False
        while True:
            code = shell.poll()
            if code is not None:
                return code
            if self.stop_signal is not None:
                return 128 + self.stop_signal
            if not actions_reported and actions.poll() is not None:
                actions_reported = True
                logger.warning("The action server exited with code %s: answers need it.", actions.returncode)
            if tty is None:
                time.sleep(TICK)
            elif poller.poll(TICK * 1000):
                return 128 + signal.SIGHUP  # the terminal closed

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum != signal.SIGINT:
            self.stop_signal = signum
            return
        # Ctrl-C: the shell decides. The terminal sends it to the whole foreground process group, the shell
        # included; a SIGINT sent to the supervisor alone goes on to the shell.
        shell = self.children.get("shell")
        if shell is not None and shell.poll() is None and not self._terminal_sent_it():
            shell.send_signal(signal.SIGINT)

    @staticmethod
    def _terminal_sent_it() -> bool:
        tty = _terminal(sys.stdin)
        try:
            return tty is not None and os.tcgetpgrp(tty) == os.getpgrp()
        except OSError:
            return False


def chat(model: Path, endpoints: Path, actions_port: int, rasa_port: int) -> int:
    """Talk to Alliance in this terminal; returns the exit code for the command line."""
    return Supervisor(model, endpoints, actions_port, rasa_port).run()


# What runs inside the children.


def quiet_warnings() -> None:
    """Filter the QUIET categories, and drop them where warnings are shown, past other filters."""
    for category in QUIET:
        warnings.filterwarnings("ignore", category=category)
    show = warnings.showwarning

    def show_unless_quiet(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        if not issubclass(category, QUIET):
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_unless_quiet


def run_module(argv: Sequence[str]) -> None:
    """`python -m bot.tools.chat MODULE ARGS`: MODULE as `python -m` runs it, without the warnings."""
    if not argv:
        raise SystemExit(f"usage: python -m {RUNNER} MODULE [ARGS...]")
    quiet_warnings()
    module, *args = argv
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    run_module(sys.argv[1:])
