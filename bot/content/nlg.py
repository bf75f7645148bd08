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
from bot.safety import CRISIS_SLOT, SAFETY_KEY

logger = logging.getLogger(__name__)

# Input channels whose clients can turn a tel:/sms: payload into a link. (The shell
# talks over REST too, so the input channel, not the output channel, decides.)
BUTTON_CHANNELS = frozenset({"rest", "socketio"})
# The level-1 replies, which carry one-tap buttons and, where the rules saw it, a line for abuse.
EMERGENCY_RESPONSES = frozenset({"utter_crisis", "utter_crisis_other", "utter_crisis_es", "utter_crisis_other_es"})
# Responses that name the numbers themselves, or are followed by an action that adds the reminder.
NO_REMINDER = EMERGENCY_RESPONSES | {
    "utter_out_of_scope", "utter_crisis_checkin", "utter_crisis_checkin_es", "utter_checkin_safe",
    "utter_checkin_safe_es", "utter_crisis_support", "utter_crisis_support_es", "utter_other_language",
}  # fmt: skip


def _title(shown: str, dialed: str) -> str:
    """A button names what it dials: "9-1-1" as shown, but "112", not "112 or 999"."""
    return shown if "".join(ch for ch in shown if ch.isdigit() or ch == "+") == dialed else dialed


def sms_link(number: str, keyword: str = "") -> str:
    """An sms: link that pre-fills the keyword: RFC 5724's "?body=" (the widget rewrites it for iOS)."""
    return f"sms:{number}?body={keyword}" if keyword else f"sms:{number}"


def crisis_buttons(emergency: config.Emergency, kind: str | None = None, spanish: bool = False) -> list[dict[str, str]]:
    """Call the emergency number and the crisis line, text the text line; and the abuse line the rules saw."""
    support = emergency.support
    call = "Llamar al" if spanish else "Call"
    buttons = [
        {"title": f"{call} {_title(emergency.number_display, emergency.number)}", "payload": f"tel:{emergency.number}"},
        {"title": f"{call} {_title(emergency.line_display, emergency.line)}", "payload": f"tel:{emergency.line}"},
    ]
    if spanish:
        if emergency.region == "US":
            buttons.append({"title": "Enviar AYUDA al 988", "payload": sms_link("988", "AYUDA")})
    else:
        text = f"Text {support.text_keyword} to" if support.text_keyword else "Text"
        buttons.append({
            "title": f"{text} {_title(emergency.text_display, emergency.text_number)}",
            "payload": sms_link(emergency.text_number, support.text_keyword),
        })  # fmt: skip
    if kind == "domestic_violence" and support.dv_phone:
        buttons.append({"title": "Call the abuse hotline", "payload": f"tel:{support.dv_phone}"})
        number, keyword = support.dv_sms
        if number:
            buttons.append({"title": f"Text {keyword} to {number}", "payload": sms_link(number, keyword)})
    elif kind == "child_abuse" and support.child_phone:
        buttons.append({"title": "Call the child abuse line", "payload": f"tel:{support.child_phone}"})
    return buttons


def support_line(emergency: config.Emergency, kind: str | None, spanish: bool = False) -> str:
    """The region's line for abuse at home or a child at risk, when the rules saw one."""
    support = emergency.support
    if kind == "domestic_violence":
        return support.es_dv_sentence if spanish else support.dv_sentence
    if kind == "child_abuse" and not spanish:
        return support.child_sentence
    return ""


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
        safety = (tracker.latest_message.parse_data.get(SAFETY_KEY) if tracker.latest_message else None) or {}
        if utter_action in EMERGENCY_RESPONSES:
            spanish = utter_action.endswith("_es")
            line = support_line(self.emergency, safety.get("kind"), spanish)
            if line:
                response["text"] = f"{response['text']}\n\n{line}"
            if tracker.get_latest_input_channel() in BUTTON_CHANNELS:
                response["buttons"] = crisis_buttons(self.emergency, safety.get("kind"), spanish)
        elif tracker.get_slot(CRISIS_SLOT) and utter_action not in NO_REMINDER and response.get("text"):
            response["text"] = f"{response['text']}\n\n{self.emergency.reminder}"
        elif safety.get("level") == 3 and utter_action not in NO_REMINDER and response.get("text"):
            response["text"] = f"{response['text']}\n\n{self.emergency.pointer}"
        return response
