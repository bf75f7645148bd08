"""bot.launch: each serving fix gives Rasa's own results, and TensorFlow stays out of the server."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot import config, launch

MODEL = config.ROOT / "models" / "alliance.tar.gz"


def test_action_results_are_validated_as_rasa_does() -> None:
    action = RemoteAction("action_answer_faq", None)
    good = {"events": [{"event": "slot", "name": "topic", "value": "faq_texting"}], "responses": [{"text": "hi"}]}
    bad = {"events": [{"event": "slot", "name": 3}], "responses": []}
    assert launch._validate_action_result(action, good) is True
    with pytest.raises(jsonschema.ValidationError) as ours:
        launch._validate_action_result(action, bad)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        RemoteAction._validate_action_result(action, bad)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_the_fast_path_accepts_exactly_what_rasas_schema_accepts() -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        AllSlotsReset,
        BotUttered,
        FollowupAction,
        ReminderScheduled,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUttered,
    )  # fmt: skip

    whole = launch._action_result_validators()[0]
    real = [
        SlotSet("topic", "faq_texting"), SlotSet("crisis", True), ActionExecuted("action_listen"),
        BotUttered("hi", {"buttons": []}), SessionStarted(), Restarted(), FollowupAction("action_listen"),
        ActiveLoop(None), AllSlotsReset(), ReminderScheduled("greet", datetime.now()),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}, parse_data={"text": "hi"}),
    ]  # fmt: skip
    events = [e.as_dict() for e in real] + [
        {"event": "slot"}, {"event": "slot", "name": 3}, {"event": "no_such_event"}, {"event": 7}, {"event": ["slot"]},
        {"name": "topic"}, {"event": "slot", "name": "x", "timestamp": "now"}, {"event": "bot", "metadata": 3}, "slot",
    ]  # fmt: skip
    results = [{"events": [event], "responses": []} for event in events] + [
        {"events": [e.as_dict() for e in real], "responses": [{"text": "a"}]},
        {"events": "slot"}, {"responses": ["text"]}, {"responses": [{"text": "a"}]}, {}, [], "x", None,
    ]  # fmt: skip
    verdicts = {True: 0, False: 0}
    for result in results:
        expected = whole.is_valid(result)
        assert launch._action_result_passes(result) == expected, result
        verdicts[expected] += 1
        if not expected:
            with pytest.raises(jsonschema.ValidationError):
                launch._validate_action_result(RemoteAction("a", None), result)
    assert verdicts[True] >= len(real) + 2 and verdicts[False] >= 12


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    original_resolve = launch.original(Event, "resolve_by_type")
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "action", "slot", "session_started", "bot"} <= names
    for name in names:
        assert launch._resolve_event_type(name) is original_resolve(name)
    assert launch._resolve_event_type("no such event", default=Event) is Event
    assert launch._resolve_event_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError, match="Unknown event name"):
        launch._resolve_event_type("no such event")


@pytest.mark.model
def test_sequential_runner_gives_the_dask_runner_results(tmp_path: Path) -> None:
    """The NLU graph as message processing runs it, through both runners."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    runners = {}
    for name, cls in (("dask", DaskGraphRunner), ("sequential", launch.sequential_graph_runner())):
        metadata, runners[name] = load_predict_graph_runner(tmp_path / name, MODEL, LocalModelStorage, cls)
    targets = [metadata.nlu_target]
    for text in ["can i text my therapist", "i want to kill myself", "", "/faq_trust", "asdf qwer"]:
        outputs = {}
        for name, runner in runners.items():
            result = runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)]}, targets=targets)
            assert list(result) == targets
            outputs[name] = [m.as_dict(only_output_properties=True) for m in result[targets[0]]]
        assert outputs["sequential"] == outputs["dask"], text
        assert outputs["dask"][0]["intent"]["name"]


@pytest.mark.model
def test_the_server_process_never_loads_tensorflow() -> None:
    """As `python -m bot.launch run` sets it up: load the model and parse, then look."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    script = f"""
