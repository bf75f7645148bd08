"""bot.serving.console: Rasa's shell ends the chat on Ctrl-D and on Ctrl-C at a button question."""

from __future__ import annotations

import pytest
import rasa.cli.utils as cli_utils
import rasa.core.channels.console as console

from bot.serving import console as fix
from bot.serving import patching


async def test_rasas_console_dies_on_ctrl_d_and_the_fix_ends_the_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    async def record_messages(*args: object, **kwargs: object) -> int:
        raise EOFError  # what prompt_toolkit raises on Ctrl-D, and Rasa lets through

    monkeypatch.setitem(patching._ORIGINALS, (console, "record_messages"), record_messages)
    assert await fix._record_messages_until_eof("sender", server_url="http://127.0.0.1:5005") == 0


@pytest.mark.parametrize(
    ("answer", "payload"),
    [
        (None, None),
        (cli_utils.FREE_TEXT_INPUT_PROMPT, cli_utils.FREE_TEXT_INPUT_PROMPT),
        ("1: Texting your therapist (/faq_texting)", "/faq_texting"),
    ],
    ids=["ctrl-c", "free-text", "button"],
)
async def test_a_button_question_gives_rasas_payload_or_ends_on_ctrl_c(answer: str | None, payload: str | None) -> None:
    class Question:
        async def ask_async(self) -> str | None:
            return answer

    assert await fix._payload_from_button_question(Question()) == payload
    if answer is not None:  # where Rasa's own answers, it answers the same
        rasas = patching.original(cli_utils, "payload_from_button_question")
        assert await rasas(Question()) == payload
    else:
        with pytest.raises(AttributeError):  # Rasa calls rfind on the None
            await patching.original(cli_utils, "payload_from_button_question")(Question())
