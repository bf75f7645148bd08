"""Response generation inside the Rasa server (endpoints.yml `nlg: type: bot.content.nlg.AllianceNLG`).

Domain responses need no action server, so this is where every response gets the
configured region's numbers and terms (`{emergency_number}`, `{emergency_room}`,
`{licensing_body}`...), the crisis reply its one-tap buttons, and every later
response the reminder of those numbers.
"""

from __future__ import annotations

import logging
from typing import Any, Dict

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import config
from bot.safety import CRISIS_RESPONSE, CRISIS_SLOT

logger = logging.getLogger(__name__)

# Input channels whose clients can turn a tel:/sms: payload into a link. (The shell
# talks over REST too, so the input channel, not the output channel, decides.)
BUTTON_CHANNELS = frozenset({"rest", "socketio"})
# Responses followed by an action in the same turn: the action adds the reminder.
NO_REMINDER = frozenset({CRISIS_RESPONSE, "utter_out_of_scope"})


def _title(shown: str, dialed: str) -> str:
    """A button names what it dials: "9-1-1" as shown, but "112", not "112 or 999"."""
    return shown if "".join(ch for ch in shown if ch.isdigit() or ch == "+") == dialed else dialed


def crisis_buttons(emergency: config.Emergency) -> list[dict[str, str]]:
    return [
        {"title": f"Call {_title(emergency.number_display, emergency.number)}", "payload": f"tel:{emergency.number}"},
        {"title": f"Call {_title(emergency.line_display, emergency.line)}", "payload": f"tel:{emergency.line}"},
        {
            "title": f"Text {_title(emergency.text_display, emergency.text_number)}",
            "payload": f"sms:{emergency.text_number}",
        },
    ]


class AllianceNLG(TemplatedNaturalLanguageGenerator):
    """Domain responses with the configured emergency numbers and the post-crisis reminder."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        responses: Dict[str, Any] | None = None,
    ) -> None:
        # Read at server start (Rasa builds the NLG while loading the agent): an unknown
        # ALLIANCE_REGION raises here and the server does not start with wrong numbers.
        self.emergency = config.emergency()
        super().__init__(responses if responses is not None else (domain.responses if domain else {}))

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Dict[str, Any] | None:
        variables = {**self.emergency.variables(), **kwargs}
        response = self.generate_from_slots(utter_action, tracker.current_slot_values(), output_channel, **variables)
        if response is None:
            return None
        if utter_action == CRISIS_RESPONSE and tracker.get_latest_input_channel() in BUTTON_CHANNELS:
            response["buttons"] = crisis_buttons(self.emergency)
        elif tracker.get_slot(CRISIS_SLOT) and utter_action not in NO_REMINDER and response.get("text"):
            response["text"] = f"{response['text']}\n\n{self.emergency.reminder}"
        return response
