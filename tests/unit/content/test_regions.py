"""Every text a person can see names its own region's numbers and terms, and never another region's.

For each region (ALLIANCE_REGION) this renders every domain response through
AllianceNLG (on the REST channel, which gets call buttons, and on Slack, which gets
none; before and after a crisis, so with the reminder too), the reminder the actions
add, every answer text and one that names each variable, and what the widget's
region route serves. Then it checks that no `{placeholder}` is left and that no
other region's numbers, terms or service names appear.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest
import yaml
from rasa.core.channels.channel import register
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot import config
from bot.channels import widget
from bot.content import nlg, replies

REGIONS = list(config.EMERGENCY_PRESETS)
DOMAIN = Domain.load(str(config.ROOT / "domain.yml"))
CHANNELS = ("rest", "slack")  # with tel:/sms: buttons, and text only
# Beside each region's numbers and terms: names of its services and regulators that
# must not turn up in another region's texts.
MARKERS = {
    "US": ["state's", "Crisis Text Line", "HOME to", "Suicide & Crisis Lifeline"],
    "CA": ["province", "territory", "Kids Help Phone", "CONNECT", "Suicide Crisis Helpline"],
    "GB": ["HCPC", "BACP", "UKCP", "SHOUT", "Samaritans"],
    "IE": ["CORU"],
    "AU": ["Ahpra", "Lifeline"],
    "NZ": ["Need to Talk", "Psychologists Board", "Health and Disability Commissioner", "HELP to"],
}
EVERY_VARIABLE = " ".join(f"{name}: {{{name}}}." for name in config.EMERGENCY_PRESETS["US"].variables())
PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")


def own_strings(region: str) -> set[str]:
    """What only this region's texts may say (unless another region says it too)."""
    e = config.EMERGENCY_PRESETS[region]
    return {
        e.number_display, e.number, e.line_display, e.line, e.text_display, e.text_number,
        e.emergency_room, e.licensing_body, e.line_sentence, e.text_sentence, *MARKERS[region],
    }  # fmt: skip


def says(text: str, phrase: str) -> bool:
    """`phrase` in `text`; a number only as a whole number ("111" is not in "131114", "911" not in "9119")."""
    if re.fullmatch(r"[0-9][0-9 -]*", phrase):
        return re.search(rf"(?<![0-9]){re.escape(phrase)}(?![0-9])", text) is not None
    return phrase in text


def _tracker(channel: str, after_crisis: bool) -> DialogueStateTracker:
    events: list[Any] = [UserUttered("hello", {"name": "greet", "confidence": 1.0}, input_channel=channel)]
    if after_crisis:
        events.append(SlotSet("crisis", True))
    return DialogueStateTracker.from_events(f"regions-{channel}", events, slots=DOMAIN.slots)


def _message_texts(message: dict[str, Any]) -> list[str]:
    return [message.get("text") or ""] + [f"{b['title']} {b['payload']}" for b in message.get("buttons") or []]


async def _domain_responses() -> dict[str, str]:
    generator = nlg.AllianceNLG(domain=DOMAIN)
    shown: dict[str, str] = {}
    for channel in CHANNELS:
        for after_crisis in (False, True):
            tracker = _tracker(channel, after_crisis)
            for name in DOMAIN.responses:
                response = await generator.generate(name, tracker, channel)
                assert response is not None, name
                shown[f"{name} ({channel}, after a crisis: {after_crisis})"] = "\n".join(_message_texts(response))
    return shown


def _answer_texts() -> dict[str, str]:
    source = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    texts = {"an answer naming every variable": replies.in_region(EVERY_VARIABLE)}
    for topic, answer in (source.get("answers") or {}).items():
        for part in ("short", "more"):
            if isinstance(answer.get(part), str):
                texts[f"{topic}.{part}"] = replies.in_region(answer[part])
    return texts


