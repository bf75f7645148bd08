"""The real servers with the serving fixes, as stock Rasa (ALLIANCE_STOCK_RASA=1), and on a faked other Rasa."""

from __future__ import annotations

import sys

import pytest
import requests

from bot import config
from bot.content import answers
from bot.serving import model_api
from tests import servers

pytestmark = pytest.mark.e2e

CONVERSATION = [
    "hello",
    "can I text my therapist?",
    "tell me more",
    "/faq_boundaries",
    "what if I have a crush on my counselor",
    "asdf qwerty",
    "i want to kill myself",
    "no im fine",
    "can I ask my therapist personal questions",
    "thank you so much",
]
# Rasa's command line on what looks like another Rasa release: the launcher must run it as stock.
FAKED_RASA = (
    sys.executable,
    "-c",
    "from bot.serving import guard; "
    "guard.installed_versions = lambda: {'rasa': '3.7.0', 'rasa-sdk': '3.6.2'}; "
    "from bot.serving.launch import main; main()",
)
STOCK_WARNING = "Alliance runs as stock Rasa, without its serving fixes"


def start(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs) -> servers.Servers:
    workdir = tmp_path_factory.mktemp(name)
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    return servers.start(workdir, db, **kwargs)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory):
    pair = start(tmp_path_factory, "fixed")
    yield pair
    pair.stop_all()


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory):
    pair = start(tmp_path_factory, "stock", env={"ALLIANCE_STOCK_RASA": "1"})
    yield pair
    pair.stop_all()


def conversation(pair: servers.Servers, sender: str) -> list[list[dict]]:
    return [pair.send(text, sender) for text in CONVERSATION]


def test_the_conversation_is_the_same_with_and_without_the_fixes(fixed, stock) -> None:
    ours, theirs = conversation(fixed, "modes-a"), conversation(stock, "modes-a")
    assert ours == theirs
    assert all(reply for reply in ours)  # every turn was answered
    assert any("988" in m.get("text", "") for reply in ours for m in reply)  # the crisis turn was in it
    assert STOCK_WARNING in stock.log.read_text(errors="replace")
    assert STOCK_WARNING not in fixed.log.read_text(errors="replace")


def test_the_stored_conversation_is_the_same_too(fixed, stock) -> None:
    def events(pair: servers.Servers) -> list[tuple]:
        url = f"{pair.rasa_url}/conversations/rest:modes-a/tracker"
        r = requests.get(url, params={"token": pair.token}, timeout=30)
        r.raise_for_status()
        return [(e["event"], e.get("name"), e.get("text"), e.get("value")) for e in r.json()["events"]]

    assert events(fixed) == events(stock)


@pytest.mark.parametrize("method, path", [("post", "/model/train"), ("put", "/model")])
def test_model_changes_over_the_api_are_refused_with_the_reason(fixed, method: str, path: str) -> None:
    url = f"{fixed.rasa_url}{path}"
    assert requests.request(method, url, json={}, timeout=30).status_code == 401  # the token comes first
    r = requests.request(method, url, params={"token": fixed.token}, json={"model_file": "x"}, timeout=30)
    assert r.status_code == 409
    assert r.json()["reason"] == model_api.REASON and "restart" in r.json()["message"]
    assert fixed.send("can I text my therapist?", "after-refusal")  # the server goes on serving


def test_stock_rasa_leaves_the_model_endpoints_to_rasa(stock) -> None:
    r = requests.put(
        f"{stock.rasa_url}/model", params={"token": stock.token}, json={"model_file": "/nonexistent.tar.gz"}, timeout=60
    )
    assert r.status_code != 409 and r.json().get("reason") != model_api.REASON


def test_a_faked_other_rasa_starts_as_stock_and_warns_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    pair = start(tmp_path_factory, "faked", rasa=FAKED_RASA)
    try:
        reply = pair.send("can I text my therapist?", "faked")
        assert any("text" in m.get("text", "").lower() for m in reply)
        log = pair.log.read_text(errors="replace")
        assert log.count(STOCK_WARNING) == 1 and "rasa 3.7.0" in log
        r = requests.put(f"{pair.rasa_url}/model", params={"token": pair.token}, json={"model_file": "x"}, timeout=60)
        assert r.status_code != 409  # no fix refuses it: Rasa answers for itself
    finally:
        pair.stop_all()
