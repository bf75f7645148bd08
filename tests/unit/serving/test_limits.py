"""The launcher's limits and token: what the Rasa server accepts, and a token no `ps` shows."""

from __future__ import annotations

import os

import pytest

from bot.serving import launch, limits


def test_the_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_API_TOKEN", "s3cret")
    assert launch.with_token(["run", "--enable-api", "--port", "5005"]) == [
        "run", "--enable-api", "--port", "5005", "--auth-token", "s3cret",
    ]  # fmt: skip
    assert launch.with_token(["run", "--port", "5005"]) == ["run", "--port", "5005"]  # no API, no token
    assert launch.with_token(["train"]) == ["train"]


def test_an_api_without_a_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_API_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="ALLIANCE_API_TOKEN"):
        launch.with_token(["run", "--enable-api"])


def test_sanic_gets_the_body_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MAX_BODY_BYTES", "4096")
    monkeypatch.delenv("SANIC_REQUEST_MAX_SIZE", raising=False)
    monkeypatch.delenv("SANIC_WEBSOCKET_MAX_SIZE", raising=False)
    limits.apply()
    assert os.environ["SANIC_REQUEST_MAX_SIZE"] == os.environ["SANIC_WEBSOCKET_MAX_SIZE"] == "4096"

    from sanic.config import Config

    assert Config().REQUEST_MAX_SIZE == 4096  # Sanic reads it when an app is made


def test_long_messages_are_parsed_off_the_loop_when_serving() -> None:
    fixes = {fix.name: fix.scope for fix in launch.FIXES}
    assert fixes["long messages parsed off the event loop"] == launch.SERVING


def test_a_forked_worker_starts_with_the_default_sigterm() -> None:
    """Sanic's workers are forked with the main process's SIGTERM handler; ours get the default until theirs."""
    import signal

    from bot.serving import worker_signals

    worker_signals.install()
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # the main process's forwarding handler
    try:
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(0 if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