import asyncio, sys
from bot import launch
launch.defer_tensorflow(); launch.install(); launch.serve_prediction_graph_only()
import rasa.core.run
from rasa.core.agent import Agent
agent = Agent.load({str(MODEL)!r})
parsed = asyncio.run(agent.parse_message("can i text my therapist"))
print(parsed["intent"]["name"], "tensorflow" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out[-2:] == ["faq_texting", "False"]


def test_tensorflow_still_loads_for_whoever_uses_it() -> None:
    """Deferred, not removed: DIET and TED (the stock configuration) get the real TensorFlow."""
    script = """
import sys
from bot import launch
launch.defer_tensorflow()
import rasa.utils.train_utils as train_utils
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
print(hasattr(train_utils, "rank_and_mask"), type(sys.modules["tensorflow"]).__name__)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out[-2:] == ["True", "module"]


def test_past_states_are_rasas_and_each_caller_gets_its_own() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    original = launch.original(DialogueStateTracker, "past_states")
    domain = Domain.load(str(config.ROOT / "domain.yml"))
    tracker = DialogueStateTracker("states", domain.slots)
    for intent, action in [("greet", "utter_greet"), ("faq_texting", "action_answer_faq"), ("thank", "utter_thank")]:
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(intent, {"name": intent, "confidence": 1.0}))
        first = launch._past_states(tracker, domain)
        assert first == original(tracker, domain)
        first[-1]["user"].pop("intent")  # what a policy does to the last turn
        assert launch._past_states(tracker, domain) == original(tracker, domain)
        assert launch._past_states(tracker, domain, ignore_rule_only_turns=True) == original(
            tracker, domain, ignore_rule_only_turns=True
        )
        tracker.update(ActionExecuted(action))
        assert launch._past_states(tracker, domain) == original(tracker, domain)


def test_applied_events_are_rasas_and_each_caller_gets_its_own() -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionExecutionRejected,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    original = launch.original(DialogueStateTracker, "applied_events")
    tracker = DialogueStateTracker("applied", [])
    script = [
        ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"), ActionReverted(), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("can i text", {"name": "faq_texting", "confidence": 1.0}), ActionExecuted("action_answer_faq"),
        UserUtteranceReverted(),
        SlotSet("topic", "faq_texting"), ActionExecuted("action_listen"),
        # a form: activated, run, interrupted (unhappy path), run again, finished; then a restart
        UserUttered("form", {"name": "greet", "confidence": 1.0}), ActionExecuted("some_form"), ActiveLoop("some_form"),
        ActionExecuted("action_listen"), UserUttered("x", {"name": "deny", "confidence": 1.0}),
        ActionExecuted("some_form"), ActionExecuted("action_listen"),
        UserUttered("y", {"name": "thank", "confidence": 1.0}), ActionExecuted("utter_thank"),
        ActionExecuted("some_form"), ActionExecutionRejected("some_form"), ActionExecuted("some_form"),
        ActiveLoop(None), ActionExecuted("action_listen"), Restarted(), ActionExecuted("action_listen"),
    ]  # fmt: skip
    undone = 0
    for event in script:
        tracker.update(event)
        mine = launch._applied_events(tracker)
        assert mine == original(tracker)
        undone = max(undone, len(tracker.events) - len(mine))
        mine.clear()
        assert launch._applied_events(tracker) == original(tracker)
    assert undone > 10  # the script does exercise the undoing


def _conversation() -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    def said(text: str, intent: str, channel: str) -> UserUttered:
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "intent_ranking": []}
        return UserUttered(text, parse["intent"], parse_data=parse, input_channel=channel)

    return [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        said("hi", "greet", "rest"), ActionExecuted("utter_greet"), BotUttered("Hello!"),
        ActionExecuted("action_listen"), said("can i text my therapist", "faq_texting", "rest"),
        ActionExecuted("action_answer_faq"), SlotSet("more_topic", "faq_texting"), ActionExecuted("action_listen"),
        said("tell me more", "affirm", "slack"),
    ]  # fmt: skip


async def test_actions_answer_the_current_turn_as_they_answer_the_whole_conversation(
    answers_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every action of this project, run by rasa_sdk on both payloads: the same events and replies."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk.executor import ActionExecutor

    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(tmp_path / "escalations.db"))
    domain = Domain.load(str(config.ROOT / "domain.yml"))
    executor = ActionExecutor()
    executor.register_package("actions")
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook", enable_selective_domain=True)
    events = _conversation()
    for cut in (1, 4, 9, len(events)):  # session start, first message, after an action, a later message
        tracker = DialogueStateTracker.from_events("turns", events[:cut], domain.slots)
        for name in executor.actions:
            action = RemoteAction(name, endpoint)
            ours = launch._action_call_format(action, tracker, domain)
            theirs = launch.original(RemoteAction, "_action_call_format")(action, tracker, domain)
            first = next((i for i in range(cut - 1, -1, -1) if events[i].type_name in ("user", "session_started")), 0)
            assert ours["tracker"]["events"] == theirs["tracker"]["events"][first:]
            assert {**ours, "tracker": {**ours["tracker"], "events": None}} == {
                **theirs,
                "tracker": {**theirs["tracker"], "events": None},
            }
            assert await executor.run(ours) == await executor.run(theirs), (name, cut)


async def test_action_calls_share_one_session_and_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two calls through Rasa's EndpointConfig reach a loopback server over one connection."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    monkeypatch.setattr(EndpointConfig, "session", launch._endpoint_session)
    peers = []

    async def handle(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [], "seen": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        first = await endpoint.request(json={"n": 1}, method="post")
        second = await endpoint.request(json={"n": 2}, method="post")
        assert (first["seen"], second["seen"]) == ({"n": 1}, {"n": 2})
        assert len(peers) == 2 and peers[0] == peers[1]  # the same client port: one connection
        session = endpoint.__dict__["_alliance_session"][1]
        await session.close()
        third = await endpoint.request(json={"n": 3}, method="post")  # a closed session is replaced
        assert third["seen"] == {"n": 3} and peers[2] != peers[0]
        await endpoint.__dict__["_alliance_session"][1].close()
    finally:
        await runner.cleanup()


def test_continued_states_are_rasas_through_rewinds_restarts_and_other_conversations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the server uses them: a new tracker per message, replaying the stored event objects."""
    from collections import OrderedDict

    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    original = launch.original(DialogueStateTracker, "past_states")
    monkeypatch.setattr(launch, "_CONTINUED", OrderedDict())
    monkeypatch.setattr(launch, "CONTINUED_CONVERSATIONS", 3)
    monkeypatch.setitem(launch._ORIGINALS, (DialogueStateTracker, "past_states"), original)
    monkeypatch.setattr(DialogueStateTracker, "past_states", launch._past_states)  # as installed
    featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
    domain = Domain.load(str(config.ROOT / "domain.yml"))

    def said(intent: str) -> UserUttered:
        return UserUttered(intent, {"name": intent, "confidence": 1.0}, parse_data={"text": intent})

    def turn(intent: str, *actions: str, slots: tuple = ()) -> list:
        return [
            said(intent),
            *(ActionExecuted(a) for a in actions[:1]),
            *slots,
            *(ActionExecuted(a) for a in actions[1:]),
        ]

    script = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        *turn("greet", "utter_greet", "action_listen"),
        *turn("faq_texting", "action_answer_faq", "action_listen", slots=(SlotSet("more_topic", "faq_texting"),)),
        *turn("affirm", "action_tell_more", "action_listen"),
        said("deny"), UserUtteranceReverted(), ActionExecuted("action_listen", hide_rule_turn=True),
        *turn("crisis", "utter_crisis", "action_listen", slots=(SlotSet("crisis", True),)),
        ActionReverted(), ActionExecuted("action_listen"),
        *turn("thank", "utter_thank", "action_listen"),
        Restarted(), ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        *turn("faq_trust", "action_answer_faq", "action_listen"),
    ]  # fmt: skip
    others = [ActionExecuted("action_listen"), *turn("help", "action_show_menu", "action_listen")]
    rule_only = {"slots": ["crisis"], "active_loops": []}
    for n in range(len(script) + 1):
        for sender, events in (("one", script[:n]), ("two", others[: n % (len(others) + 1)])):
            tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
            mine = launch._past_states(tracker, domain)
            assert mine == original(tracker, domain), (sender, n)
            if mine:
                mine[-1].get("user", {}).pop("intent", None)  # what a policy does to the last turn
            for policy_input in (True, False):  # and what RulePolicy's featurizer does to all of them
                featurizer.prediction_states([tracker], domain, use_text_for_last_user_input=policy_input)
            assert launch._past_states(tracker, domain) == original(tracker, domain), (sender, n)
            again = DialogueStateTracker.from_events(sender, events, domain.slots)
            assert launch._past_states(again, domain) == original(again, domain), (sender, n)
            assert launch._past_states(again, domain, True) == original(again, domain, True)
            assert launch._past_states(again, domain, False, True, rule_only) == original(
                again, domain, False, True, rule_only
            )
    # The same name with other event objects (a conversation deleted and begun again) starts afresh,
    # even when it is longer than what was replayed.
    for events in ([ActionExecuted("action_listen"), said("goodbye")], [*others, *turn("thank", "utter_thank")] * 2):
        fresh = DialogueStateTracker.from_events("two", events, domain.slots)
        assert launch._past_states(fresh, domain) == original(fresh, domain)
    # A model loaded anew (another domain: here the crisis slot shapes the conversation) starts afresh.
    changed = domain.as_dict()
    changed["slots"]["crisis"]["influence_conversation"] = True
    reloaded = Domain.from_dict(changed)
    crisis = script[: next(i for i, e in enumerate(script) if isinstance(e, SlotSet) and e.key == "crisis") + 2]
    launch._past_states(DialogueStateTracker.from_events("three", crisis, domain.slots), domain)
    tracker = DialogueStateTracker.from_events("three", crisis, reloaded.slots)
    assert launch._past_states(tracker, reloaded) == original(tracker, reloaded)
    assert "crisis" in str(original(tracker, reloaded))  # the new domain's states do differ
    for name in "abcde":
        launch._past_states(DialogueStateTracker.from_events(name, others, domain.slots), domain)
    assert list(launch._CONTINUED) == ["c", "d", "e"]  # only the most recent conversations are kept


