"""`python -m bot.serving.launch ARGS`: Rasa's own command line, with the serving fixes in place.

Which fixes a command gets depends on what it does: every command gets the ones
that give Rasa's results exactly, whoever asks; commands that predict turn after
turn (`run`, `shell`, `test core`) also keep what they computed between messages;
commands that serve (`run`, `shell`) also read the model without its training
graph and refuse model changes over the HTTP API. `guard` can turn them all off.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from bot import config
from bot.serving import (
    action_calls,
    action_failures,
    collector,
    console,
    graph_runner,
    guard,
    limits,
    model_api,
    off_loop,
    rule_matching,
    tensorflow,
    worker_signals,
)
from bot.serving import tracker_caches as caches

logger = logging.getLogger(__name__)

EVERY, PREDICTING, SERVING = "every command", "predicting", "serving"


@dataclass(frozen=True)
class Fix:
    name: str
    install: Callable[[], None]
    scope: str  # the commands that get it: EVERY, PREDICTING or SERVING


# In the order they are installed: TensorFlow's import hooks before anything imports Rasa.
FIXES = (
    Fix("TensorFlow kept out", tensorflow.defer_tensorflow, EVERY),
    Fix("prediction graph only", tensorflow.serve_prediction_graph_only, SERVING),
    Fix("action calls", action_calls.install, EVERY),
    Fix("failed custom actions answered by the Rasa server", action_failures.install, EVERY),
    Fix("tracker caches", caches.install, EVERY),
    Fix("continued states and tracker copies", caches.install_predicting, PREDICTING),
    Fix("rule matching", rule_matching.install, EVERY),
    Fix("remembered rule matches", rule_matching.install_predicting, PREDICTING),
    Fix("graph runner", graph_runner.install, EVERY),
    Fix("collector frozen after the model loads", collector.install, EVERY),
    Fix("long messages parsed off the event loop", off_loop.install, SERVING),
    Fix("model changes over the HTTP API refused", model_api.install, SERVING),
    Fix("the shell ends on Ctrl-D and on Ctrl-C at buttons", console.install, SERVING),
    Fix("workers obey SIGTERM while they start", worker_signals.install, SERVING),
)


def scopes(args: Sequence[str]) -> set[str]:
    """Which kinds of fixes a Rasa command line gets."""
    serving = list(args[:1]) in (["run"], ["shell"]) and list(args[1:2]) != ["actions"]
    predicting = serving or list(args[:2]) == ["test", "core"]
    return {EVERY} | ({PREDICTING} if predicting else set()) | ({SERVING} if serving else set())


def prepare(args: Sequence[str]) -> list[Fix]:
    """Install the fixes the command gets and return them; none, with one warning, when they can't apply."""
    wanted = [fix for fix in FIXES if fix.scope in scopes(args)]
    reason = guard.why_stock()
    if reason is not None:
        logger.warning(
            "Alliance runs as stock Rasa, without its serving fixes (%s). Left out: %s.",
            reason,
            ", ".join(fix.name for fix in wanted),
        )
        return []
    for fix in wanted:
        fix.install()
    return wanted


def with_token(args: Sequence[str]) -> list[str]:
    """`run --enable-api` with the token from ALLIANCE_API_TOKEN, which so never appears in `ps`.

    Only this process's own `sys.argv` gets it (the command line the system shows is
    the one it was started with). An API without a token would hand any caller every
    therapy conversation, so that refuses to start.
    """
    args = list(args)
    if args[:1] != ["run"] or "--enable-api" not in args or "--auth-token" in args:
        return args
    token = config.api_token()
    if token is None:
        raise SystemExit("--enable-api needs ALLIANCE_API_TOKEN: the HTTP API exposes every conversation.")
    return [*args, "--auth-token", token]


def main(argv: Sequence[str] | None = None) -> None:
    """Run Rasa's command line with the fixes in place."""
    args = with_token(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        limits.apply()  # not a fix: the limits hold with stock Rasa too
    prepare(args)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
