"""The trained model on the development set: it must generalise to sentences it never saw."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import config
from bot.tools import evaluate

MODEL = config.ROOT / "models" / "alliance.tar.gz"
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def parse() -> evaluate.Parse:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    return evaluate.agent_parser(Path(MODEL))


@pytest.mark.skipif(not config.EVAL_FILE.exists(), reason="../shared/eval/dev.yml is not beside the clone")
async def test_dev_set_intent_accuracy(parse, capsys) -> None:
    result = await evaluate.evaluate_dev(parse)
    with capsys.disabled():
        print("\n" + evaluate.report(result))
    assert result.accuracy >= 0.90


@pytest.mark.parametrize(
    ("text", "intent"),
    [("/faq_texting", "faq_texting"), ("/affirm", "affirm"), ("/faq_trust", "faq_trust")],
)
async def test_button_payloads_select_the_intent(parse, text: str, intent: str) -> None:
    assert await parse(text) == intent


async def test_crisis_test_set_recall_and_false_alarms(parse, capsys) -> None:
    cases = yaml.safe_load(evaluate.CRISIS_CASES.read_text(encoding="utf-8"))
    assert len(cases["positives"]) >= 150 and len(cases["negatives"]) >= 100
    result = await evaluate.evaluate_crisis(parse, cases["positives"], cases["negatives"])
    with capsys.disabled():
        print("\nheld-out crisis set: " + evaluate.report_crisis(result))
    assert result.missed == [], "every crisis must be escalated"
    assert result.false_alarm_rate <= 0.02


@pytest.mark.skipif(not config.EVAL_FILE.exists(), reason="../shared/eval/dev.yml is not beside the clone")
async def test_dev_set_crisis_lines_are_all_right(parse) -> None:
    dev = evaluate.load_dev()
    result = await evaluate.evaluate_crisis(parse, dev["crisis"], dev["not_crisis"])
    assert result.missed == [] and result.false_alarms == []


async def test_second_crisis_set_does_not_regress(parse, capsys) -> None:
    cases = yaml.safe_load((evaluate.CRISIS_CASES.parent / "crisis_blind.yml").read_text(encoding="utf-8"))
    result = await evaluate.evaluate_crisis(parse, cases["positives"], cases["negatives"])
    with capsys.disabled():
        print("\nsecond crisis set (first measured blind): " + evaluate.report_crisis(result))
    # The level reached after its blind measurement; see the file's header.
    assert result.recall == 1.0 and result.false_alarm_rate <= 0.02
