"""Rasa's REST channel, with conversation ids of its own (`rest:<sender>`) and a checked body."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels.common import qualified

# The web widget falls back to REST when its socket.io connection fails; its messages
# say so (`"input_channel": "socketio"`) and stay in the widget's conversation. Its
# session ids are random, as unguessable over socket.io as over REST; no other
# channel's conversations can be named from REST.
WIDGET = "socketio"


def _body(request: Request) -> Dict[str, Any]:
    """The JSON object posted; anything else is the caller's mistake (400), not the server's (500)."""
    body = request.json  # Sanic answers malformed JSON with 400 itself
    if not isinstance(body, dict):
        raise InvalidUsage('the body must be a JSON object: {"sender": "...", "message": "..."}')
    return body


class RestInput(RasaRestInput):
    """Use as `bot.channels.rest.RestInput` in credentials.yml; its webhook stays `/webhooks/rest/webhook`.

    Replies name the sender as the caller did (`recipient_id`); the tracker and the
    HTTP API know the conversation as `rest:<sender>`, or `socketio:<session>` for
    the widget's fallback. A sender is required: Rasa would put every caller
    without one into one shared conversation, "default".
    """

    async def _extract_sender(self, req: Request) -> str:
        sender = _body(req).get("sender")
        if not isinstance(sender, str | int) or isinstance(sender, bool) or str(sender) == "":
            raise InvalidUsage('"sender" must be a non-empty string: the conversation the message belongs to')
        return str(sender)

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage('"message" must be a string')
        return message

    def _extract_input_channel(self, req: Request) -> str:
        """As Rasa's: what the caller says (the shell says "cmdline"), or "rest"."""
        channel = _body(req).get("input_channel")
        return channel if isinstance(channel, str) and channel else self.name()

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        def namespace(message: UserMessage) -> str:
            return WIDGET if message.input_channel == WIDGET else self.name()

        return super().blueprint(qualified(on_new_message, self.name(), namespace))
