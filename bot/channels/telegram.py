"""Telegram channel for Rasa: Bot API webhook in, plain-text `sendMessage` out.

Used from credentials.yml as `bot.channels.telegram.TelegramInput:`. Rasa 3.6's
own connector stops the server when `setWebhook` fails at start-up and always
talks to api.telegram.org. This one takes the API server from configuration
(Telegram's local Bot API server is a real deployment), treats a failed
registration as a logged error, and authenticates every update with the
webhook's secret token. Replies go out with aiohttp, as plain text, so nothing a
user or an answer contains is read as markup. No message text is logged at
INFO or above, and the access token (part of every API URL) never is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config
from bot.channels.common import PlatformOutput, RecentIds, answered, conversation_id
from bot.channels.telegram_updates import (
    UpdateError,
    as_bool,
    chat_id_value,
    inline_keyboard,
    parse_update,
    secret_ok,
    split_text,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Only these updates are asked for; anything else that arrives is acknowledged and ignored.
ALLOWED_UPDATES = ("message", "callback_query")
NOT_TEXT_NOTICE = "Sorry, I can only read text messages. Please type your question."
EMPTY_TEXT_WITH_BUTTONS = "Please choose:"
REQUEST_TIMEOUT = 15.0  # seconds, per Bot API call
MAX_RETRY_AFTER = 5  # seconds: wait once for a 429 at most this long, then give up


# --- Bot API client and output channel -----------------------------------------


class TelegramOutput(OutputChannel):
    """Sends Rasa's responses through the Bot API at a configurable base URL."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, access_token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = REQUEST_TIMEOUT) -> None:
        self.access_token = access_token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def method_url(self, method: str) -> str:
        return f"{self.base_url}/bot{self.access_token}/{method}"

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """Call one Bot API method and return its `result`, or None on failure.

        Failures are logged, not raised: an exception inside Rasa's turn would
        also lose the turn's tracker update. Logs name the method and Telegram's
        description, never the URL (it holds the token) or the payload.
        """
        for attempt in range(2):
            try:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with aiohttp.ClientSession(timeout=timeout) as session:
                    async with session.post(self.method_url(method), json=payload) as resp:
                        status = resp.status
                        body = await resp.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                logger.error("Telegram %s failed: %s", method, type(exc).__name__)
                return None
            if isinstance(body, dict) and body.get("ok") is True:
                return body.get("result")
            body = body if isinstance(body, dict) else {}
            retry_after = (body.get("parameters") or {}).get("retry_after")
            if status == 429 and attempt == 0 and isinstance(retry_after, int) and retry_after <= MAX_RETRY_AFTER:
                await asyncio.sleep(retry_after)
                continue
            logger.error("Telegram %s failed: HTTP %s %s", method, status, str(body.get("description", ""))[:200])
            return None
        return None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Plain text (no parse_mode), split where Telegram's length limit requires."""
        for piece in split_text(text or ""):
            await self.call("sendMessage", {"chat_id": chat_id_value(recipient_id), "text": piece})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons as an inline keyboard under the (last piece of the) text."""
        keyboard = inline_keyboard(buttons)
        pieces = split_text(text or "") or ([EMPTY_TEXT_WITH_BUTTONS] if keyboard else [])
        for i, piece in enumerate(pieces):
            payload: dict[str, Any] = {"chat_id": chat_id_value(recipient_id), "text": piece}
            if keyboard and i == len(pieces) - 1:
                payload["reply_markup"] = {"inline_keyboard": keyboard}
            await self.call("sendMessage", payload)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.call("sendPhoto", {"chat_id": chat_id_value(recipient_id), "photo": image})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """A custom response with `text` is a raw sendMessage body (the domain author's choice of fields)."""
        if not isinstance(json_message.get("text"), str):
            logger.warning("dropped a custom response without `text`: Telegram gets sendMessage bodies only")
            return
        await self.call("sendMessage", {**json_message, "chat_id": chat_id_value(recipient_id)})


# --- input channel --------------------------------------------------------------


class TelegramInput(InputChannel):
    """Telegram webhook at /webhooks/telegram/webhook, with a health check at /webhooks/telegram/."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            access_token=credentials.get("access_token"),
            verify=credentials.get("verify"),
            webhook_url=credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
            base_url=credentials.get("base_url") or DEFAULT_BASE_URL,
            set_webhook=as_bool(credentials.get("set_webhook", True), "set_webhook"),
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None = None,
        webhook_url: str | None = None,
        secret_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        set_webhook: bool = True,
    ) -> None:
        """Configuration mistakes raise here, at start-up; network trouble never does."""
        if not access_token:
            raise RasaException("telegram: `access_token` is empty (set TELEGRAM_TOKEN)")
        parsed = urlparse(str(base_url))
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise RasaException(f"telegram: `base_url` must be an http(s) URL, not {base_url!r}")
        secret_token = str(secret_token) if secret_token else None
        if secret_token and not _SECRET_PATTERN.fullmatch(secret_token):
            raise RasaException("telegram: `secret_token` must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if not secret_token:
            logger.warning("telegram: no secret_token, so the webhook accepts updates from anyone who can reach it")
        self.access_token = str(access_token)
        self.verify = str(verify).lstrip("@") if verify else None
        self.webhook_url = str(webhook_url) if webhook_url else None
        self.secret_token = secret_token
        self.base_url = str(base_url).rstrip("/")
        self.set_webhook = set_webhook
        self.recent = RecentIds(namespace="telegram", shared=config.shared_redis())

    def get_output_channel(self) -> TelegramOutput:
        """Makes no network call, so Rasa can build it at any time (e.g. for trigger_intent)."""
        return TelegramOutput(self.access_token, self.base_url)

    async def register_webhook(self, out: TelegramOutput) -> bool:
        """Point Telegram at this server. A failure is logged and the server keeps running.

        With `verify`, getMe first checks that the token belongs to that bot.
        """
        if not self.set_webhook:
            logger.info("telegram: set_webhook is false, not registering the webhook")
            return False
        if not self.webhook_url:
            logger.error("telegram: set_webhook is true but webhook_url is empty; the webhook was not registered")
            return False
        if self.verify:
            me = await out.call("getMe", {})
            username = me.get("username") if isinstance(me, dict) else None
            if username is not None and username.lower() != self.verify.lower():
                logger.error("telegram: the access token belongs to @%s, not @%s (verify)", username, self.verify)
        payload: dict[str, Any] = {"url": self.webhook_url, "allowed_updates": list(ALLOWED_UPDATES)}
        if self.secret_token:
            payload["secret_token"] = self.secret_token
        if await out.call("setWebhook", payload) is None:
            logger.error("telegram: setWebhook failed; the server keeps running, but Telegram may not deliver updates")
            return False
        logger.info("telegram: webhook registered")
        return True

    async def handle_update(
        self,
        body: bytes,
        secret: str | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        out: TelegramOutput,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """One webhook request to (HTTP status, JSON body); kept free of Sanic so it is tested directly."""
        if not secret_ok(self.secret_token, secret):
            logger.warning("telegram: rejected an update without the right secret token")
            return 403, {"error": "missing or wrong secret token"}
        try:
            incoming = parse_update(json.loads(body), self.verify)
        except (ValueError, RecursionError) as exc:  # invalid JSON or UTF-8 (or nested too deeply), an UpdateError
            problem = str(exc) if isinstance(exc, UpdateError) else "the body is not valid JSON"
            return 400, {"error": problem}
        if incoming is None:
            return 200, {"status": "ignored"}
        conversation = conversation_id(self.name(), incoming.chat_id)
        if await self.recent.seen(incoming.update_id, conversation):
            return 200, {"status": "duplicate"}
        if incoming.callback_query_id:  # stops the button's spinner; done first, the turn may take a while
            await out.call("answerCallbackQuery", {"callback_query_id": incoming.callback_query_id})
        if incoming.not_text and incoming.private:
            await out.send_text_message(str(incoming.chat_id), NOT_TEXT_NOTICE)
        if incoming.text is None:
            return 200, {"status": "ok"}
        output = PlatformOutput(out, self.name())
        message = UserMessage(incoming.text, output, conversation, input_channel=self.name(), metadata=metadata)
        # A failure is answered with the numbers (bot/channels/common.py), so Telegram needn't redeliver.
        await answered(on_new_message, message, output, self.name())
        return 200, {"status": "ok"}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("alliance_telegram", __name__)
        out = self.get_output_channel()

        @telegram_webhook.listener("after_server_start")
        async def register(_app: Any, _loop: Any) -> None:
            try:
                await self.register_webhook(out)
            except Exception as exc:  # never let registration take the server down
                logger.error("telegram: webhook registration failed: %s", type(exc).__name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            status, body = await self.handle_update(
                request.body, request.headers.get(SECRET_HEADER), on_new_message, out, self.get_metadata(request)
            )
            return response.json(body, status=status)

        return telegram_webhook
