"""bot.serving.tracker_caches: Rasa's event types, states, applied events and tracker copies."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot import config
from bot.serving import patching
from bot.serving import tracker_caches as caches

MODEL = config.ROOT / "models" / "alliance.tar.gz"


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    original_resolve = patching.original(Event, "resolve_by_type")
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "action", "slot", "session_started", "bot"} <= names
    for name in names:
        assert caches._resolve_event_type(name) is original_resolve(name)
    assert caches._resolve_event_type("no such event", default=Event) is Event
    assert caches._resolve_event_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError, match="Unknown event name"):
        caches._resolve_event_type("no such event")


def test_past_states_are_rasas_and_each_caller_gets_its_own() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    original = patching.original(DialogueStateTracker, "past_states")
    domain = Domain.load(str(config.ROOT / "domain.yml"))
    tracker = DialogueStateTracker("states", domain.slots)
    for intent, action in [("greet", "utter_greet"), ("faq_texting", "action_answer_faq"), ("thank", "utter_thank")]:
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(intent, {"name": intent, "confidence": 1.0}))
        first = caches._past_states(tracker, domain)
        assert first == original(tracker, domain)
        first[-1]["user"].pop("intent")  # what a policy does to the last turn
        assert caches._past_states(tracker, domain) == original(tracker, domain)
        assert caches._past_states(tracker, domain, ignore_rule_only_turns=True) == original(
            tracker, domain, ignore_rule_only_turns=True
        )
        tracker.update(ActionExecuted(action))
        assert caches._past_states(tracker, domain) == original(tracker, domain)


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

    original = patching.original(DialogueStateTracker, "applied_events")
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
        mine = caches._applied_events(tracker)
        assert mine == original(tracker)
        undone = max(undone, len(tracker.events) - len(mine))
        mine.clear()
        assert caches._applied_events(tracker) == original(tracker)
    assert undone > 10  # the script does exercise the undoing


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

    original = patching.original(DialogueStateTracker, "past_states")
    monkeypatch.setattr(caches, "_CONTINUED", OrderedDict())
    monkeypatch.setattr(caches, "CONTINUED_CONVERSATIONS", 3)
    monkeypatch.setitem(patching._ORIGINALS, (DialogueStateTracker, "past_states"), original)
    monkeypatch.setattr(DialogueStateTracker, "past_states", caches._past_states)  # as installed
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
            mine = caches._past_states(tracker, domain)
            assert mine == original(tracker, domain), (sender, n)
            if mine:
                mine[-1].get("user", {}).pop("intent", None)  # what a policy does to the last turn
            for policy_input in (True, False):  # and what RulePolicy's featurizer does to all of them
                featurizer.prediction_states([tracker], domain, use_text_for_last_user_input=policy_input)
            assert caches._past_states(tracker, domain) == original(tracker, domain), (sender, n)
            again = DialogueStateTracker.from_events(sender, events, domain.slots)
            assert caches._past_states(again, domain) == original(again, domain), (sender, n)
            assert caches._past_states(again, domain, True) == original(again, domain, True)
            assert caches._past_states(again, domain, False, True, rule_only) == original(
                again, domain, False, True, rule_only
            )
    # The same name with other event objects (a conversation deleted and begun again) starts afresh,
    # even when it is longer than what was replayed.
    for events in ([ActionExecuted("action_listen"), said("goodbye")], [*others, *turn("thank", "utter_thank")] * 2):
        fresh = DialogueStateTracker.from_events("two", events, domain.slots)
        assert caches._past_states(fresh, domain) == original(fresh, domain)
    # A model loaded anew (another domain: here the crisis slot shapes the conversation) starts afresh.
    changed = domain.as_dict()
    changed["slots"]["crisis"]["influence_conversation"] = True
    reloaded = Domain.from_dict(changed)
    crisis = script[: next(i for i, e in enumerate(script) if isinstance(e, SlotSet) and e.key == "crisis") + 2]
    caches._past_states(DialogueStateTracker.from_events("three", crisis, domain.slots), domain)
    tracker = DialogueStateTracker.from_events("three", crisis, reloaded.slots)
    assert caches._past_states(tracker, reloaded) == original(tracker, reloaded)
    assert "crisis" in str(original(tracker, reloaded))  # the new domain's states do differ
    for name in "abcde":
        caches._past_states(DialogueStateTracker.from_events(name, others, domain.slots), domain)
    assert list(caches._CONTINUED) == ["c", "d", "e"]  # only the most recent conversations are kept


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

    rasas = patching.original(DialogueStateTracker, "copy")
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
        mine = caches._tracker_copy(tracker)
        assert type(mine) is DialogueStateTracker
        assert _tracker_as_fields(mine) == _tracker_as_fields(rasas(tracker)), cut
        for event in (SlotSet("topic", "changed"), LoopInterrupted(False), ActionExecutionRejected("some_form")):
            mine.update(event)  # a copy changes alone
        assert _tracker_as_fields(tracker) == before, cut
    bounded = DialogueStateTracker.from_events("bounded", script[:8], domain.slots, max_event_history=5)
    assert _tracker_as_fields(caches._tracker_copy(bounded)) == _tracker_as_fields(rasas(bounded))
