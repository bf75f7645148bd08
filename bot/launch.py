"""`python -m bot.launch ARGS`: Rasa's own command line, with fixes that make serving cheap.

Each fix answers something profiling found (docs/benchmarks.md), and none changes what
the assistant answers (tests/test_launch.py compares each with Rasa's own code):

- A server loads TensorFlow only if its model uses it. Importing it costs about
  3 s and 440 MB, and this project's model never runs it, but three paths reach it:
  `rasa.utils.train_utils`, from modules every server loads (loaded lazily here,
  on first use); thinc, spaCy's ML library, which imports it whenever it is
  installed to offer TensorFlow layers (told here that it is absent); and the
  model's *training* graph, whose recipe validator imports DIET and TED (serving
  runs only the prediction graph, so `run` and `shell` skip the training graph).
- An action server's reply is validated against a schema checked once per process.
  `jsonschema.validate` checks the schema itself on every call: about 23 ms of a
  65 ms reply, a third of the latency. Each event is then checked against the schema's
  alternatives for its own event name only, with the same verdict (0.41 -> 0.07 ms).
- Events are deserialised with a cached type lookup. `Event.resolve_by_type` walks
  every Event subclass for every stored event, each time a tracker is read: 40%
  of a message's time once the above was gone.
- A tracker's dialogue states and applied events are computed once per tracker
  state. RulePolicy asks for the states of the whole conversation twice per
  prediction (from the text, then from the intent), message processing asks for
  the applied events several times, and neither changes until an event is added.
  When serving, RulePolicy's states go further: they are continued from the
  conversation's previous message rather than rebuilt from its first event (a
  tracker is rebuilt for every message, and a 25-turn conversation has 75 states).
  Applied events check each event's class once, not each event through ABCMeta.
- A custom action is sent the events of the current turn (from the latest user
  message on), not the whole conversation: with the slots and the latest message
  that is all an action here reads, and turning every event of a long conversation
  into JSON, and back in the action server, was the largest part of an action call.
  An action that needs something from an earlier turn keeps it in a slot. Fewer of
  the user's words travel too.
- Action calls reuse one HTTP client session, and so its connections, per endpoint:
  Rasa opened a session and a connection for each call.
- Once the model is loaded, everything alive is frozen out of the garbage
  collector (`gc.freeze`): a full collection walked those 270,000 objects, a pause
  of 100-150 ms that fell on whichever reply was being prepared.
- RulePolicy stops matching rules against a conversation's states once it is past
  the longest rule, rather than going on to the conversation's first state, and
  when serving it remembers which rules matched the same last states before.
- Before each action Rasa copies the tracker by replaying the whole conversation;
  when serving, the copy is made from the tracker's state instead.
- The model's graphs run in dependency order, one node after another, as dask's
  synchronous scheduler runs them but without its bookkeeping (about 1 ms a run,
  and a message runs up to three).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import logging
import sys
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Dict, Sequence

logger = logging.getLogger(__name__)

# Rasa modules that import TensorFlow at import time, loaded on first use instead.
DEFERRED = frozenset({"rasa.utils.train_utils"})
# Rasa's own implementations of what `install` replaces, by (owner, attribute).
_ORIGINALS: Dict[tuple[type, str], Any] = {}


def original(owner: type, name: str) -> Any:
    """Rasa's implementation of `owner.name`, whether or not a fix replaced it."""
    return _ORIGINALS.get((owner, name)) or getattr(owner, name)


def _replace(owner: type, name: str, replacement: Callable, kind: Callable = lambda f: f) -> None:
    if (owner, name) not in _ORIGINALS:
        _ORIGINALS[(owner, name)] = getattr(owner, name)
        setattr(owner, name, kind(replacement))