async def test_what_the_server_loads_is_frozen_out_of_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import rasa.core.run

    loaded = object()

    async def load_agent_on_start(*args: object, **kwargs: object) -> object:
        assert gc.get_freeze_count() == 0  # nothing frozen before the model is in memory
        return loaded

    monkeypatch.setitem(launch._ORIGINALS, (rasa.core.run, "load_agent_on_start"), load_agent_on_start)
    try:
        assert await launch._load_agent_then_freeze("model", endpoints=None) is loaded
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


@pytest.mark.model
def test_rule_matching_stops_early_with_rasas_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This model's rules, against every prefix of long conversations, by both implementations."""
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import SHOULD_NOT_BE_SET
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    _, runner = load_predict_graph_runner(tmp_path, MODEL, LocalModelStorage, DaskGraphRunner)
    node = next(node for name, node in runner._instantiated_nodes.items() if "RulePolicy" in name)
    policy, lookup = node._component, node._component.lookup["rules"]
    longest = max(len(policy._rule_key_to_state(key)) for key in lookup)
    # A rule for a conversation's start ({}), as long as the longest, whose other states match any state.
    anything = {"prev_action": {"action_text": SHOULD_NOT_BE_SET}}
    starts = json.dumps([{}] + [anything] * (longest - 1))
    domain = Domain.load(str(config.ROOT / "domain.yml"))
    turns = [("faq_texting", "action_answer_faq"), ("affirm", "action_tell_more"), ("crisis", "utter_crisis"),
             ("deny", "utter_deny"), ("thank", "utter_thank"), ("faq_trust", "action_answer_faq"),
             ("help", "action_show_menu"), ("goodbye", "utter_goodbye")] * 3  # fmt: skip
    conversation: list = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for intent, action in turns:
        conversation += [UserUttered(intent, {"name": intent, "confidence": 1.0}), ActionExecuted(action)]
        conversation += [SlotSet("crisis", True)] if intent == "crisis" else []
        conversation += [ActionExecuted("action_listen")]
    with_start = {**lookup, starts: "utter_greet"}  # a rule only for a conversation's start
    calls = found = 0
    for remember in (False, True):  # as training computes it, and as serving remembers it
        monkeypatch.setattr(launch, "_REMEMBER_RULE_MATCHES", remember)
        for cut in range(1, len(conversation) + 1):
            tracker = DialogueStateTracker.from_events("rules", conversation[:cut], domain.slots)
            states = tracker.past_states(domain)
            for rules in (lookup, with_start):
                expected = RulePolicy._get_possible_keys(policy, rules, states)
                ours = launch._possible_rule_keys(policy, rules, states)
                assert ours == expected, (remember, cut)
                ours.clear()  # a caller's change to its result is its own
                assert launch._possible_rule_keys(policy, rules, states) == expected
                calls, found = calls + 1, found + bool(expected)
    assert len(policy.__dict__["_alliance_rule_matches"]) < calls / 4  # conversations end alike: remembered
    assert len(states) > 3 * longest and found > len(turns)  # long enough to stop early; rules did match
    assert launch._canonical({"a": [1], "b": 2}) == launch._canonical({"b": 2, "a": [1]})
    assert launch._canonical({"a": [1]}) != launch._canonical({"a": (1,)})


