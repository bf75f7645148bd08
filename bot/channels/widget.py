"""The web widget's channel: Rasa's socket.io channel with two fixes and the region's numbers."""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from typing import Any, Callable

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request

from bot import config
from bot.channels.common import qualified

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


class WidgetSocketIOInput(SocketIOInput):
    """Rasa's socketio channel whose `session_request` really joins the session's room.

    Rasa 3.6 calls `AsyncServer.enter_room` without `await`; since python-socketio
    5.10 that is a coroutine, so with `session_persistence: true` the room is never
    joined and every `bot_uttered` goes nowhere (RasaHQ/rasa#13027). Rasa also turns
    python-engineio's Origin check off (`cors_allowed_origins=[]`, so that sanic-cors
    alone answers CORS), which lets a page from any site open the WebSocket; with
    `allowed_origins` (a list or a space-separated string) a browser connection from
    another origin is refused. Its name stays `socketio` (bot/content/nlg.py and the
    escalation record know channels by name).

    It also serves `GET /webhooks/socketio/region`: the emergency number of the
    server's region (ALLIANCE_REGION), which the widget shows in its permanent strip,
    so that the page and the bot's replies always name the same number.

    A `user_uttered` or `session_request` of another shape than the widget sends
    (not an object, a message that isn't text, no valid session id, metadata that
    isn't an object) is ignored: Rasa's handler would raise on it.
    """

    allowed_origins: list[str] = []

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SocketIOInput:
        channel = super().from_credentials(credentials)
        origins = (credentials or {}).get("allowed_origins") or []
        channel.allowed_origins = origins.split() if isinstance(origins, str) else [str(o) for o in origins]
        return channel

    def blueprint(self, on_new_message: Callable[..., Any]) -> Blueprint:
        blueprint = super().blueprint(qualified(on_new_message, self.name()))
        region = region_info(config.emergency())  # at start: an unknown region stops the server here

        @blueprint.route("/region", methods=["GET"])
        async def region_route(_: Request) -> response.HTTPResponse:
            return response.json(region, headers={"Cache-Control": "no-cache"})

        sio = self.sio
        assert sio is not None
        sio.eio.max_http_buffer_size = config.max_body_bytes()  # a larger message is dropped (bot/serving/limits.py)
        stock_connect = sio.handlers[self.namespace or "/"]["connect"]

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")  # only browsers send one; they cannot forge it
            if self.allowed_origins and origin and origin not in self.allowed_origins:
                return False
            return await stock_connect(sid, environ, auth)

        stock_message = sio.handlers[self.namespace or "/"][self.user_message_evt]

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_uttered(sid: str, data: Any = None, *_: Any) -> None:
            problem = message_problem(data, self.session_persistence, self.metadata_key)
            if problem:
                logger.debug("socket.io: ignored a malformed %s: %s", self.user_message_evt, problem)
                return
            await stock_message(sid, data)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # a coroutine from python-socketio 5.10 on
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return blueprint


def message_problem(data: Any, session_persistence: bool, metadata_key: str) -> str | None:
    """What keeps a `user_uttered` from being a message Rasa's handler can take; None if nothing does."""
    if not isinstance(data, dict):
        return "not an object"
    if not isinstance(data.get("message", ""), str):
        return "the message is not text"
    session_id = data.get("session_id")
    if session_persistence and not (isinstance(session_id, str) and SESSION_ID.match(session_id)):
        return "no valid session id"
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            return "the metadata is not JSON"
    if metadata is not None and not isinstance(metadata, dict):
        return "the metadata is not an object"
    return None


def region_info(emergency: config.Emergency) -> dict[str, str]:
    """What the widget's strip shows: the number as read, what its link dials, the whole line."""
    return {
        "region": emergency.region,
        "emergency_number": emergency.number_display,
        "emergency_tel": emergency.number,
        "strip": emergency.strip,
    }
