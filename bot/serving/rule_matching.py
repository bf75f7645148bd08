"""Fix: RulePolicy matches rules against the last states only, and remembers the result.

Rasa's `RulePolicy._get_possible_keys` goes on through every state of the
conversation, although a rule of n states can only fail on the last n, and every
step past the longest rule keeps every key. Since the result depends on those last
states only, serving (`install_predicting`) also remembers it by them:
conversations end in the same few ways again and again. Training never remembers:
RulePolicy edits its rules while it checks them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict

from bot.serving.patching import replace

# Serving only: each RulePolicy keeps the rules that match the last states of a
# conversation, by those states, for this many different endings.
_REMEMBER_RULE_MATCHES = False
RULE_MATCHES_KEPT = 4096


def _canonical(value: Any) -> Any:
    """A hashable form of a state, equal for equal states (lists and tuples kept apart)."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((key, _canonical(item)) for key, item in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_canonical(item) for item in value))
    hash(value)
    return value


def _possible_rule_keys(self: Any, lookup: Dict[str, str], states: list) -> set:
    """`RulePolicy._get_possible_keys`, looking no further back than the longest rule."""
    longest = max((len(self._rule_key_to_state(key)) for key in lookup), default=0)
    last = states[-longest:] if longest else []
    matches, remembered = None, None
    if _REMEMBER_RULE_MATCHES:
        matches = self.__dict__.setdefault("_alliance_rule_matches", OrderedDict())
        try:
            remembered = (id(lookup), _canonical(last))  # a policy's lookups don't change when serving
        except TypeError:  # a value that can't be a key: compute as Rasa does
            matches = None
        if matches is not None and remembered in matches:
            matches.move_to_end(remembered)
            return set(matches[remembered])
    possible = set(lookup)
    for i, state in enumerate(reversed(last)):
        if not possible:
            break
        possible = {key for key in possible if self._is_rule_applicable(key, i, state)}
    if matches is not None:
        matches[remembered] = set(possible)
        while len(matches) > RULE_MATCHES_KEPT:
            matches.popitem(last=False)
    return possible


def install() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    replace(RulePolicy, "_get_possible_keys", _possible_rule_keys)


def install_predicting() -> None:
    global _REMEMBER_RULE_MATCHES
    _REMEMBER_RULE_MATCHES = True
