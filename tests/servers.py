"""Starts the real Rasa server and action server for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import config

BIN = Path(sys.executable).parent
MODEL = config.ROOT / "models" / "alliance.tar.gz"
# How the project runs Rasa (bot/serving/launch.py); `make bench` starts stock Rasa with plain `rasa`.
LAUNCH = (sys.executable, "-m", "bot.serving.launch")
STOCK = (str(BIN / "rasa"),)
# The action server: rasa_sdk itself, or, for stock Rasa, through Rasa's command line.
ACTIONS = {False: (sys.executable, "-m", "rasa_sdk"), True: (*STOCK, "run", "actions")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP port listens on, read from /proc/net (IPv4 and IPv6)."""
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if v6:
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, raw))
            else:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
    return found


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", SANIC_HOST="127.0.0.1")
    env.update(extra)
    return env


@dataclass
class Servers:
    """A running pair; `stop_actions` simulates the action server going down."""

    rasa_url: str
    actions_url: str
    token: str
    log: Path
    escalations_db: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def send(self, text: str, sender: str) -> list[dict]:
        r = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        r.raise_for_status()
        return r.json()

    @property
    def records_db(self) -> Path:
        """The records database the servers write (ALLIANCE_RECORDS_DB, in their workdir unless set)."""
        return self.log.parent / "records.db"

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def start(
    workdir: Path,
    answers_db: Path,
    extra_args: tuple[str, ...] = (),
    with_actions: bool = True,
    model: Path = MODEL,
    rasa: tuple[str, ...] = LAUNCH,
    endpoints: str = "endpoints.yml",
    env: dict[str, str] | None = None,
) -> Servers:
    """Start the action server and `rasa run` with the API behind a token, on free loopback ports.

    Without `with_actions` the action endpoint points at a port nobody listens on.
    """
    actions_port, rasa_port = free_port(), free_port()
    token = "e2e-" + os.urandom(8).hex()
    log = workdir / "servers.log"
    env = _env(
        **{
            "ALLIANCE_ANSWERS_DB": str(answers_db),
            "ALLIANCE_ESCALATIONS_DB": str(workdir / "escalations.db"),
            "ALLIANCE_RECORDS_DB": str(workdir / "records.db"),
            "ALLIANCE_ACTION_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "ALLIANCE_API_TOKEN": token,  # our launcher reads it from the environment, never argv
            **(env or {}),  # the caller's settings win
        }
    )
    servers = Servers(
        f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}", token, log, workdir / "escalations.db"
    )
    out = log.open("ab")
    if with_actions:
        servers.procs["actions"] = subprocess.Popen(
            [*ACTIONS[rasa == STOCK], "--actions", "actions", "--port", str(actions_port)],
            cwd=config.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    servers.procs["rasa"] = subprocess.Popen(
        [
            *rasa, "run", "--model", str(model), "--endpoints", endpoints,
            "--credentials", "credentials.yml", "-i", "127.0.0.1", "--port", str(rasa_port),
            "--enable-api", *(("--auth-token", token) if rasa == STOCK else ()), *extra_args,
        ],
        cwd=config.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        if with_actions:
            wait_for(f"{servers.actions_url}/health", servers.procs["actions"])
        wait_for(f"{servers.rasa_url}/", servers.procs["rasa"])
        wait_for(f"{servers.rasa_url}/status?token={token}", servers.procs["rasa"])
    except Exception:
        servers.stop_all()
        print(log.read_text(errors="replace")[-5000:])
        raise
    return servers


def private_prefix(stem: str) -> str:
    """A Redis key prefix no other run uses (letters and digits only, as Rasa requires)."""
    return f"{stem}{os.getpid()}x{os.urandom(3).hex()}"


REDIS_URL = "redis://localhost:6379/0"


def redis_workers_env(prefix: str, workers: int = 2, url: str = REDIS_URL) -> dict[str, str]:
    """Environment for `workers` Sanic workers on endpoints.redis.yml, keys under `prefix`."""
    if not prefix.isalnum():
        raise ValueError(f"Redis key prefix {prefix!r}: letters and digits only, or Rasa ignores it")
    return {"SANIC_WORKERS": str(workers), "ALLIANCE_REDIS_URL": url, "ALLIANCE_REDIS_PREFIX": prefix}


def forget_conversations(prefix: str, url: str = REDIS_URL) -> None:
    """Delete the trackers, locks and delivery records stored under `prefix`."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def vote_fields(row: dict) -> dict:
    """What a recorded vote says: who asked from where, about which answer, and the vote."""
    return {key: row[key] for key in ("channel", "topic", "vote", "version")}


def expected_vote(channel: str, answer: object, vote: str) -> dict:
    """The vote row for `answer` (an `Answer`) from `channel`."""
    from bot.stores import records

    version = records.answer_version(answer.reviewed, answer.short, answer.more)  # type: ignore[attr-defined]
    return {"channel": channel, "topic": answer.topic, "vote": vote, "version": version}  # type: ignore[attr-defined]
