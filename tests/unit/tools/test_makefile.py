"""The commands `make chat` and `make serve` run (printed by `make -n`, not run), and what chat starts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import config
from bot.tools import chat, cli

MAKEFILE_WARNINGS = "ignore::DeprecationWarning,ignore::PendingDeprecationWarning"


def dry_run(*args: str) -> str:
    return subprocess.run(
        ["make", "-n", *args], cwd=config.ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_chat_runs_the_supervisor_with_the_makefile_ports() -> None:
    assert ".venv/bin/python -m bot chat --model models/alliance.tar.gz --actions-port 5055 --rasa-port 5005" in (
        dry_run("chat")
    )
    assert "-m bot chat --model models/alliance.tar.gz --actions-port 6055 --rasa-port 6005" in dry_run(
        "chat", "ACTIONS_PORT=6055", "RASA_PORT=6005"
    )


def test_the_chat_command_line_reaches_the_supervisor(monkeypatch: pytest.MonkeyPatch) -> None:
    called = {}
    monkeypatch.setattr(chat, "chat", lambda *args: called.setdefault("args", args) and 0)
    monkeypatch.chdir(config.ROOT)
    cli.main(["chat", "--model", "models/alliance.tar.gz", "--actions-port", "6055", "--rasa-port", "6005"])
    assert called["args"] == (config.ROOT / "models/alliance.tar.gz", config.ROOT / "endpoints.yml", 6055, 6005)


def test_the_action_server_is_rasa_sdk_on_loopback() -> None:
    command = chat.actions_command(5055)
    assert command[:3] == [sys.executable, "-m", "bot.tools.chat"]
    assert command[3:] == ["rasa_sdk", "--actions", "actions", "--port", "5055", "--quiet"]
    assert chat.actions_env(5055, base={})["SANIC_HOST"] == "127.0.0.1"  # the action server stays on loopback
    assert chat.actions_env(5055, base={"SANIC_HOST": "0.0.0.0"})["SANIC_HOST"] == "127.0.0.1"


def test_the_shell_goes_through_the_launcher_on_loopback() -> None:
    model, endpoints = config.ROOT / "models/alliance.tar.gz", config.ROOT / "endpoints.yml"
    command = chat.shell_command(model, endpoints, 5005)
    assert command[:3] == [sys.executable, "-m", "bot.tools.chat"]
    assert command[3:] == [
        "bot.serving.launch", "shell", "--model", str(model), "--endpoints", str(endpoints),
        "-i", "127.0.0.1", "--port", "5005", "--quiet",
    ]  # fmt: skip


def test_the_children_get_the_makefile_defaults_unless_the_environment_says_otherwise() -> None:
    env = chat.shell_env(6055, base={})
    assert env["ALLIANCE_ACTION_URL"] == "http://127.0.0.1:6055/webhook"
    assert env["RASA_TELEMETRY_ENABLED"] == "false" and env["SQLALCHEMY_SILENCE_UBER_WARNING"] == "1"
    exported = {"ALLIANCE_ACTION_URL": "http://127.0.0.1:7000/webhook", "RASA_TELEMETRY_ENABLED": "true"}
    assert chat.shell_env(6055, base=exported).items() >= exported.items()


NOISY = textwrap.dedent(
    """
    import sys
    import warnings

    import sanic  # puts a "once" filter for DeprecationWarning ahead of PYTHONWARNINGS

    warnings.filterwarnings("once", category=UserWarning)  # as Rasa's logging set-up does
    warnings.warn("noisy deprecation", DeprecationWarning)
    warnings.warn("noisy user warning", UserWarning)
    warnings.warn("noisy future", FutureWarning)
    warnings.warn("a real runtime problem", RuntimeWarning)
    print("a real error", file=sys.stderr)
    """
)


@pytest.mark.parametrize("through_chat", [False, True], ids=["plain-python", "chat-runner"])
def test_the_chat_runner_filters_the_dependencies_warnings_only(tmp_path: Path, through_chat: bool) -> None:
    (tmp_path / "noisy.py").write_text(NOISY)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), PYTHONWARNINGS=MAKEFILE_WARNINGS)
    command = [sys.executable, "-m", *(["bot.tools.chat"] if through_chat else []), "noisy"]
    run = subprocess.run(command, cwd=config.ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert "a real runtime problem" in run.stderr and "a real error" in run.stderr
    noise = [text in run.stderr for text in ("noisy deprecation", "noisy user warning", "noisy future")]
    # The Makefile's PYTHONWARNINGS alone doesn't hold against sanic's and Rasa's own "once" filters.
    assert noise == [not through_chat] * 3


def test_serve_uses_redis_only_with_several_workers() -> None:
    one, two = dry_run("serve"), dry_run("serve", "WORKERS=2")
    assert "-m rasa_sdk --actions actions --port 5055" in one
    assert "SANIC_WORKERS=1" in one and "--endpoints endpoints.yml " in one
    assert "SANIC_WORKERS=2" in two and "--endpoints endpoints.redis.yml " in two
