"""The safety layer: crisis detection that runs before any FAQ logic.

Two layers inside the NLU pipeline: the trained `crisis` intent, then
`guard.CrisisGuard`, which matches hand-written rules (`rules.yml`, compiled by
`rules.py`) over spaCy tokens and lemmas. A danger rule forces the intent to
`crisis` with confidence 1.0; idioms, media, study and long-past contexts keep
words like "killing" or "suicide" from raising false alarms. `policy.CrisisPolicy`
then makes the escalation the next action whatever the conversation looked like
before, so the reply needs nothing but the Rasa server; `escalations` records it.
docs/safety.md has the details.
"""

CRISIS_INTENT = "crisis"
OUT_OF_SCOPE_INTENT = "out_of_scope"
CRISIS_RESPONSE = "utter_crisis"
CRISIS_SLOT = "crisis"  # set once the conversation has been escalated
RECORD_ACTION = "action_record_escalation"
SAFETY_KEY = "safety"  # the parse result's record of what the layers found
