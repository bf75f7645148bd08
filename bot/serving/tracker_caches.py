"""Fix: what Rasa computes from a tracker again and again is computed once per tracker state.

- Events are deserialised with a cached type lookup: `Event.resolve_by_type` walks
  every Event subclass for every stored event, each time a tracker is read.
- A tracker's dialogue states and applied events are kept on the tracker until it
  gets another event. RulePolicy asks for the states of the whole conversation
  twice per prediction (from the text, then from the intent), message processing
  asks for the applied events several times, and neither changes in between.
  Applied events check each event's class once, not each event through ABCMeta.
- When serving (`install_predicting`), RulePolicy's states are continued from the
  conversation's previous message rather than rebuilt from its first event (a
  tracker is rebuilt for every message), and the tracker copy Rasa makes before
  each action is made from the tracker's state instead of by replaying every event.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict

from bot.serving.patching import original, replace

_EVENT_TYPES: Dict[str, Any] = {}


def _resolve_event_type(type_name: str, default: Any = None) -> Any:
    """`Event.resolve_by_type` with the subclass walk done once (again only for an unknown name)."""
    from rasa.shared.core.events import Event

    if type_name not in _EVENT_TYPES:
        from rasa.shared.utils.common import all_subclasses

        # Rasa takes the first match in walk order: later entries must not overwrite it.
        _EVENT_TYPES.update((cls.type_name, cls) for cls in reversed(all_subclasses(Event)))
    if type_name in _EVENT_TYPES:
        return _EVENT_TYPES[type_name]
    return original(Event, "resolve_by_type")(type_name, default)


def _remembered(tracker: Any, name: str, arguments: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept on the tracker until it gets another event or other arguments."""
    events = tracker.events
    key = (len(events), id(events[0]) if events else None, id(events[-1]) if events else None, *arguments)
    cached = tracker.__dict__.get(name)
    if cached is None or cached[0] != key:
        cached = tracker.__dict__[name] = (key, compute())
    return cached[1]


@dataclass
class _Continued:
    """Where one conversation's states were last computed, to continue from there."""

    key: tuple
    domain: Any
    applied: list  # the applied events replayed into `tracker`
    tracker: Any  # a private tracker, replayed up to the end of `applied`
    states: list  # the states before each `ActionExecuted` of `applied`, never handed out


# Serving only (`install_predicting`): states continued from the conversation's previous
# message instead of replayed from its start, for this many recent conversations.
_CONTINUED: OrderedDict[Any, _Continued] | None = None
CONTINUED_CONVERSATIONS = 1000


def forget(sender_id: str) -> None:
    """Drop what is kept of a conversation (its events, so its text): the stores call it on erasure."""
    if _CONTINUED is not None:
        _CONTINUED.pop(sender_id, None)


def _continued_states(tracker: Any, domain: Any, omit_unset_slots: bool) -> list:
    """`Domain.states_for_tracker_history` without rule-only turns, from where it last stopped.

    The states before each action depend only on the applied events before it, so
    when this conversation's applied events still begin with the ones replayed last
    time (the same objects), only the new events are replayed. Anything else (a
    rewind, a restart, another conversation) starts from the beginning, as Rasa does.
    The last state is always computed afresh: later events change it.
    """
    from rasa.shared.core.events import ActionExecuted

    assert _CONTINUED is not None
    applied = tracker.applied_events()
    key = (tracker.sender_id, omit_unset_slots, type(tracker), tracker.is_rule_tracker)
    was = _CONTINUED.pop(tracker.sender_id, None)
    if (
        was is not None
        and was.key == key
        and was.domain is domain  # held by the entry, so a newly loaded model's domain can't pass for it
        and len(was.applied) <= len(applied)
        and all(old is new for old, new in zip(was.applied, applied[: len(was.applied)], strict=True))
    ):
        replay, states, start = was.tracker, was.states, len(was.applied)
    else:
        replay, states, start = tracker.init_copy(), [], 0
    for event in applied[start:]:
        if isinstance(event, ActionExecuted):
            states.append(domain.get_active_state(replay, omit_unset_slots=omit_unset_slots))
        replay.update(event)
    _CONTINUED[tracker.sender_id] = _Continued(key, domain, applied, replay, states)
    while len(_CONTINUED) > CONTINUED_CONVERSATIONS:
        _CONTINUED.popitem(last=False)
    return [*states, domain.get_active_state(replay, omit_unset_slots=omit_unset_slots)]


