"""Telegram updates in, Telegram's limits out: the parts of the channel that need no network.

What an update asks of the bot (`parse_update`), the text Rasa gets for a command,
and replies shaped to the Bot API's limits (inline keyboards, message length).
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

# Telegram's own limits (https://core.telegram.org/bots/api).
CALLBACK_DATA_MAX_BYTES = 64
MESSAGE_MAX_UNITS = 4096  # counted in UTF-16 code units
# Commands are not intents: `/start` would reach Rasa as an unknown intent `start`.
COMMANDS = {"start": "hi"}
# Dial and text links can't be inline buttons (only callback data or http(s)/tg URLs);
# the crisis text itself carries the numbers.
DROPPED_SCHEMES = ("tel:", "sms:")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def as_bool(value: Any, key: str) -> bool:
    """A YAML bool, or a string from ${ENV} substitution ("false", "0", ...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RasaException(f"telegram: `{key}` must be true or false, not {value!r}")


def secret_ok(expected: str | None, received: str | None) -> bool:
    """Whether an update carries the configured secret token (always true without one).

    Constant-time comparison, so the header can't be guessed byte by byte.
    """
    if not expected:
        return True
    if received is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8", "replace"))


def inline_keyboard(buttons: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """Rasa buttons as Telegram inline keyboard rows, one button per row.

    Buttons Telegram would reject are dropped rather than failing the whole
    message: tel:/sms: links, and payloads over 64 bytes (cutting a payload
    short would send a different message when tapped).
    """
    rows = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or "").strip()
        if not title or not payload or payload.lower().startswith(DROPPED_SCHEMES):
            continue
        size = len(payload.encode("utf-8"))
        if size > CALLBACK_DATA_MAX_BYTES:
            logger.warning("dropped a button: payload of %d bytes, Telegram allows %d", size, CALLBACK_DATA_MAX_BYTES)
            continue
        rows.append([{"text": title, "callback_data": payload}])
    return rows


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def split_text(text: str, limit: int = MESSAGE_MAX_UNITS) -> list[str]:
    """Text in pieces Telegram accepts, cut at a paragraph, line or word where possible."""
    pieces = []
    rest = text.strip()
    while sum(map(_units, rest)) > limit:
        end, used = 0, 0
        while used + _units(rest[end]) <= limit:
            used += _units(rest[end])
            end += 1
        cut = next((i for sep in ("\n\n", "\n", " ") if (i := rest.rfind(sep, 0, end)) > 0), end)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def chat_id_value(recipient_id: str | int) -> str | int:
    """The conversation id (`telegram:12345`) back as Telegram's chat id (usernames like @channel stay text)."""
    text = str(recipient_id)
    text = text[len("telegram:") :] if text.startswith("telegram:") else text
    return int(text) if re.fullmatch(r"-?\d+", text) else text


class UpdateError(ValueError):
    """The update is not shaped like a Telegram update; the message says what is wrong."""


@dataclass(frozen=True)
class Incoming:
    """What one update asks of the bot.

    `text` is None when there is nothing to pass to Rasa: a message that is not
    text (`not_text`), or a button press without data.
    """

    update_id: int | None
    chat_id: int | str
    text: str | None
    callback_query_id: str | None = None
    not_text: bool = False
    private: bool = True


def _mapping(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise UpdateError(f"`{key}` must be an object")
    return value


def _chat(message: dict[str, Any], where: str) -> tuple[int | str, bool]:
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or chat_id == "":
        raise UpdateError(f"`{where}.chat.id` is missing")
    return chat_id, chat.get("type", "private") == "private"


def command_text(text: str, bot_username: str | None = None) -> str | None:
    """The text Rasa gets for a message: commands mapped, `@bot` suffixes removed.

    None for a command addressed to another bot in a group.
    """
    if not text.startswith("/"):
        return text
    head, *rest = text.split(maxsplit=1)
    command, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lstrip("@").lower():
        return None
    if command.lower() in COMMANDS:  # `/start <deep-link parameter>` too
        return COMMANDS[command.lower()]
    return " ".join([f"/{command}", *rest]) if addressee else text


def parse_update(update: Any, bot_username: str | None = None) -> Incoming | None:
    """What an update asks for; None for updates the bot ignores (edits, channel posts...)."""
    if not isinstance(update, dict):
        raise UpdateError("an update must be a JSON object")
    update_id = update.get("update_id")
    update_id = update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None
    if "callback_query" in update:
        query = _mapping(update, "callback_query")
        query_id = query.get("id")
        if not isinstance(query_id, str) or not query_id:
            raise UpdateError("`callback_query.id` is missing")
        if isinstance(query.get("message"), dict):
            chat_id, private = _chat(query["message"], "callback_query.message")
        else:  # a button under an inline-mode message: answer the user who pressed it
            sender = query.get("from")
            chat_id, private = (sender.get("id") if isinstance(sender, dict) else None), True
            if isinstance(chat_id, bool) or not isinstance(chat_id, int):
                raise UpdateError("`callback_query.from.id` is missing")
        data = query.get("data")
        text = data if isinstance(data, str) and data.strip() else None
        return Incoming(update_id, chat_id, text, callback_query_id=query_id, private=private)
    if "message" in update:
        message = _mapping(update, "message")
        chat_id, private = _chat(message, "message")
        text = message.get("text")
        if not isinstance(text, str):
            return Incoming(update_id, chat_id, None, not_text=True, private=private)
        mapped = command_text(text, bot_username)
        return Incoming(update_id, chat_id, mapped, private=private) if mapped is not None else None
    return None