def _region_route() -> dict[str, Any]:
    """GET /webhooks/socketio/region, answered in process by the channel Rasa would register."""
    app = Sanic(f"regions_{uuid.uuid4().hex}")
    register([widget.WidgetSocketIOInput.from_credentials({"session_persistence": True})], app, "/webhooks/")
    (route,) = [r for r in app.router.routes if r.path == "webhooks/socketio/region"]
    assert route.methods == {"GET"}
    answer = asyncio.run(route.handler(None))
    assert answer.status == 200 and answer.content_type == "application/json"
    return json.loads(answer.body)


def render() -> dict[str, str]:
    """Everything a person can see in the current region, by where it comes from."""
    shown = asyncio.run(_domain_responses())
    shown.update(_answer_texts())
    reply = replies.with_reminder(replies.Reply([{"text": "An answer."}]), after_crisis=True)
    shown["the reminder after an answer"] = reply.messages[-1]["text"]
    shown["config reminder"] = config.emergency().reminder
    shown["crisis buttons"] = " ".join(f"{b['title']} {b['payload']}" for b in nlg.crisis_buttons(config.emergency()))
    shown["widget region route"] = " ".join(_region_route().values())
    return shown


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, str]]:
    by_region = {}
    with pytest.MonkeyPatch.context() as patch:
        for var in [v for v in os.environ if v.startswith(("ALLIANCE_EMERGENCY", "ALLIANCE_CRISIS", "ALLIANCE_LIC"))]:
            patch.delenv(var)
        for region in REGIONS:
            patch.setenv("ALLIANCE_REGION", region)
            by_region[region] = render()
    return by_region


def test_every_response_and_reply_is_rendered(rendered: dict[str, dict[str, str]]) -> None:
    for region, shown in rendered.items():
        assert len([k for k in shown if k.startswith("utter_")]) == 4 * len(DOMAIN.responses), region
        assert "utter_crisis (rest, after a crisis: False)" in shown and "widget region route" in shown


@pytest.mark.parametrize("region", REGIONS)
def test_no_placeholder_is_left_unfilled(rendered: dict[str, dict[str, str]], region: str) -> None:
    left = {where: PLACEHOLDER.findall(text) for where, text in rendered[region].items() if PLACEHOLDER.search(text)}
    assert not left, left


@pytest.mark.parametrize("region", REGIONS)
def test_texts_name_the_regions_own_numbers_and_terms(rendered: dict[str, dict[str, str]], region: str) -> None:
    e, shown = config.EMERGENCY_PRESETS[region], rendered[region]
    crisis = shown["utter_crisis (rest, after a crisis: False)"]
    for part in (e.number_display, e.emergency_room, e.line_sentence, e.text_sentence, f"tel:{e.number}"):
        assert part in crisis, part
    assert f"tel:{e.line}" in crisis and f"sms:{e.text_number}" in crisis
    assert "buttons" not in shown["utter_crisis (slack, after a crisis: False)"]
    assert "tel:" not in shown["utter_crisis (slack, after a crisis: False)"]
    assert e.licensing_body in shown["utter_find_therapist (rest, after a crisis: False)"]
    medical = shown["utter_medical_advice (rest, after a crisis: False)"]
    assert e.number_display in medical and e.emergency_room in medical
    assert e.number_display in shown["utter_welcome (slack, after a crisis: False)"]
    assert shown["utter_thank (slack, after a crisis: True)"].endswith(e.reminder)
    for value in e.variables().values():
        assert value in shown["an answer naming every variable"]
    assert (
        shown["widget region route"]
        == f"{region} {e.number_display} {e.number} In an emergency call {e.number_display}"
    )


@pytest.mark.parametrize(("region", "other"), [(r, o) for r in REGIONS for o in REGIONS if o != r])
def test_no_other_regions_number_or_term_appears(rendered: dict[str, dict[str, str]], region: str, other: str) -> None:
    """`other`'s numbers, terms and names never show in `region`'s texts, unless `region` uses them too."""
    mine = " | ".join(own_strings(region))
    foreign = sorted(p for p in own_strings(other) if not says(mine, p))
    leaks = {
        where: [p for p in foreign if says(text, p)]
        for where, text in rendered[region].items()
        if any(says(text, p) for p in foreign)
    }
    assert not leaks, f"{other}'s words in {region}'s texts: {leaks}"


