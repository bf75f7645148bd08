"""Measures the graded safety layer on a blind set: which reply each message would get.

A set (tests/data/safety_*.yml) has `level1` (imminent danger: entries with `text`,
`about` and `kind`), `level2` (risk without imminence), `level3` (mentions), `hard_negatives`
and `ordinary`; Spanish sets have `other_languages` and `english_tricky` too. The
reply follows from the parse result alone (bot/safety/policy.py maps it), so this
reads the NLU parse: the same figures the tests gate on.

    python -m bot.tools.safety_eval tests/data/safety_en_a.yml [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict

import yaml

from bot import config

FullParse = Callable[[str], Awaitable[Dict[str, Any]]]
EMERGENCY, CHECKIN, POINTER, OTHER_LANGUAGE, ANSWER = "emergency", "check-in", "pointer", "other-language", "answer"


def outcome(parse: Dict[str, Any]) -> tuple[str, Dict[str, Any]]:
    """The kind of reply a parse result leads to, and its safety record."""
    safety = parse.get("safety") or {}
    if (parse.get("intent") or {}).get("name") == "crisis":
        return (CHECKIN if safety.get("level") == 2 else EMERGENCY), safety
    if safety.get("language") in ("es", "other"):
        return OTHER_LANGUAGE, safety
    if safety.get("level") == 3:
        return POINTER, safety
    return ANSWER, safety


def entry_text(entry: Any) -> str:
    return entry["text"] if isinstance(entry, dict) else str(entry)


@dataclass
class Section:
    """Each message of one section with the reply it got."""

    name: str
    rows: list[tuple[Any, str, Dict[str, Any]]] = field(default_factory=list)  # (entry, outcome, safety)

    def share(self, *outcomes: str) -> float:
        return sum(o in outcomes for _, o, _ in self.rows) / len(self.rows) if self.rows else 0.0

    def count(self, *outcomes: str) -> int:
        return sum(o in outcomes for _, o, _ in self.rows)

    def where(self, *outcomes: str, negate: bool = False) -> list[str]:
        return [entry_text(e) for e, o, _ in self.rows if (o in outcomes) != negate]


async def measure(parse: FullParse, cases: Dict[str, Any]) -> Dict[str, Section]:
    sections: Dict[str, Section] = {}
    for name, entries in cases.items():
        if not isinstance(entries, list):
            continue
        section = sections[name] = Section(name)
        for entry in entries:
            kind, safety = outcome(await parse(entry_text(entry)))
            section.rows.append((entry, kind, safety))
    return sections


def figures(sections: Dict[str, Section]) -> Dict[str, float]:
    """The figures docs/safety.md reports, by name."""
    out: Dict[str, float] = {}
    if "level1" in sections:
        out["level-1 recall"] = sections["level1"].share(EMERGENCY)
        others = [  # someone else at risk: not a threat the writer makes (harm to others gets the general reply)
            r for r in sections["level1"].rows
            if isinstance(r[0], dict) and r[0].get("about") == "other" and r[0].get("kind") != "harm_to_others"
        ]  # fmt: skip
        if others:
            out["someone else: reply to the helper"] = sum(
                o == EMERGENCY and s.get("about") == "other" for _, o, s in others
            ) / len(others)
    danger = [r for n in ("level1", "level2") if n in sections for r in sections[n].rows]
    if danger:
        out["any-level recall"] = sum(o in (EMERGENCY, CHECKIN) for _, o, _ in danger) / len(danger)
    if "level2" in sections:
        out["level 2 gets the check-in"] = sections["level2"].share(CHECKIN)
    if "level3" in sections:
        out["level 3 answered (no crisis reply)"] = sections["level3"].share(ANSWER, POINTER, OTHER_LANGUAGE)
        out["level 3 with the pointer"] = sections["level3"].share(POINTER)
    if "hard_negatives" in sections:
        out["hard negatives: emergency reply"] = sections["hard_negatives"].share(EMERGENCY)
        out["hard negatives: any crisis reply"] = sections["hard_negatives"].share(EMERGENCY, CHECKIN)
    if "ordinary" in sections:
        out["ordinary: emergency reply"] = sections["ordinary"].share(EMERGENCY)
        out["ordinary: any crisis reply"] = sections["ordinary"].share(EMERGENCY, CHECKIN)
    if "other_languages" in sections:
        out["other languages: reply with the number"] = sections["other_languages"].share(
            OTHER_LANGUAGE, EMERGENCY, CHECKIN
        )
    if "english_tricky" in sections:
        out["short English taken for English"] = 1 - sections["english_tricky"].share(OTHER_LANGUAGE)
    return out


def misses(sections: Dict[str, Section]) -> list[str]:
    """What went wrong, message by message (for a development set only: a sealed set stays unread)."""
    wrong = {
        "level1": sections.get("level1") and sections["level1"].where(EMERGENCY, negate=True),
        "level2": sections.get("level2") and sections["level2"].where(EMERGENCY, CHECKIN, negate=True),
        "level3": sections.get("level3") and sections["level3"].where(EMERGENCY, CHECKIN),
        "hard_negatives": sections.get("hard_negatives") and sections["hard_negatives"].where(EMERGENCY, CHECKIN),
        "ordinary": sections.get("ordinary") and sections["ordinary"].where(EMERGENCY, CHECKIN, OTHER_LANGUAGE),
        "english_tricky": sections.get("english_tricky") and sections["english_tricky"].where(OTHER_LANGUAGE),
        "other_languages": sections.get("other_languages")
        and sections["other_languages"].where(ANSWER, POINTER),
    }
    return [f"{name}: {text!r}" for name, texts in wrong.items() for text in texts or ()]


def report(name: str, sections: Dict[str, Section]) -> str:
    counts = ", ".join(f"{n} {len(s.rows)}" for n, s in sections.items())
    lines = [f"{name} ({counts})"]
    lines += [f"  {key}: {value:.3f}" for key, value in figures(sections).items()]
    if "level2" in sections:
        lines.append(f"  level 2 replies: {dict(Counter(o for _, o, _ in sections['level2'].rows))}")
    return "\n".join(lines)


def agent_full_parser(model: Path) -> FullParse:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(40)  # Rasa's debug events include the message text
    agent = Agent.load(str(model))
    return agent.parse_message


async def _main(paths: list[Path], model: Path, show_misses: bool) -> None:
    parse = agent_full_parser(model)
    for path in paths:
        sections = await measure(parse, yaml.safe_load(path.read_text(encoding="utf-8")))
        print(report(path.name, sections))
        if show_misses:
            print("\n".join("  " + line for line in misses(sections)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", type=Path, nargs="+")
    parser.add_argument("--model", type=Path, default=config.ROOT / "models" / "alliance.tar.gz")
    parser.add_argument("--misses", action="store_true", help="list each miss (never on a sealed set)")
    args = parser.parse_args()
    asyncio.run(_main(args.sets, args.model, args.misses))


def _positives_and_negatives(cases: Dict[str, Any]) -> tuple[list[str], list[str]]:
    """Crisis and non-crisis texts of any set: graded (level1/level2 vs the rest) or plain (positives/negatives)."""
    positives = [entry_text(e) for n in ("level1", "level2", "positives", "crisis") for e in cases.get(n) or ()]
    negatives = [entry_text(e) for n in ("level3", "hard_negatives", "ordinary", "negatives", "not_crisis")
                 for e in cases.get(n) or ()]  # fmt: skip
    return positives, negatives


async def calibrate(parse: FullParse, sets: list[Dict[str, Any]]) -> tuple[float, list[float], list[float]]:
    """The highest classifier threshold that keeps every crisis of the development sets detected.

    Returns it with the classifier's confidences on crises no rule saw (those the threshold must keep)
    and on non-crises the classifier alone called a crisis (the false alarms it can remove).
    Parse with ALLIANCE_CRISIS_THRESHOLD=0 so that every classifier `crisis` shows.
    """
    needed: list[float] = []
    alarms: list[float] = []
    for cases in sets:
        positives, negatives = _positives_and_negatives(cases)
        for texts, into in ((positives, needed), (negatives, alarms)):
            for text in texts:
                safety = (await parse(text)).get("safety") or {}
                if safety.get("layer") == "classifier" and safety.get("crisis"):
                    into.append(float(safety["classifier"]["confidence"]))
    threshold = min(needed) if needed else 1.0
    return threshold, sorted(needed), sorted(alarms)
