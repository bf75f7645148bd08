"""The size limits of what the Rasa server accepts, set before Sanic reads its configuration.

Sanic accepts 100 MB bodies by default, and python-socketio a megabyte per message:
either lets one request hold a worker for seconds. With `ALLIANCE_MAX_BODY_BYTES`
(64 KiB by default) every channel answers a larger request with 413 (Sanic's
`REQUEST_MAX_SIZE`, read from `SANIC_`-prefixed variables when the app is made) and
the widget's socket.io drops a larger message (`bot/channels/widget.py`). Longer
messages within it are read whole by the crisis check, then answered with a request
for a shorter one (`ALLIANCE_MAX_MESSAGE_CHARS`, bot/safety/guard.py).
"""

from __future__ import annotations

import os

from bot import config


def apply() -> None:
    """Set Sanic's request and websocket limits for this process and the workers it starts."""
    limit = str(config.max_body_bytes())
    os.environ["SANIC_REQUEST_MAX_SIZE"] = limit
    os.environ["SANIC_WEBSOCKET_MAX_SIZE"] = limit