@pytest.mark.parametrize(("text", "phrase", "found"), [
    ("call 13 11 14 or tel:131114", "111", False), ("tel:911", "911", True), ("call 9119", "911", False),
    ("call 9-1-1", "911", False), ("call 112 or 999", "999", True), ("A&E", "A&E", True),
])  # fmt: skip
def test_numbers_are_matched_whole(text: str, phrase: str, found: bool) -> None:
    assert says(text, phrase) is found


def test_the_regions_distinctive_strings_differ() -> None:
    """Each pair of regions differs somewhere, so the cross check above has something to check."""
    for region in REGIONS:
        for other in REGIONS:
            if other != region:
                mine = " | ".join(own_strings(region))
                assert any(not says(mine, p) for p in own_strings(other)), (region, other)


# The numbers checked against public sources (docs/safety.md, "The numbers"): emergency,
# crisis line, crisis text line, as shown. A copy-paste from another region fails here.
VERIFIED = {
    "US": ("9-1-1", "988", "741741"), "CA": ("9-1-1", "988", "686868"), "GB": ("999", "116 123", "85258"),
    "IE": ("112 or 999", "116 123", "50808"), "AU": ("000", "13 11 14", "0477 13 11 14"), "NZ": ("111", "1737", "4357"),
}  # fmt: skip


@pytest.mark.parametrize("region", REGIONS)
def test_presets_hold_the_verified_numbers_and_the_safety_doc_lists_them(region: str) -> None:
    e = config.EMERGENCY_PRESETS[region]
    assert (e.number_display, e.line_display, e.text_display) == VERIFIED[region]
    doc = (config.ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    (row,) = [line for line in doc.splitlines() if line.startswith(f"| `{region}`")]
    for number in VERIFIED[region]:
        assert number in row, (region, number)


def test_every_variable_has_a_domain_slot_with_the_us_value() -> None:
    slots = {slot.name: slot for slot in DOMAIN.slots}
    for name, value in config.EMERGENCY_PRESETS["US"].variables().items():
        assert slots[name].initial_value == value, name
        assert slots[name].influence_conversation is False, name


def test_responses_name_only_known_variables() -> None:
    known = set(config.EMERGENCY_PRESETS["US"].variables())
    for name, variations in DOMAIN.responses.items():
        for variation in variations:
            assert set(re.findall(r"\{(\w+)\}", variation.get("text") or "")) <= known, name


def test_no_response_hardcodes_a_number_or_local_term() -> None:
    """Numbers and local terms come from variables: domain.yml holds none in its responses."""
    raw = yaml.safe_load((config.ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    texts = " ".join(v.get("text") or "" for variations in raw.values() for v in variations)
    for region in REGIONS:
        for phrase in own_strings(region):
            assert not says(texts, phrase), (region, phrase)


# ------------------------------------------------------------ an unknown region


@pytest.fixture
def unknown_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", "FR")


@pytest.mark.usefixtures("unknown_region")
def test_the_rasa_server_refuses_an_unknown_region_when_it_builds_the_nlg() -> None:
    with pytest.raises(ValueError, match="Known regions: US, CA, GB"):
        nlg.AllianceNLG(domain=DOMAIN)


@pytest.mark.usefixtures("unknown_region")
def test_the_widget_channel_refuses_an_unknown_region_when_rasa_registers_it() -> None:
    app = Sanic(f"regions_{uuid.uuid4().hex}")
    with pytest.raises(ValueError, match="'FR' is not a region"):
        register([widget.WidgetSocketIOInput.from_credentials({})], app, "/webhooks/")


def test_the_action_server_refuses_an_unknown_region_when_it_imports_the_actions() -> None:
    env = {**os.environ, "ALLIANCE_REGION": "FR"}
    run = subprocess.run(
        [sys.executable, "-c", "import actions.actions"],
        cwd=config.ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "ValueError: ALLIANCE_REGION='FR' is not a region Alliance knows" in run.stderr
