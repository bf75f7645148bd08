"""Slack, on top of Rasa's connector: 401 for bad signatures, no duplicate answers, mrkdwn.

Rasa 3.6's connector answers a bad signature with 400, processes Slack's retries
again unless their reason is `http_timeout`, and always talks to slack.com. This
one rejects unsigned or stale requests with 401, answers each Slack event once
(retries are matched by `event_id`, so a retry of a delivery that really failed
is still answered), takes the Web API URL from configuration (a local stand-in
in tests), and escapes text for Slack's mrkdwn.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot as RasaSlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

from bot import config
from bot.channels.common import RecentIds, conversation_id, qualified

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
SEEN_EVENTS = 10_000  # event ids remembered for deduplication
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+|mailto:[^\s)]+)\)")


def to_mrkdwn(text: str) -> str:
    """Escape Slack's control characters, then map **bold** and [links](url) to mrkdwn."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BOLD.sub(r"*\1*", text)
    return _LINK.sub(r"<\2|\1>", text)


def slack_buttons(buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Buttons Slack can send back: tel:/sms: links can't be Slack buttons (the text has the numbers)."""
    return [b for b in buttons if not str(b.get("payload", "")).startswith(("tel:", "sms:"))]


class SlackBot(RasaSlackBot):
    """Rasa's Slack output with a configurable Web API URL and mrkdwn-safe text."""

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        base_url: str = SLACK_API_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, proxy=proxy, base_url=base_url)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, to_mrkdwn(text), **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        kept = slack_buttons(buttons)
        if not kept:
            return await self.send_text_message(recipient_id, text, **kwargs)
        await super().send_text_with_buttons(recipient_id, text, kept, **kwargs)


class SlackInput(RasaSlackInput):
    """Use as `bot.channels.slack.SlackInput` in credentials.yml; it keeps the `slack` webhook path."""

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SlackInput:
        channel = super().from_credentials(credentials)
        channel.base_url = (credentials or {}).get("slack_api_url") or SLACK_API_URL
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = SLACK_API_URL
        self._seen = RecentIds(SEEN_EVENTS, "slack", config.shared_redis())

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> OutputChannel:
        return SlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.base_url)

    async def first_delivery(self, event_id: str | None, user: str | None = None) -> bool:
        """True the first time an event id is seen; Slack retries carry the same id."""
        return not await self._seen.seen(event_id or None, conversation_id(self.name(), user or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(qualified(on_new_message, self.name()))

        @blueprint.middleware("request")
        async def guard(request: Request) -> response.HTTPResponse | None:
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            if not self.is_request_from_slack_authentic(request):
                return response.text("invalid or stale Slack signature", status=HTTPStatus.UNAUTHORIZED)
            if request.headers.get("content-type") == "application/json":
                try:
                    body = request.json if isinstance(request.json, dict) else {}
                except Exception:  # Sanic raises its own error type for malformed JSON
                    return response.json({"error": "malformed JSON"}, status=HTTPStatus.BAD_REQUEST)
                event = body.get("event") if isinstance(body.get("event"), dict) else {}
                if not await self.first_delivery(body.get("event_id"), event.get("user")):
                    logger.info("Slack retry of an event already answered: ignored")
                    return response.text("", headers={"X-Slack-No-Retry": "1"})
            return None

        return blueprint
