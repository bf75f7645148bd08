"""Serving Alliance on Rasa: the launcher and the fixes it applies to Rasa internals.

`launch` is Rasa's own command line (`python -m bot.serving.launch ARGS`) with the
fixes in place. Each fix lives in a module of its own whose docstring says what it
replaces and why; `guard` decides whether they apply at all (the Rasa and rasa-sdk
versions they were tested on, and the `ALLIANCE_STOCK_RASA` switch). None changes
what the assistant answers: tests/unit/serving compares each with Rasa's own code.
"""