def _tracker_as_fields(tracker: object) -> dict:
    """A snapshot of everything a tracker holds, events by identity."""
    fields = {name: value for name, value in vars(tracker).items() if not name.startswith("_alliance_")}
    fields["slots"] = {name: (type(slot), vars(slot)) for name, slot in fields["slots"].items()}
    events = [id(event) for event in fields.pop("events")]  # the same event objects, in order
    return {**copy.deepcopy(fields), "events": events}


def test_a_tracker_copy_is_rasas_copy_and_its_own() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionExecutionRejected,
        ActionReverted,
        ActiveLoop,
        AllSlotsReset,
        BotUttered,
        ConversationPaused,
        ConversationResumed,
        EntitiesAdded,
        FollowupAction,
        LoopInterrupted,
        ReminderScheduled,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )  # fmt: skip
    from rasa.shared.core.trackers import DialogueStateTracker

    rasas = launch.original(DialogueStateTracker, "copy")
    domain = Domain.load(str(config.ROOT / "domain.yml"))
    entity = {"entity": "topic", "value": "texting", "start": 0, "end": 7}
    script = [
        ActionExecuted("action_session_start"), SessionStarted(), SlotSet("crisis", True),
        ActionExecuted("action_listen"),
        UserUttered("texting?", {"name": "faq_texting", "confidence": 0.9}, [entity]), EntitiesAdded([entity]),
        ActionExecuted("action_answer_faq"), BotUttered("an answer", {"buttons": []}), SlotSet("more_topic", "x"),
        ActionExecuted("some_form"), ActiveLoop("some_form"), LoopInterrupted(True),
        ActionExecutionRejected("some_form"),
        FollowupAction("utter_greet"), ConversationPaused(), ConversationResumed(), ConversationPaused(),
        ReminderScheduled("greet", datetime.now()), SlotSet("topic", ["a", "list"]), ActionReverted(),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}), UserUtteranceReverted(), ActiveLoop(None),
        AllSlotsReset(), SlotSet("topic", "faq_trust"), Restarted(), ActionExecuted("action_listen"),
    ]  # fmt: skip
    for cut in range(len(script) + 1):
        tracker = DialogueStateTracker.from_events("copies", script[:cut], domain.slots)
        tracker.model_id, tracker.assistant_id, tracker.sender_source = "model", "assistant", "file"
        before = _tracker_as_fields(tracker)
        mine = launch._tracker_copy(tracker)
        assert type(mine) is DialogueStateTracker
        assert _tracker_as_fields(mine) == _tracker_as_fields(rasas(tracker)), cut
        for event in (SlotSet("topic", "changed"), LoopInterrupted(False), ActionExecutionRejected("some_form")):
            mine.update(event)  # a copy changes alone
        assert _tracker_as_fields(tracker) == before, cut
    bounded = DialogueStateTracker.from_events("bounded", script[:8], domain.slots, max_event_history=5)
    assert _tracker_as_fields(launch._tracker_copy(bounded)) == _tracker_as_fields(rasas(bounded))


