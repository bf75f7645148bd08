"""bot.serving.action_calls: the same verdicts, requests and replies as Rasa's own action calls."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import config
from bot.serving import action_calls, patching

MODEL = config.ROOT / "models" / "alliance.tar.gz"


def test_action_results_are_validated_as_rasa_does() -> None:
    action = RemoteAction("action_answer_faq", None)
    good = {"events": [{"event": "slot", "name": "topic", "value": "faq_texting"}], "responses": [{"text": "hi"}]}
    bad = {"events": [{"event": "slot", "name": 3}], "responses": []}
    assert action_calls._validate_action_result(action, good) is True
    with pytest.raises(jsonschema.ValidationError) as ours:
        action_calls._validate_action_result(action, bad)
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

    whole = action_calls._action_result_validators()[0]
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
        assert action_calls._action_result_passes(result) == expected, result
        verdicts[expected] += 1
        if not expected:
            with pytest.raises(jsonschema.ValidationError):
                action_calls._validate_action_result(RemoteAction("a", None), result)
    assert verdicts[True] >= len(real) + 2 and verdicts[False] >= 12


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
            ours = action_calls._action_call_format(action, tracker, domain)
            theirs = patching.original(RemoteAction, "_action_call_format")(action, tracker, domain)
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

    monkeypatch.setattr(EndpointConfig, "session", action_calls._endpoint_session)
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


async def test_a_kept_session_is_rasas_and_lets_go_of_idle_connections_first() -> None:
    from rasa.utils.endpoints import EndpointConfig
    from sanic.config import DEFAULT_CONFIG

    endpoint = EndpointConfig(
        "http://127.0.0.1:9/webhook", headers={"X-A": "1"}, basic_auth={"username": "u", "password": "p"}
    )
    async with patching.original(EndpointConfig, "session")(endpoint) as rasas:
        ours = action_calls._new_session(endpoint)
        try:
            assert dict(ours.headers) == dict(rasas.headers) == {"X-A": "1"}
            assert ours.auth == rasas.auth and ours.timeout == rasas.timeout
            # The action server (Sanic) closes idle connections after KEEP_ALIVE_TIMEOUT: this side goes first.
            assert ours.connector._keepalive_timeout < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
        finally:
            await ours.close()


def test_an_action_not_listed_gets_the_whole_conversation() -> None:
    """What an action added to actions/ sees until it is listed: Rasa's own payload, to the letter."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    domain = Domain.load(str(config.ROOT / "domain.yml"))
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook", enable_selective_domain=True)
    tracker = DialogueStateTracker.from_events("whole", _conversation(), domain.slots)
    unlisted, listed = RemoteAction("action_somebody_adds", endpoint), RemoteAction("action_answer_faq", endpoint)
    assert "action_somebody_adds" not in action_calls.CURRENT_TURN_ACTIONS
    theirs = patching.original(RemoteAction, "_action_call_format")
    whole = action_calls._action_call_format(unlisted, tracker, domain)
    assert whole == theirs(unlisted, tracker, domain)
    assert len(whole["tracker"]["events"]) == len(_conversation())
    short = action_calls._action_call_format(listed, tracker, domain)
    assert len(short["tracker"]["events"]) < len(whole["tracker"]["events"])


def test_every_action_listed_for_the_current_turn_is_one_of_ours() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert action_calls.CURRENT_TURN_ACTIONS <= set(executor.actions)
