"""Measures a trained model's NLU on the development set and the crisis test set.

`python -m bot.tools.evaluate` prints the figures; the tests and the benchmark call
`evaluate_dev` / `evaluate_crisis` with a parse function of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Iterable

import yaml

from bot import config

Parse = Callable[[str], Awaitable[str]]
CRISIS = "crisis"
CRISIS_CASES = config.ROOT / "tests" / "data" / "crisis_cases.yml"


@dataclass
class Result:
    """Predictions against expectations, with the figures the project reports."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, predicted)

    @property
    def accuracy(self) -> float:
        return sum(e == p for _, e, p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    @property
    def errors(self) -> list[tuple[str, str, str]]:
        return [t for t in self.pairs if t[1] != t[2]]

    @property
    def macro_f1(self) -> float:
        tp, fp, fn = Counter(), Counter(), Counter()
        for _, expected, predicted in self.pairs:
            if expected == predicted:
                tp[expected] += 1
            else:
                fp[predicted] += 1
                fn[expected] += 1
        labels = {e for _, e, _ in self.pairs}
        scores = []
        for label in labels:
            denominator = 2 * tp[label] + fp[label] + fn[label]
            scores.append(2 * tp[label] / denominator if denominator else 0.0)
        return sum(scores) / len(scores) if scores else 0.0


@dataclass
class CrisisResult:
    missed: list[str]
    false_alarms: list[str]
    positives: int
    negatives: int

    @property
    def recall(self) -> float:
        return 1 - len(self.missed) / self.positives if self.positives else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.negatives if self.negatives else 0.0


def load_dev(path: Path | None = None) -> dict:
    return yaml.safe_load((path or config.EVAL_FILE).read_text(encoding="utf-8"))


async def _predict(parse: Parse, texts: Iterable[str]) -> list[tuple[str, str]]:
    return [(t, await parse(t)) for t in texts]


async def evaluate_dev(parse: Parse, dev: dict | None = None) -> Result:
    """Intent accuracy on the `intents` section of the development set."""
    dev = dev or load_dev()
    result = Result()
    for expected, texts in dev["intents"].items():
        for text, predicted in await _predict(parse, texts):
            result.pairs.append((text, expected, predicted))
    return result


async def evaluate_crisis(parse: Parse, positives: list[str], negatives: list[str]) -> CrisisResult:
    missed = [t for t, p in await _predict(parse, positives) if p != CRISIS]
    alarms = [t for t, p in await _predict(parse, negatives) if p == CRISIS]
    return CrisisResult(missed, alarms, len(positives), len(negatives))


def agent_parser(model: Path) -> Parse:
    """A parse function backed by a trained model loaded in-process."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's debug events include the message text
    agent = Agent.load(str(model))

    async def parse(text: str) -> str:
        message = await agent.parse_message(text)
        return message["intent"]["name"]

    return parse


def report(dev: Result, crisis: CrisisResult | None = None) -> str:
    lines = [
        f"dev-set intent accuracy: {dev.accuracy:.3f} ({len(dev.pairs) - len(dev.errors)}/{len(dev.pairs)}), "
        f"macro-F1 {dev.macro_f1:.3f}"
    ]
    lines += [f"  miss: {text!r} expected {e}, got {p}" for text, e, p in dev.errors]
    if crisis:
        lines.append(report_crisis(crisis))
    return "\n".join(lines)


def report_crisis(crisis: CrisisResult) -> str:
    lines = [
        f"crisis recall {crisis.recall:.3f} ({crisis.positives - len(crisis.missed)}/{crisis.positives}), "
        f"false alarms {crisis.false_alarm_rate:.3f} ({len(crisis.false_alarms)}/{crisis.negatives})"
    ]
    lines += [f"  missed: {t!r}" for t in crisis.missed]
    lines += [f"  false alarm: {t!r}" for t in crisis.false_alarms]
    return "\n".join(lines)


async def _main(model: Path) -> None:
    parse = agent_parser(model)
    dev = load_dev()
    cases = yaml.safe_load(CRISIS_CASES.read_text(encoding="utf-8"))
    crisis = await evaluate_crisis(parse, dev["crisis"] + cases["positives"], dev["not_crisis"] + cases["negatives"])
    print(report(await evaluate_dev(parse, dev), crisis))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=config.ROOT / "models" / "alliance.tar.gz")
    asyncio.run(_main(parser.parse_args().model))
