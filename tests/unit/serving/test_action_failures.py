"""bot.serving.action_failures: with the action server unreachable, the Rasa server answers for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import config
from bot.content.nlg import AllianceNLG
from bot.safety import escalations
from bot.serving import action_failures, patching
from tests import servers

DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))


def unreachable() -> EndpointConfig:
    return EndpointConfig(f"http://127.0.0.1:{servers.free_port()}/webhook")  # nobody listens there


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("failures", list(events), slots=DOMAIN.slots)


async def run(name: str, state: DialogueStateTracker) -> list:
    action = RemoteAction(name, unreachable())
    return await action_failures._run_or_stand_in(
        action, CollectingOutputChannel(), AllianceNLG(domain=DOMAIN), state, DOMAIN
    )


async def test_rasas_own_run_fails_without_the_action_server() -> None:
    """What the fix stands in for: Rasa raises, and then logs the action as run with no events."""
    from rasa.shared.exceptions import RasaException

    action = RemoteAction("action_answer_faq", unreachable())
    with pytest.raises(RasaException, match="Failed to execute custom action"):
        await patching.original(RemoteAction, "run")(
            action, CollectingOutputChannel(), AllianceNLG(domain=DOMAIN), tracker(), DOMAIN
        )


async def test_a_failed_session_start_still_starts_the_session_with_the_welcome(monkeypatch) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", "UK")
    events = await run("action_session_start", tracker())
    assert isinstance(events[0], BotUttered) and "automated assistant" in events[0].text
    assert "call 999" in events[0].text and "{" not in events[0].text
    assert isinstance(events[1], SessionStarted) and events[-1] == ActionExecuted("action_listen")


async def test_a_failed_answer_says_so_and_names_the_emergency_number() -> None:
    events = await run("action_answer_faq", tracker(ActionExecuted("action_listen")))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert "can't fetch that answer right now" in events[0].text and "9-1-1" in events[0].text


async def test_a_failed_escalation_record_is_written_by_the_rasa_server(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "escalations.db"
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(db))
    text = "i am going to kill myself tonight"
    parse = {"text": text, "intent": {"name": "crisis", "confidence": 1.0}, "safety": {"layer": "rules", "rule": "r"}}
    said = UserUttered(text, parse["intent"], parse_data=parse, input_channel="rest")
    assert await run("action_record_escalation", tracker(ActionExecuted("action_listen"), said)) == []
    [row] = escalations.rows(db)
    assert (row["channel"], row["layer"], row["rule"]) == ("rest", "rules", "r")
    assert text not in db.read_bytes().decode("latin-1")


async def test_an_action_that_declines_still_declines(monkeypatch) -> None:
    async def declines(*args: object) -> list:
        raise ActionExecutionRejection("action_answer_faq")

    monkeypatch.setitem(patching._ORIGINALS, (RemoteAction, "run"), declines)
    with pytest.raises(ActionExecutionRejection):
        await run("action_answer_faq", tracker())
