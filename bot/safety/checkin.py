"""Reading the answer to "Are you safe right now?", whatever words it uses.

"safe": they say they are ("yeah", "i'm ok for now", "estoy bien", the button).
"unsafe": they say they aren't, or don't know ("no", "not really", "idk", "help"):
when in doubt, the higher level, so the emergency reply follows. "other": a
question or anything else, answered as usual (the reminder of the numbers stays).
"""

from __future__ import annotations

import re

from bot.safety.rules import fold_accents

SAFE, UNSAFE, OTHER = "safe", "unsafe", "other"

# Checked first: a "not" turns "safe" and "ok" around ("i'm not ok", "no estoy bien").
_UNSAFE = re.compile(
    r"\b(no|nope|nah|not|isn'?t|aren'?t|ain'?t|never|hardly|idk|dunno|unsure|help|scared|afraid|"
    r"don'?t know|do not know|no idea|not sure|can'?t say|maybe|kinda|sort of|"
    r"ayuda|ayudame|necesito|no se|no lo se|tal vez|quiza|quizas|miedo)\b"
)
_SAFE = re.compile(
    r"\b(safe|yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|fine|alright|all right|good|i am|i'?m good|i think so|"
    r"for now|will be|i'?ll be|got it|thanks|thank you|better|calm|calmer|"
    r"si|vale|claro|a salvo|estoy bien|bien|tranquil[oa]|gracias)\b"
)
# Intents that answer the question by themselves when the words above don't.
_SAFE_INTENTS = frozenset({"affirm"})
_UNSAFE_INTENTS = frozenset({"deny", "crisis"})


def interpret(text: str | None, intent: str | None) -> str:
    """SAFE, UNSAFE or OTHER for a reply to the check-in."""
    words = fold_accents((text or "").lower()).replace("\u2019", "'")  # a typographic apostrophe
    if intent == "crisis" or _UNSAFE.search(words):
        return UNSAFE
    if _SAFE.search(words) or intent in _SAFE_INTENTS:
        return SAFE
    if intent in _UNSAFE_INTENTS:
        return UNSAFE
    return OTHER
