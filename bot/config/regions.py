"""Each region's emergency numbers and the words its texts use: one truth per region.

Every text, button, reminder and the web widget's strip takes its numbers and terms
from here, through `bot.config.emergency()`. docs/safety.md cites a public source
for every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def dial(shown: str) -> str:
    """What a phone dials for a number as texts show it: "9-1-1" -> "911", "112 or 999" -> "112"."""
    first = re.match(r"\+?[0-9][0-9 -]*", shown.strip())
    return re.sub(r"[^0-9+]", "", first.group()) if first else ""


@dataclass(frozen=True)
class Emergency:
    """One region's emergency numbers and the words its texts use, in one place.

    Numbers are kept as people should read them ("13 11 14"); `number`, `line` and
    `text_number` are what a tel: or sms: link dials.
    """

    region: str  # the ISO code: US, CA, GB, IE, AU, NZ
    number_display: str  # emergency services, as texts show it: "9-1-1", "112 or 999"
    line_display: str  # the crisis line: "988", "13 11 14"
    line_sentence: str  # "call or text 988 (the 988 Suicide & Crisis Lifeline)"
    text_display: str  # the crisis text line: "741741"
    text_sentence: str  # "text HOME to 741741 (Crisis Text Line)"
    emergency_room: str  # fits "go to the nearest ___": "emergency room", "A&E"
    licensing_body: str  # fits "report it to ___" and "check their registration with ___"

    @property
    def number(self) -> str:
        return dial(self.number_display)

    @property
    def line(self) -> str:
        return dial(self.line_display)

    @property
    def text_number(self) -> str:
        return dial(self.text_display)

    def variables(self) -> dict[str, str]:
        """What texts (domain responses, answers) may name as `{variable}`, in this region's words.

        Each has a domain slot with the US value (domain.yml), so texts are whole with any NLG.
        """
        return {
            "emergency_number": self.number_display,
            "emergency_room": self.emergency_room,
            "licensing_body": self.licensing_body,
            "crisis_line_sentence": self.line_sentence,
            "crisis_text_sentence": self.text_sentence,
        }

    @property
    def reminder(self) -> str:
        """The one line every answer ends with after an escalation."""
        return (
            f"Reminder: in an emergency call {self.number_display}; you can also "
            f"{self.line_sentence}, or {self.text_sentence}."
        )

    @property
    def strip(self) -> str:
        """The web widget's permanent line (bot/channels/widget.py serves it)."""
        return f"In an emergency call {self.number_display}"


EMERGENCY_PRESETS = {
    "US": Emergency(
        "US", "9-1-1",
        "988", "call or text 988 (the 988 Suicide & Crisis Lifeline)",
        "741741", "text HOME to 741741 (Crisis Text Line)",
        "emergency room", "your state's licensing board",
    ),
    "CA": Emergency(
        "CA", "9-1-1",
        "988", "call or text 988 (the 988 Suicide Crisis Helpline)",
        "686868", "if you are a young person, text CONNECT to 686868 (Kids Help Phone)",
        "emergency department", "your province's or territory's regulatory college",
    ),
    "GB": Emergency(
        "GB", "999",
        "116 123", "call Samaritans free on 116 123",
        "85258", "text SHOUT to 85258 (Shout)",
        "A&E", "the professional body or register they belong to, such as the HCPC, BACP or UKCP",
    ),
    "IE": Emergency(
        "IE", "112 or 999",
        "116 123", "call Samaritans free on 116 123",
        "50808", "text 50808 (a free text line, open day and night)",
        "emergency department (A&E)", "CORU or their professional body",
    ),
    "AU": Emergency(
        "AU", "000",
        "13 11 14", "call Lifeline on 13 11 14",
        "0477 13 11 14", "text Lifeline on 0477 13 11 14",
        "emergency department", "Ahpra or their professional association",
    ),
    "NZ": Emergency(
        "NZ", "111",
        "1737", "call or text 1737 (Need to Talk?)",
        "4357", "text HELP to 4357 (Lifeline, also free to call on 0800 543 354)",
        "emergency department",
        "their registration board, such as the New Zealand Psychologists Board, "
        "or the Health and Disability Commissioner",
    ),
}  # fmt: skip
REGION_ALIASES = {"UK": "GB"}  # what people call it, beside its ISO code


def known_regions() -> str:
    """The regions ALLIANCE_REGION accepts, for messages: "US, CA, GB (or UK), IE, AU, NZ"."""
    aliases = {code: alias for alias, code in REGION_ALIASES.items()}
    return ", ".join(f"{code} (or {aliases[code]})" if code in aliases else code for code in EMERGENCY_PRESETS)
