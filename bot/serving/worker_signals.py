"""Fix: a Sanic worker started while the server is still starting obeys SIGTERM.

With several workers (`SANIC_WORKERS`), Sanic 21.12 forks each worker with the main
process's SIGTERM handler, which forwards the signal to the workers the main process
knows of. A worker that receives SIGTERM before it has installed its own handler (it
is still loading the model) runs that inherited handler, which has no workers to
forward to, and the signal is lost: the worker never stops, the main process waits
for it for ever, and stopping the main process leaves it serving the port. A forked
child starts with the default SIGTERM (stop) until Sanic installs its own graceful
handler, which it does once the worker's server starts.
"""

from __future__ import annotations

import os
import signal

_installed = False


def _default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def install() -> None:
    global _installed
    if not _installed:
        os.register_at_fork(after_in_child=_default_sigterm)
        _installed = True
