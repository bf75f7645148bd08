"""The commands `make chat` and `make serve` run (printed by `make -n`, not run)."""

from __future__ import annotations

import subprocess

from bot import config


def dry_run(*args: str) -> str:
    return subprocess.run(
        ["make", "-n", *args], cwd=config.ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_chat_starts_the_action_server_and_the_shell_through_the_launcher() -> None:
    commands = dry_run("chat")
    assert "-m rasa_sdk --actions actions --port 5055" in commands
    assert "SANIC_HOST=127.0.0.1" in commands  # the action server stays on loopback
    assert "-m bot.serving.launch shell --model models/alliance.tar.gz --endpoints endpoints.yml" in commands


def test_serve_uses_redis_only_with_several_workers() -> None:
    one, two = dry_run("serve"), dry_run("serve", "WORKERS=2")
    assert "-m rasa_sdk --actions actions --port 5055" in one
    assert "SANIC_WORKERS=1" in one and "--endpoints endpoints.yml " in one
    assert "SANIC_WORKERS=2" in two and "--endpoints endpoints.redis.yml " in two
