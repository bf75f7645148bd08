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


FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
ParseFull = Callable[[str], Awaitable[dict]]


@dataclass
class SetResult:
    """A blind set's figures (docs/nlu.md): what issue 11 gates on, from full parse results."""

    result: Result
    fallbacks: int  # in-scope messages answered "Did you mean...?"
    in_scope: int
    suggested: int  # of those fallbacks, how many offered the right topic among their buttons
    calibration_error: float

    @property
    def false_crises(self) -> int:
        """Messages given the emergency reply though the set expected another intent."""
        return sum(predicted == CRISIS and expected != CRISIS for _, expected, predicted in self.result.pairs)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.in_scope if self.in_scope else 0.0

    @property
    def suggestion_hit_rate(self) -> float:
        return self.suggested / self.fallbacks if self.fallbacks else 1.0

    def recalls(self) -> dict[str, float]:
        hits, totals = Counter(), Counter()
        for _, expected, predicted in self.result.pairs:
            totals[expected] += 1
            hits[expected] += expected == predicted
        return {label: hits[label] / totals[label] for label in totals}

    def summary(self, name: str) -> str:
        worst = sorted(self.recalls().items(), key=lambda item: item[1])[:3]
        return (
            f"{name}: accuracy {self.result.accuracy:.3f}, macro-F1 {self.result.macro_f1:.3f}, "
            f"lowest recall {', '.join(f'{k} {v:.2f}' for k, v in worst)}, "
            f"in-scope fallbacks {self.fallback_rate:.3f} ({self.fallbacks}/{self.in_scope}), "
            f"right topic among the suggestions {self.suggestion_hit_rate:.2f} ({self.suggested}/{self.fallbacks}), "
            f"expected calibration error {self.calibration_error:.3f}, "
            f"given the emergency reply though not a crisis {self.false_crises}/{len(self.result.pairs)}"
        )


def calibration_error(scored: list[tuple[float, bool]], bins: int = 10) -> float:
    """Expected calibration error: confidence against accuracy, in equal-width bins, weighted by size."""
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for confidence, right in scored:
        grouped.setdefault(min(int(confidence * bins), bins - 1), []).append((confidence, right))
    total = len(scored) or 1
    return sum(
        len(group) / total * abs(sum(c for c, _ in group) / len(group) - sum(r for _, r in group) / len(group))
        for group in grouped.values()
    )


async def evaluate_set(
    parse: ParseFull, data: dict, suggestions: int | None = None, floor: float | None = None
) -> SetResult:
    """Intent figures on a set shaped like the dev set, with what a fallback offered ("Did you mean...?").

    The suggestions are what `action_suggest_topics` offers: the ranking's best intents
    other than the fallback, from `floor` on (ALLIANCE_SUGGESTIONS, ALLIANCE_SUGGESTION_FLOOR).
    """
    suggestions = config.fallback_suggestions() if suggestions is None else suggestions
    floor = config.suggestion_floor() if floor is None else floor
    result, fallbacks, in_scope, suggested, scored = Result(), 0, 0, 0, []
    for expected, texts in data["intents"].items():
        for text in texts:
            parsed = await parse(text)
            predicted = parsed["intent"]["name"]
            result.pairs.append((text, expected, predicted))
            ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK]
            best = ranking[0] if ranking else parsed["intent"]
            scored.append((float(best.get("confidence") or 0.0), best["name"] == expected))
            if expected == OUT_OF_SCOPE:
                continue
            in_scope += 1
            if predicted == FALLBACK:
                fallbacks += 1
                offered = [r["name"] for r in ranking if (r.get("confidence") or 0.0) >= floor][:suggestions]
                suggested += expected in offered
    return SetResult(result, fallbacks, in_scope, suggested, calibration_error(scored))


def with_typos(text: str, seed: int, most: int = 2) -> str:
    """`text` with one or two character typos (CheckList's perturbation, Ribeiro et al. 2020).

    Each typo drops, doubles, swaps with its neighbour or replaces one letter inside a
    word of three letters or more; the same seed gives the same typos.
    """
    import random

    rng = random.Random(seed)
    chars = list(text)
    for _ in range(rng.randint(1, most)):
        letters = [i for i, c in enumerate(chars) if c.isalpha() and 0 < i < len(chars) - 1 and chars[i - 1].isalpha()]
        if not letters:
            break
        i = rng.choice(letters)
        kind = rng.choice(("drop", "double", "swap", "replace"))
        if kind == "drop":
            del chars[i]
        elif kind == "double":
            chars.insert(i, chars[i])
        elif kind == "swap" and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


def typo_set(data: dict) -> dict:
    """The set with typos in every message (a fixed seed per message)."""
    intents = data["intents"]
    return {"intents": {intent: [with_typos(t, n) for n, t in enumerate(texts)] for intent, texts in intents.items()}}


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


def agent_full_parser(model: Path) -> ParseFull:
    """The whole parse result (intent, ranking), from a trained model loaded in-process."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    async def parse(text: str) -> dict:
        return await agent.parse_message(text)

    return parse


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


async def _main_set(model: Path, path: Path, errors: bool) -> None:
    parse, data = agent_full_parser(model), yaml.safe_load(path.read_text(encoding="utf-8"))
    figures = await evaluate_set(parse, data)
    print(figures.summary(path.name))
    typos = await evaluate_set(parse, typo_set(data))
    ratio = typos.result.accuracy / figures.result.accuracy if figures.result.accuracy else 0.0
    print(f"with one or two typos per message: accuracy {typos.result.accuracy:.3f}, {ratio:.3f} of clean")
    if errors:
        for text, expected, predicted in figures.result.errors:
            print(f"  {expected} -> {predicted}: {text!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=config.ROOT / "models" / "alliance.tar.gz")
    parser.add_argument("--set", type=Path, help="a set shaped like the dev set (tests/data/nlu_blind_a.yml)")
    parser.add_argument("--errors", action="store_true", help="with --set: list each miss")
    args = parser.parse_args()
    asyncio.run(_main_set(args.model, args.set, args.errors) if args.set else _main(args.model))
