"""Fix: Rasa's shell ends the chat on Ctrl-D at the prompt and on Ctrl-C at a button question.

In Rasa's console (`rasa.core.channels.console`) Ctrl-D raises an EOFError that
ends the input task while the server keeps running with no prompt, and Ctrl-C at
a button question returns None, which Rasa then fails to slice. Here both end the
chat as `/stop` does, so the shell's process exits and `alliance chat` can stop
the action server with it.
"""

from __future__ import annotations

from typing import Any

from bot.serving.patching import original, replace


async def _record_messages_until_eof(*args: Any, **kwargs: Any) -> int:
    """`console.record_messages`, ended by Ctrl-D (prompt_toolkit raises EOFError, questionary lets it through)."""
    import rasa.core.channels.console as console

    try:
        return await original(console, "record_messages")(*args, **kwargs)
    except EOFError:
        return 0


async def _payload_from_button_question(button_question: Any) -> str | None:
    """`rasa.cli.utils.payload_from_button_question`; questionary's None (Ctrl-C) ends the chat."""
    import rasa.cli.utils as cli_utils

    response = await button_question.ask_async()
    if response is None or response == cli_utils.FREE_TEXT_INPUT_PROMPT:
        return response
    return response[response.rfind("(") + 1 : response.rfind(")")]


def install() -> None:
    import rasa.cli.utils as cli_utils
    import rasa.core.channels.console as console

    replace(console, "record_messages", _record_messages_until_eof)
    replace(cli_utils, "payload_from_button_question", _payload_from_button_question)
