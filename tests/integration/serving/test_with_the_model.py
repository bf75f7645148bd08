"""The serving fixes against Rasa's own code on the trained model, and in fresh processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot import config
from bot.serving import graph_runner, rule_matching

MODEL = config.ROOT / "models" / "alliance.tar.gz"


@pytest.mark.model
def test_sequential_runner_gives_the_dask_runner_results(tmp_path: Path) -> None:
    """The NLU graph as message processing runs it, through both runners."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    runners = {}
    for name, cls in (("dask", DaskGraphRunner), ("sequential", graph_runner.sequential_graph_runner())):
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
    """As `python -m bot.serving.launch run` sets it up: load the model and parse, then look."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    script = f"""
import asyncio, sys
from bot.serving import launch
launch.prepare(["run"])
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
from bot.serving import tensorflow
tensorflow.defer_tensorflow()
import rasa.utils.train_utils as train_utils
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
print(hasattr(train_utils, "rank_and_mask"), type(sys.modules["tensorflow"]).__name__)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out[-2:] == ["True", "module"]


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
        monkeypatch.setattr(rule_matching, "_REMEMBER_RULE_MATCHES", remember)
        for cut in range(1, len(conversation) + 1):
            tracker = DialogueStateTracker.from_events("rules", conversation[:cut], domain.slots)
            states = tracker.past_states(domain)
            for rules in (lookup, with_start):
                expected = RulePolicy._get_possible_keys(policy, rules, states)
                ours = rule_matching._possible_rule_keys(policy, rules, states)
                assert ours == expected, (remember, cut)
                ours.clear()  # a caller's change to its result is its own
                assert rule_matching._possible_rule_keys(policy, rules, states) == expected
                calls, found = calls + 1, found + bool(expected)
    assert len(policy.__dict__["_alliance_rule_matches"]) < calls / 4  # conversations end alike: remembered
    assert len(states) > 3 * longest and found > len(turns)  # long enough to stop early; rules did match
    assert rule_matching._canonical({"a": [1], "b": 2}) == rule_matching._canonical({"b": 2, "a": [1]})
    assert rule_matching._canonical({"a": [1]}) != rule_matching._canonical({"a": (1,)})


@pytest.mark.parametrize(
    "command, predicting",
    [("run", True), ("shell", True), ("test core", True), ("train", False), ("run actions", False), ("test", False)],
)
def test_only_commands_that_predict_keep_anything_between_messages(command: str, predicting: bool) -> None:
    """Training featurizers change every state and RulePolicy edits its rules: training must get none of it."""
    script = f"""
from bot.serving import launch, rule_matching, tracker_caches as caches
launch.prepare({command.split()!r})
from rasa.shared.core.trackers import DialogueStateTracker as Tracker
print(caches._CONTINUED is not None, rule_matching._REMEMBER_RULE_MATCHES, Tracker.copy is caches._tracker_copy)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out[-3:] == [str(predicting)] * 3


@pytest.mark.model
def test_a_long_message_is_parsed_off_the_loop_with_the_same_result() -> None:
    """While a long message is parsed, the event loop goes on: other conversations aren't held up.

    Counted in turns of the loop, not in time: with the parse on the loop, none happen.
    """
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    script = f"""
import asyncio, json
from bot.serving import launch
launch.prepare(["run"])
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from bot.serving.patching import original

TEXT = "I wonder whether I can text my therapist between sessions when nights get hard. " * 700
TEXT += "i have the pills ready and i am going to take them all tonight"

async def parse_while_counting(parse):
    turns = 0
    done = asyncio.Event()
    async def ticker():
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    turns = 0
    parsed = await parse()
    done.set()
    await task
    return parsed, turns

async def main():
    agent = Agent.load({str(MODEL)!r})
    processor = agent.processor
    message = UserMessage(TEXT, sender_id="rest:long")
    fixed, fixed_turns = await parse_while_counting(lambda: processor.parse_message(message))
    stock = lambda: original(MessageProcessor, "parse_message")(processor, message)
    rasas, rasas_turns = await parse_while_counting(stock)
    print(json.dumps({{"same": fixed == rasas, "intent": fixed["intent"]["name"],
                      "fixed_turns": fixed_turns, "rasas_turns": rasas_turns}}))

asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=config.ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.splitlines()
    result = json.loads(out[-1])
    assert result["same"] and result["intent"] == "crisis"
    assert result["rasas_turns"] <= 1  # Rasa's parse holds the loop to the end
    assert result["fixed_turns"] > 10  # ours lets it turn while the worker thread parses