async def test_a_kept_session_is_rasas_and_lets_go_of_idle_connections_first() -> None:
    from rasa.utils.endpoints import EndpointConfig
    from sanic.config import DEFAULT_CONFIG

    endpoint = EndpointConfig(
        "http://127.0.0.1:9/webhook", headers={"X-A": "1"}, basic_auth={"username": "u", "password": "p"}
    )
    async with launch.original(EndpointConfig, "session")(endpoint) as rasas:
        ours = launch._new_session(endpoint)
        try:
            assert dict(ours.headers) == dict(rasas.headers) == {"X-A": "1"}
            assert ours.auth == rasas.auth and ours.timeout == rasas.timeout
            # The action server (Sanic) closes idle connections after KEEP_ALIVE_TIMEOUT: this side goes first.
            assert ours.connector._keepalive_timeout < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
        finally:
            await ours.close()


@pytest.mark.parametrize(
    "command, predicting",
    [("run", True), ("shell", True), ("test core", True), ("train", False), ("run actions", False), ("test", False)],
)
def test_only_commands_that_predict_keep_anything_between_messages(command: str, predicting: bool) -> None:
    """Training featurizers change every state and RulePolicy edits its rules: training must get none of it."""
    script = f"""
from rasa.shared.core.trackers import DialogueStateTracker
from bot import launch
launch.prepare({command.split()!r})
print(launch._CONTINUED is not None, launch._REMEMBER_RULE_MATCHES, DialogueStateTracker.copy is launch._tracker_copy)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out[-3:] == [str(predicting)] * 3