def _past_states(
    self: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Dict[str, Any] | None = None,
) -> list:
    """`DialogueStateTracker.past_states`, computed once per tracker state.

    Callers change the states they get (policies drop the text or the intent of the
    last user turn), so each call gets its own copy of the two-level dicts; when
    serving, the states without rule-only turns (RulePolicy's) are continued from
    the conversation's previous message, and only the parts policies change are copied.
    """
    from rasa.shared.core.trackers import DialogueStateTracker

    if _CONTINUED is not None and not ignore_rule_only_turns:
        states = _remembered(
            self,
            "_alliance_continued_states",
            (id(domain), omit_unset_slots),
            lambda: _continued_states(self, domain, omit_unset_slots),
        )
        # What a predicting policy changes is the `user` part of a state (it drops the
        # text or the intent), so that part is each caller's own; the rest is shared.
        return [{**state, "user": dict(state["user"])} if "user" in state else dict(state) for state in states]
    compute = original(DialogueStateTracker, "past_states")
    arguments = (id(domain), omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
    states = _remembered(
        self,
        "_alliance_past_states",
        arguments,
        lambda: compute(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data),
    )
    return [{name: dict(sub) for name, sub in state.items()} for state in states]


# What a tracker holds, each of which `_tracker_copy` knows how to carry over.
_TRACKER_FIELDS = frozenset(
    {
        "_max_event_history", "events", "sender_id", "slots", "sender_source", "is_rule_tracker", "_paused",
        "followup_action", "latest_action", "latest_message", "latest_bot_utterance", "active_loop", "model_id",
        "assistant_id",
    }
)  # fmt: skip


def _tracker_copy(self: Any) -> Any:
    """`DialogueStateTracker.copy`, from the tracker's state rather than by replaying its events.

    Rasa's copy is a new tracker with every event applied again. A tracker's state is
    what its events made it (nothing else changes it but the model id, which the copy
    leaves out, as Rasa's does), so copying the state gives the same tracker, with what
    events change in place copied. Anything this can't vouch for (another kind of
    tracker, a bounded history, slots made up on the fly, a field it doesn't know) is
    copied Rasa's way.
    """
    import copy
    import math

    from rasa.shared.constants import DEFAULT_SENDER_ID
    from rasa.shared.core.trackers import DialogueStateTracker

    fields = self.__dict__
    if (
        type(self) is not DialogueStateTracker
        or self._max_event_history is not None
        or type(self.slots) is not dict
        or not all(name in _TRACKER_FIELDS or name.startswith("_alliance_") for name in fields)
        or not all(event.timestamp <= math.inf for event in self.events)
    ):
        return original(DialogueStateTracker, "copy")(self)
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new.__dict__.update(fields)  # what is the same for the same events, our caches included
    new.events = self._create_events(list(self.events))
    new.sender_id = self.sender_id or DEFAULT_SENDER_ID
    new.slots = {slot.name: copy.copy(slot) for slot in self.slots.values()}
    new.sender_source = new.model_id = new.assistant_id = None
    new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    new.active_loop = copy.copy(self.active_loop)
    return new


# How `applied_events` treats an event, by its class: the `isinstance` checks it makes
# for every event of the conversation (Event's metaclass is ABCMeta, which makes each
# check slow), made once per class, in the same order.
_RESETS, _REVERTS_ACTION, _REVERTS_UTTERANCE, _ACTION, _OTHER = range(5)
_EVENT_KINDS: Dict[type, tuple[int, bool]] = {}


def _event_kind(cls: type) -> tuple[int, bool]:
    """(what `applied_events` does with an event of this class, whether it is an ActiveLoop)."""
    kind = _EVENT_KINDS.get(cls)
    if kind is None:
        from rasa.shared.core.events import (
            ActionExecuted,
            ActionReverted,
            ActiveLoop,
            Restarted,
            SessionStarted,
            UserUtteranceReverted,
        )

        order = [
            ((Restarted, SessionStarted), _RESETS),
            (ActionReverted, _REVERTS_ACTION),
            (UserUtteranceReverted, _REVERTS_UTTERANCE),
            (ActionExecuted, _ACTION),
        ]
        what = next((what for classes, what in order if issubclass(cls, classes)), _OTHER)
        kind = _EVENT_KINDS[cls] = (what, issubclass(cls, ActiveLoop))
    return kind


def _compute_applied_events(tracker: Any) -> list:
    """`DialogueStateTracker.applied_events`, step for step, with each class's checks made once."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    events = list(tracker.events)
    kinds = [_event_kind(type(event)) for event in events]
    loop_names = [event.name for event, (_, loop) in zip(events, kinds, strict=True) if loop and event.name]
    applied: list = []
    for event, (what, _) in zip(events, kinds, strict=True):
        if what == _RESETS:
            applied = []
        elif what == _REVERTS_ACTION:
            tracker._undo_till_previous(ActionExecuted, applied)
        elif what == _REVERTS_UTTERANCE:
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            what == _ACTION
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def _applied_events(self: Any) -> list:
    """`DialogueStateTracker.applied_events`, computed once per tracker state (a new list each call)."""
    return list(_remembered(self, "_alliance_applied_events", (), lambda: _compute_applied_events(self)))


def install() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    replace(Event, "resolve_by_type", _resolve_event_type, staticmethod)
    replace(DialogueStateTracker, "past_states", _past_states)
    replace(DialogueStateTracker, "applied_events", _applied_events)


def install_predicting() -> None:
    """For commands that only predict, turn after turn (`run`, `shell`, `test core`); never for training.

    Training featurizers change every state they are given, and training trackers are
    built in ways the fast copy doesn't vouch for: there nothing is kept between calls.
    """
    global _CONTINUED
    from rasa.shared.core.trackers import DialogueStateTracker

    if _CONTINUED is None:
        _CONTINUED = OrderedDict()
    replace(DialogueStateTracker, "copy", _tracker_copy)
