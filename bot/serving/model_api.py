"""Fix: the HTTP API refuses to train or load a model in a server running the serving fixes.

Those fixes keep states, rule matches and tracker copies that assume one model loaded
once, and training in a serving process would run under fixes meant only for
prediction. So `POST /model/train` and `PUT /model` answer 409 with the reason, after
Rasa's own token check. Train with `make train` and restart the server instead, or
run it with `ALLIANCE_STOCK_RASA=1`, which leaves both endpoints to Rasa.
"""

from __future__ import annotations

import inspect
import logging
from http import HTTPStatus
from typing import Any

from bot.serving.patching import original, replace

logger = logging.getLogger(__name__)

REFUSED = {("POST", "/model/train"), ("PUT", "/model")}
REASON = "ModelChangeRefused"
MESSAGE = (
    "This server runs Alliance's serving fixes, which assume the model it started with: it does not "
    "train or load models over the HTTP API. Train with `make train` and restart the server, or run "
    "it with ALLIANCE_STOCK_RASA=1."
)


def refusal() -> dict[str, Any]:
    """The body of a refused request, in the shape of Rasa's own API errors."""
    import rasa

    return {
        "version": rasa.__version__,
        "status": "failure",
        "message": MESSAGE,
        "reason": REASON,
        "details": {},
        "help": None,
        "code": HTTPStatus.CONFLICT,
    }


def _create_app(*args: Any, **kwargs: Any) -> Any:
    """`rasa.server.create_app`, with the model-changing endpoints refused."""
    import rasa.server
    from sanic import response

    create = original(rasa.server, "create_app")
    app = create(*args, **kwargs)
    token = inspect.signature(create).bind(*args, **kwargs).arguments.get("auth_token")

    @rasa.server.requires_auth(app, token)
    async def refuse(request: Any) -> Any:
        logger.warning("Refused %s %s: the serving fixes assume a fixed model.", request.method, request.path)
        return response.json(refusal(), status=HTTPStatus.CONFLICT)

    async def check(request: Any) -> Any:
        if (request.method, request.path.rstrip("/")) in REFUSED:
            return await refuse(request)
        return None

    app.register_middleware(check, "request")
    return app


def install() -> None:
    import rasa.server

    replace(rasa.server, "create_app", _create_app)
