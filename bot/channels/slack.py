"""Slack, on top of Rasa's connector: 401 for bad signatures, no duplicate answers, mrkdwn.

Rasa 3.6's connector answers a bad signature with 400, processes Slack's retries
again unless their reason is `http_timeout`, and always talks to slack.com. This
one rejects unsigned or stale requests with 401, answers each Slack event once
(retries are matched by `event_id`, so a retry of a delivery that really failed
is still answered), takes the Web API URL from configuration (a local stand-in
in tests), and escapes text for Slack's mrkdwn. Rasa's connector reads a signed
body unchecked, so one of another shape than Slack's (not a JSON object, an event
whose text isn't a string, a form without a JSON `payload`...) would be a 500: it
gets 400 here, and an interaction Rasa doesn't read (which it answers with 500)
is acknowledged and ignored.
"""

from __future__ import annotations

import json
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
# The interactive components Rasa's connector reads: where each keeps its value, or its option's.
_VALUE = {
    "button": "value", "conversations_select": "selected_conversation", "users_select": "selected_user",
    "channels_select": "selected_channel", "datepicker": "selected_date",
}  # fmt: skip
_OPTION = ("select", "static_select", "external_select", "overflow")


def to_mrkdwn(text: str) -> str:
    """Escape Slack's control characters, then map **bold** and [links](url) to mrkdwn."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BOLD.sub(r"*\1*", text)
    return _LINK.sub(r"<\2|\1>", text)


def slack_buttons(buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Buttons Slack can send back: tel:/sms: links can't be Slack buttons (the text has the numbers)."""
    return [b for b in buttons if not str(b.get("payload", "")).startswith(("tel:", "sms:"))]


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def event_problem(body: Any) -> str | None:
    """What keeps a signed JSON body from being read by Rasa's connector; None if nothing does."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not _text_or_none(body.get("event_id")) or not _text_or_none(body.get("challenge")):
        return "`event_id` and `challenge` must be strings"
    event = body.get("event", {})
    if not isinstance(event, dict):
        return "`event` must be an object"
    if not all(_text_or_none(event.get(key)) for key in ("text", "user", "channel", "ts", "thread_ts")):
        return "`event.text`, `user`, `channel`, `ts` and `thread_ts` must be strings"
    users, authorizations = body.get("authed_users", []), body.get("authorizations", [])
    if users is not None and not (isinstance(users, list) and all(isinstance(u, str) for u in users)):
        return "`authed_users` must be a list of strings"
    if not (isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)):
        return "`authorizations` must be a list of objects"
    return None


def interaction(form_payload: Any) -> tuple[str | None, str | None]:
    """A form's `payload` as (what is wrong with it, the text Rasa's connector would read from it).

    Neither: a well-formed interaction Rasa doesn't read (Rasa would answer it with 500).
    """
    try:
        payload = json.loads(form_payload) if isinstance(form_payload, str) else None
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return "the form's `payload` must be a JSON object", None
    actions = payload.get("actions")
    if actions and not (isinstance(actions, list) and isinstance(actions[0], dict)):
        return "`actions` must be a list of objects", None
    for key in ("user", "channel", "message"):
        if not isinstance(payload.get(key, {}), dict):
            return f"`{key}` must be an object", None
    if not actions:
        return None, None
    action, kind = actions[0], actions[0].get("type")
    if kind not in _VALUE and kind not in _OPTION:
        return None, None
    user, channel, message = payload.get("user", {}), payload.get("channel", {}), payload.get("message", {})
    thread = message.get("thread_ts", message.get("ts"))
    if not isinstance(user.get("id"), str) or not _text_or_none(channel.get("id")) or not _text_or_none(thread):
        return "`user.id` must be a string, and `channel.id` and the message's `ts` strings if given", None
    if kind in _VALUE:
        value = action.get(_VALUE[kind])
    else:  # as Rasa reads them: the first of `selected_options`, or `selected_option`
        options = action.get("selected_options", [{}]) if kind == "select" else [action.get("selected_option", {})]
        option = options[0] if isinstance(options, list) and options else None
        value = option.get("value") if isinstance(option, dict) else False
    if not _text_or_none(value):
        return f"the {kind}'s value must be a string", None
    return None, value


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
            content_type = request.headers.get("content-type")
            if content_type == "application/x-www-form-urlencoded":
                try:
                    request.body.decode("utf-8")  # else Sanic logs a traceback and reads an empty form
                except UnicodeDecodeError:
                    return response.json({"error": "the form is not UTF-8"}, status=HTTPStatus.BAD_REQUEST)
                problem, text = interaction(request.form.get("payload"))
                if problem:
                    return response.json({"error": problem}, status=HTTPStatus.BAD_REQUEST)
                if text is None:  # nothing Rasa reads: acknowledged, so Slack doesn't retry
                    return response.text("")
            if content_type == "application/json":
                try:
                    body = request.json
                except Exception:  # Sanic raises its own error type for malformed JSON
                    return response.json({"error": "malformed JSON"}, status=HTTPStatus.BAD_REQUEST)
                problem = event_problem(body)
                if problem:
                    return response.json({"error": problem}, status=HTTPStatus.BAD_REQUEST)
                event = body.get("event", {})
                if not await self.first_delivery(body.get("event_id"), event.get("user")):
                    logger.info("Slack retry of an event already answered: ignored")
                    return response.text("", headers={"X-Slack-No-Retry": "1"})
            return None

        return blueprint
