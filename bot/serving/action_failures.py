"""Fix: a custom action that fails still leaves a reply and a conversation Rasa can go on with.

Rasa logs a failed custom action as if it had run with no events and predicts on.
With the action server down, that loses more than one reply: a failed
`action_session_start` leaves no `action_listen`, so no rule matches what follows,
the core fallback (a custom action too) fails in turn until the circuit breaker
trips, and since Rasa counts predictions back to the last `action_listen`, every
later message of the conversation, a crisis message included, trips the breaker at
once and gets no reply at all. So when a custom action fails, the Rasa server does
what it can on its own:
- for `action_session_start`, Rasa's own session start and the welcome from the domain;
- for `action_record_escalation`, the escalation is recorded by the Rasa server itself;
- for any other, a clear "I can't fetch that answer right now" (`utter_actions_unavailable`).
The next message goes to the action server again: when it is back, answers resume.
"""

from __future__ import annotations

import logging
from typing import Any, List

from bot.safety import RECORD_ACTION
from bot.serving.patching import original, replace

logger = logging.getLogger(__name__)

WELCOME_RESPONSE = "utter_welcome"
UNAVAILABLE_RESPONSE = "utter_actions_unavailable"


async def _utter(response: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    from rasa.core.actions.action import ActionBotResponse

    return await ActionBotResponse(response).run(output_channel, nlg, tracker, domain)


async def stand_in(name: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    """The events the Rasa server gives in place of custom action `name`'s."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME

    if name == ACTION_SESSION_START_NAME:
        welcome = await _utter(WELCOME_RESPONSE, output_channel, nlg, tracker, domain)
        return [*welcome, *await ActionSessionStart().run(output_channel, nlg, tracker, domain)]
    if name == RECORD_ACTION:
        from bot.safety import escalations

        latest = tracker.latest_message
        escalations.record_parse(tracker.sender_id, tracker.get_latest_input_channel(), latest.parse_data)
        return []
    return await _utter(UNAVAILABLE_RESPONSE, output_channel, nlg, tracker, domain)


async def _run_or_stand_in(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    """`RemoteAction.run`; if the action can't be run, what `stand_in` gives."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction

    try:
        return await original(RemoteAction, "run")(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # the action declined on purpose: other policies choose
    except Exception as e:  # unreachable, timed out, or failed in the action server
        logger.warning("Custom action %s failed (%s); the Rasa server answers for it.", self.name(), type(e).__name__)
        return await stand_in(self.name(), output_channel, nlg, tracker, domain)


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    replace(RemoteAction, "run", _run_or_stand_in)
