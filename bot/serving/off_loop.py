"""Fix: a long message is parsed in a worker thread, so the server goes on answering others meanwhile.

Rasa parses a message inside its event loop: a message of tens of thousands of
characters (up to the body limit, bot/serving/limits.py) holds the loop for a third
of a second, and every other conversation waits that long. Messages longer than
`LONG` run the same graph, with the same results, in one worker thread; the loop
keeps serving in between (Python switches threads every few milliseconds). Short
messages, nearly all of them, stay on the loop, where they cost no hand-over. One
thread at a time parses long messages, so a flood of them queues there and not in
front of everyone else.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, Dict

from bot.serving.patching import original, replace

LONG = 1000  # characters: about 5 ms of parsing here, where a hand-over starts to pay


@cache
def _worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="alliance-parse")


async def parse_message(
    self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
) -> Dict[str, Any]:
    """Rasa's `MessageProcessor.parse_message`, with a long message's graph run off the loop."""
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    if self.http_interpreter or len(message.text or "") <= LONG:
        return await original(MessageProcessor, "parse_message")(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _worker(), self._parse_message_with_graph, message, tracker, only_output_properties
    )
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    from rasa.core.processor import MessageProcessor

    replace(MessageProcessor, "parse_message", parse_message)