# --- TensorFlow stays out ---------------------------------------------------------------


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Wraps the normal loader of the DEFERRED modules in `importlib.util.LazyLoader`."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def defer_tensorflow() -> None:
    """Must run before Rasa and spaCy are imported; idempotent."""
    if not any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())
    if "thinc.compat" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` raises ImportError
        try:
            import thinc.compat  # noqa: F401  # records has_tensorflow = False
        finally:
            del sys.modules["tensorflow"]


def _metadata_without_train_schema(serialized: Dict[str, Any]) -> Any:
    """`ModelMetadata.from_dict` with an empty training graph: its classes are never imported."""
    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.storage import ModelMetadata

    return original(ModelMetadata, "from_dict")({**serialized, "train_schema": GraphSchema({}).as_dict()})


def serve_prediction_graph_only() -> None:
    """For commands that only predict (`run`, `shell`), never for training."""
    from rasa.engine.storage.storage import ModelMetadata

    _replace(ModelMetadata, "from_dict", _metadata_without_train_schema, staticmethod)


# --- per-message work ------------------------------------------------------------------


@cache
def _action_result_validators() -> tuple[Any, Any, Dict[str, Any]]:
    """Rasa's schema checked once; and the same schema split for a fast path.

    The schema checks each event against a `oneOf` of about twenty alternatives, one
    per event name, each fixing `event` to its name: an event can only match the
    alternatives of its own name, so checking those alone gives the same verdict at a
    tenth of the cost. The rest of the schema is checked with the events' item schema
    left open.
    """
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    events = schema["properties"]["events"]
    items = events["items"]
    by_name: Dict[str, list] = {}
    for alternative in items["oneOf"]:
        name = alternative.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or "event" not in items.get("required", []):
            by_name = {}  # the split would not be exact: always use the whole schema
            break
        by_name.setdefault(name, []).append(alternative)
    item_base = {key: value for key, value in items.items() if key != "oneOf"}
    outer = {**schema, "properties": {**schema["properties"], "events": {**events, "items": {}}}}
    per_event = {name: cls({**item_base, "oneOf": alternatives}) for name, alternatives in by_name.items()}
    return cls(schema), cls(outer), per_event


def _action_result_passes(result: Any) -> bool:
    """True exactly when Rasa's schema accepts `result` (False may also mean: no fast path)."""
    _, outer, per_event = _action_result_validators()
    if not per_event or not outer.is_valid(result):
        return False
    events = result.get("events")
    if not isinstance(events, list):
        return True  # absent: nothing to check; anything else failed `outer`
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = per_event.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the checked schema reused; same errors."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    if _action_result_passes(result):
        return True
    try:
        _action_result_validators()[0].validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


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


# Serving only (`predicting_only`): states continued from the conversation's previous
# message instead of replayed from its start, for this many recent conversations.
_CONTINUED: OrderedDict[Any, _Continued] | None = None
CONTINUED_CONVERSATIONS = 1000


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


def predicting_only() -> None:
    """For commands that only predict, turn after turn (`run`, `shell`, `test core`); never for training.

    Training featurizers change every state they are given, RulePolicy edits its
    rules while it checks them, and training trackers are built in ways the fast
    copy doesn't vouch for: there nothing is kept from one call to the next.
    """
    global _CONTINUED, _REMEMBER_RULE_MATCHES
    from rasa.shared.core.trackers import DialogueStateTracker

    if _CONTINUED is None:
        _CONTINUED = OrderedDict()
    _REMEMBER_RULE_MATCHES = True
    _replace(DialogueStateTracker, "copy", _tracker_copy)


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


# Serving only (`predicting_only`): each RulePolicy keeps the rules that match
# the last states of a conversation, by those states, for this many different endings.
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
    """`RulePolicy._get_possible_keys`, looking no further back than the longest rule.

    Rasa goes on through every state of the conversation, although a rule of n
    states can only fail on the last n, and every step past the longest rule keeps
    every key: at 25 turns, about 75 steps of which 3 can change the result. Since
    the result depends on those last states only, serving also remembers it by them:
    conversations end in the same few ways again and again.
    """
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

    Rasa's copy is a new tracker with every event applied again: message processing
    copies the tracker before each action it runs, a replay of the whole conversation
    each time. A tracker's state is what its events made it (nothing else changes it
    but the model id, which the copy leaves out, as Rasa's does), so copying the state
    gives the same tracker, with what events change in place copied. Anything this
    can't vouch for (another kind of tracker, a bounded history, slots made up on the
    fly, a field it doesn't know) is copied Rasa's way.
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


def _current_turn(events: Sequence[Any]) -> list:
    """The events from the latest user message, session start or restart on (all, if none)."""
    from rasa.shared.core.events import Restarted, SessionStarted, UserUttered

    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], UserUttered | SessionStarted | Restarted):
            return list(itertools.islice(events, i, None))
    return list(events)


def _action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[str, Any]:
    """`RemoteAction._action_call_format` with the current turn's events only."""
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in _current_turn(tracker.events)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state, "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


class _KeptSession:
    """An `async with` that yields a long-lived session and leaves it open."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


# Seconds an idle kept connection stays open. Sanic (the action server) closes one after
# 5 idle seconds; closing it here first means no request ever goes out on a connection
# the other side is closing, which would lose that action's reply.
IDLE_CONNECTION_SECONDS = 2.0


def _new_session(endpoint: Any) -> Any:
    """The session `EndpointConfig.session` makes (headers, basic auth, timeout), with that idle limit."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
    )


def _endpoint_session(self: Any) -> _KeptSession:
    """`EndpointConfig.session`, made once per endpoint and event loop (sessions are bound to one loop)."""
    import asyncio

    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_alliance_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = self.__dict__["_alliance_session"] = (loop, _new_session(self))
    return _KeptSession(kept[1])


@cache
def sequential_graph_runner() -> type:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """Runs the same nodes as `DaskGraphRunner`, in dependency order, with the same results."""

        def run(self, inputs: Dict[str, Any] | None = None, targets: list[str] | None = None) -> Dict[str, Any]:
            run_targets = list(targets or self._graph_schema.target_names)
            results: Dict[str, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in self._graph_schema.nodes:
                    raise GraphRunError(f"Input value '{value}' clashes with a node name.")
                results[name] = (name, value)
            try:
                for name, needs in self._plan(tuple(run_targets)):
                    results[name] = self._instantiated_nodes[name](*(results[n] for n in needs))
            except RuntimeError as e:
                raise GraphRunError("Error running runner.") from e
            return dict(results[target] for target in run_targets)

        def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
            """The nodes the targets need, each after its dependencies (cached per target set)."""
            plans = self.__dict__.setdefault("_plans", {})
            if targets not in plans:
                nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
                order: list[str] = []

                def visit(name: str) -> None:
                    if name in nodes and name not in order:
                        for dependency in nodes[name].needs.values():
                            visit(dependency)
                        order.append(name)

                for target in targets:
                    visit(target)
                plans[targets] = [(name, tuple(nodes[name].needs.values())) for name in order]
            return plans[targets]

    return SequentialGraphRunner


async def _load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's `load_agent_on_start`, then the loaded objects moved out of the collector's sight.

    The model, spaCy and Rasa leave some 270,000 objects that live as long as the
    server; each full collection walked them all, a pause of 100-150 ms.
    """
    import gc

    import rasa.core.run

    agent = await original(rasa.core.run, "load_agent_on_start")(*args, **kwargs)
    gc.collect()
    gc.freeze()
    logger.debug("Froze %d objects that live as long as the server.", gc.get_freeze_count())
    return agent


def install() -> None:
    """The per-message fixes; idempotent."""
    import rasa.core.processor
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    _replace(RemoteAction, "_validate_action_result", _validate_action_result)
    _replace(RulePolicy, "_get_possible_keys", _possible_rule_keys)
    _replace(RemoteAction, "_action_call_format", _action_call_format)
    _replace(EndpointConfig, "session", _endpoint_session)
    _replace(Event, "resolve_by_type", _resolve_event_type, staticmethod)
    _replace(DialogueStateTracker, "past_states", _past_states)
    _replace(DialogueStateTracker, "applied_events", _applied_events)
    rasa.core.processor.DaskGraphRunner = sequential_graph_runner()  # what message processing runs graphs with
    _replace(rasa.core.run, "load_agent_on_start", _load_agent_then_freeze)


def prepare(args: Sequence[str]) -> None:
    """The fixes a Rasa command gets: all of them when it only predicts, the exact ones otherwise."""
    defer_tensorflow()
    install()
    serving = list(args[:1]) in (["run"], ["shell"]) and list(args[1:2]) != ["actions"]
    if serving:
        serve_prediction_graph_only()
    if serving or list(args[:2]) == ["test", "core"]:
        predicting_only()


def main(argv: Sequence[str] | None = None) -> None:
    """Run Rasa's command line with the fixes in place."""
    args = list(sys.argv[1:] if argv is None else argv)
    prepare(args)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
