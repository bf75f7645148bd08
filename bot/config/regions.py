"""Each region's emergency numbers and the words its texts use: one truth per region.

Every text, button, reminder and the web widget's strip takes its numbers and terms
from here, through `bot.config.emergency()`. docs/safety.md cites a public source
for every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def dial(shown: str) -> str:
    """What a phone dials for a number as texts show it: "9-1-1" -> "911", "112 or 999" -> "112"."""
    first = re.match(r"\+?[0-9][0-9 -]*", shown.strip())
    return re.sub(r"[^0-9+]", "", first.group()) if first else ""


@dataclass(frozen=True)
class Support:
    """What a region offers beyond the emergency and crisis lines: for the graded crisis replies.

    Empty where no line was confirmed (docs/safety.md cites each): the reply then leaves it out.
    """

    text_keyword: str = ""  # pre-filled in the text line's sms: link: "HOME"
    line_detail: str = ""  # the level-2 check-in's line: how to reach it, and that it's free and confidential
    es_line_sentence: str = ""  # the crisis line for the Spanish replies
    es_emergency_room: str = "un hospital"  # fits "ve a ___"
    dv_sentence: str = ""  # a line for abuse at home
    dv_sms: tuple[str, str] = ("", "")  # (number, keyword) of its text line
    dv_phone: str = ""
    child_sentence: str = ""  # a line for children at risk
    child_phone: str = ""
    es_dv_sentence: str = ""


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
    support: Support = field(default_factory=Support)

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
            "crisis_line_detail": self.support.line_detail or f"{self.line_sentence}. It's free and confidential",
            "es_crisis_line_sentence": self.support.es_line_sentence or f"llama al {self.line_display}",
            "es_emergency_room": self.support.es_emergency_room,
        }

    @property
    def reminder(self) -> str:
        """The one line every answer ends with after an escalation."""
        return (
            f"Reminder: in an emergency call {self.number_display}; you can also "
            f"{self.line_sentence}, or {self.text_sentence}."
        )

    @property
    def pointer(self) -> str:
        """The line under an answer to a message that mentioned danger in a safe context (level 3)."""
        return f"If any of this is hard for you right now, you can {self.line_sentence} any time."

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
        Support(
            "HOME",
            "call or text 988, or chat at 988lifeline.org. It's free, confidential and open 24/7",
            "llama al 988 y marca 2 para hablar en español, o envía AYUDA por mensaje de texto al 988 o al 741741",
            "la sala de emergencias más cercana",
            "For abuse at home, the National Domestic Violence Hotline is free and open 24/7: "
            "call 1-800-799-7233 or text START to 88788.",
            ("88788", "START"), "18007997233",
            "For a child at risk, the Childhelp National Child Abuse Hotline is open 24/7: "
            "call or text 1-800-422-4453.",
            "18004224453",
            "Si hay violencia en casa, la Línea Nacional sobre la Violencia Doméstica atiende gratis las 24 horas: "
            "1-800-799-7233 (chat en español en espanol.thehotline.org).",
        ),
    ),
    "CA": Emergency(
        "CA", "9-1-1",
        "988", "call or text 988 (the 988 Suicide Crisis Helpline)",
        "686868", "if you are a young person, text CONNECT to 686868 (Kids Help Phone)",
        "emergency department", "your province's or territory's regulatory college",
        Support(
            "CONNECT", "call or text 988, any time. It's free and confidential",
            "llama o envía un mensaje de texto al 988 (en inglés o francés)", "un hospital",
            child_sentence="Kids Help Phone is there for young people 24/7: call 1-800-668-6868 or text CONNECT "
            "to 686868.",
            child_phone="18006686868",
        ),
    ),
    "GB": Emergency(
        "GB", "999",
        "116 123", "call Samaritans free on 116 123",
        "85258", "text SHOUT to 85258 (Shout)",
        "A&E", "the professional body or register they belong to, such as the HCPC, BACP or UKCP",
        Support(
            "SHOUT", "call Samaritans free on 116 123, day or night, or text SHOUT to 85258. Both are confidential",
            "llama gratis a Samaritans al 116 123 (en inglés)", "urgencias (A&E)",
            "For abuse at home, the National Domestic Abuse Helpline is free and open 24/7: call 0808 2000 247.",
            ("", ""), "08082000247",
            "For a child or young person at risk, Childline is free and open 24/7: call 0800 1111.", "08001111",
        ),
    ),
    "IE": Emergency(
        "IE", "112 or 999",
        "116 123", "call Samaritans free on 116 123",
        "50808", "text 50808 (a free text line, open day and night)",
        "emergency department (A&E)", "CORU or their professional body",
        Support(
            "", "call Samaritans free on 116 123, or text 50808. Both are free, confidential and open day and night",
            "llama gratis a Samaritans al 116 123 (en inglés)", "urgencias",
            "For abuse at home, Women's Aid is free and open 24/7: call 1800 341 900.", ("", ""), "1800341900",
            "For a child or young person at risk, Childline is free and open 24/7: call 1800 66 66 66.",
            "1800666666",
        ),
    ),
    "AU": Emergency(
        "AU", "000",
        "13 11 14", "call Lifeline on 13 11 14",
        "0477 13 11 14", "text Lifeline on 0477 13 11 14",
        "emergency department", "Ahpra or their professional association",
        Support(
            "", "call Lifeline on 13 11 14 or text 0477 13 11 14, day or night. It's confidential",
            "llama a Lifeline al 13 11 14 (en inglés)", "urgencias",
            "For abuse at home, 1800RESPECT is open 24/7: call 1800 737 732.", ("", ""), "1800737732",
            "For a child or young person at risk, Kids Helpline is open 24/7: call 1800 55 1800.", "1800551800",
        ),
    ),
    "NZ": Emergency(
        "NZ", "111",
        "1737", "call or text 1737 (Need to Talk?)",
        "4357", "text HELP to 4357 (Lifeline, also free to call on 0800 543 354)",
        "emergency department",
        "their registration board, such as the New Zealand Psychologists Board, "
        "or the Health and Disability Commissioner",
        Support(
            "HELP", "call or text 1737, any time. It's free and confidential",
            "llama o envía un mensaje de texto al 1737 (en inglés)", "urgencias",
            "For abuse at home, Women's Refuge is free and open 24/7: call 0800 733 843.", ("", ""), "0800733843",
            "For a child or young person at risk, Youthline is free: call 0800 376 633 or text 234.", "0800376633",
        ),
    ),
}  # fmt: skip
REGION_ALIASES = {"UK": "GB"}  # what people call it, beside its ISO code


def known_regions() -> str:
    """The regions ALLIANCE_REGION accepts, for messages: "US, CA, GB (or UK), IE, AU, NZ"."""
    aliases = {code: alias for alias, code in REGION_ALIASES.items()}
    return ", ".join(f"{code} (or {aliases[code]})" if code in aliases else code for code in EMERGENCY_PRESETS)
