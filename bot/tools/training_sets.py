"""The retired development sets as training data: `python -m bot.tools.training_sets` writes data/nlu_sets.yml.

Each blind set (tests/data) was sealed, measured once on code it had never seen, and then
read as a development set. The older ones, A to P, hold some sixty voices that nothing in
`data/` was written in, and breadth of voices is what has generalised (docs/nlu.md). They are
retired from measurement and train the model instead, and so do the NLU sets Q to Y, once
set Z had measured the model without them; the newer sets, and the safety sets from Q on,
stay out of training and are what accuracy and safety are measured on. Out of the retired sets:

- every NLU message under its set's label (a few relabelled where a brief's definition was
  not the bot's: `RELABEL`);
- every level-1 and level-2 message, and every crisis in another language, as `crisis`; the
  level-1 ones in a block for who was at risk (`metadata: {about: self}` or `other`:
  bot/safety/about.py);
- every safe message of the safety sets (mentions, hard negatives, ordinary questions) under
  the intent a model reads it as, never `crisis`: the safe twins the crisis lines need, or
  "kill" and "dead" would make any message a crisis.

A line whose words equal an evaluation sentence (a set still measured, a sealed set, the
shared dev set) or an example elsewhere in `data/` is left out: compared, never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

import yaml

from bot import config
from bot.nlu.examples import block_examples, same_words, training_text
from bot.tools.safety_eval import entry_text

SETS = config.ROOT / "tests" / "data"
OUT = config.ROOT / "data" / "nlu_sets.yml"
# Sets whose first figures are history: they train the model now (docs/nlu.md).
RETIRED = tuple("abcdefghijklmnop")
# NLU sets go on to train once a newer sealed set has measured the model without them; the safety
# sets of the same letters stay measured: lines that teach ordinary questions pull crises away, and
# those sets are what shows it.
RETIRED_NLU = RETIRED + tuple("qrstuvwxy")
CRISIS_SECTIONS = ("level1", "level2")
SAFE_SECTIONS = ("level3", "hard_negatives", "ordinary", "english_tricky")
NOT_A_LABEL = {"crisis", "nlu_fallback"}
# Where a brief defined a label otherwise than the bot does: "tell me more" is `affirm` (the
# longer answer), chance meetings are `faq_boundaries`, social media `faq_search_online`.
RELABEL = {
    ("ask_again", r"\btell me more\b|\bsay more\b|\bmore detail"): "affirm",
    ("faq_friendship", r"\b(insta\w*|facebook|linkedin)\b"): "faq_search_online",
    ("faq_friendship", r"\b(gym|store|supermarket|tesco)\b"): "faq_boundaries",
}

Parse = Callable[[str], Awaitable[dict[str, Any]]]


def retired(path: Path) -> bool:
    """Whether a set file is one of the retired ones: its letter, after the last `_`, digits aside."""
    letters = RETIRED_NLU if path.stem.startswith("nlu_blind_") else RETIRED
    return path.stem.rsplit("_", 1)[-1].rstrip("0123456789") in letters


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def held_out() -> set[str]:
    """The words of every sentence that is measured: sets still in use, sealed sets, the shared dev set."""
    paths = [p for p in SETS.glob("*.yml") if not retired(p)] + sorted((SETS / "sealed").glob("*.yml"))
    if config.EVAL_FILE.exists():
        paths.append(config.EVAL_FILE)
    return {same_words(s) for p in paths for s in _strings(yaml.safe_load(p.read_text(encoding="utf-8")))}


def elsewhere() -> set[str]:
    """The words of every example in `data/` outside the generated file."""
    found = set()
    for path in (config.ROOT / "data").glob("nlu*.yml"):
        if path == OUT:
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            found |= {same_words(x) for x in block_examples(block)}
    return found


def _relabel(intent: str, text: str) -> str:
    for (label, pattern), into in RELABEL.items():
        if intent == label and re.search(pattern, text, re.IGNORECASE):
            return into
    return intent


def abouts() -> dict[str, str]:
    """Who each level-1 crisis of the retired sets is about, by the words of its training line."""
    found: dict[str, str] = {}
    for path in sorted(p for p in SETS.glob("safety_*.yml") if retired(p)):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")).get("level1") or ():
            if isinstance(entry, dict) and entry.get("about") in ("self", "other"):
                found.setdefault(same_words(training_text(entry_text(entry))), entry["about"])
    return found


def labelled() -> tuple[list[tuple[str, str]], list[str]]:
    """(intent, text) pairs of the retired NLU sets and crises, and the safe texts still to be labelled."""
    pairs: list[tuple[str, str]] = []
    safe: list[str] = []
    for path in sorted(p for p in SETS.glob("*.yml") if retired(p)):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent, texts in (data.get("intents") or {}).items():
            pairs += [(_relabel(intent, t), t) for t in texts]
        for section in CRISIS_SECTIONS:
            pairs += [("crisis", entry_text(e)) for e in data.get(section) or ()]
        pairs += [("crisis", e["text"]) for e in data.get("other_languages") or () if e.get("crisis")]
        for section in SAFE_SECTIONS:
            safe += [entry_text(e) for e in data.get(section) or ()]
        safe += [e["text"] for e in data.get("other_languages") or () if not e.get("crisis")]
    return pairs, safe


async def label_safe(parse: Parse, texts: list[str]) -> list[tuple[str, str]]:
    """Each safe text under the best intent a model gives it that is not `crisis` or the fallback."""
    pairs = []
    for text in texts:
        ranking = (await parse(text)).get("intent_ranking") or []
        label = next((r["name"] for r in ranking if r["name"] not in NOT_A_LABEL), None)
        if label:
            pairs.append((label, text))
    return pairs


def render(pairs: list[tuple[str, str]], banned: set[str], about: dict[str, str] | None = None) -> str:
    """The Rasa NLU file: one block per intent, a line per distinct example no evaluation shares.

    `crisis` is split by who each example is about where `about` (words -> self or other) knows
    it: one block each with that as the block's metadata, which Rasa gives every example of the
    block for the crisis guard to learn from (bot/safety/about.py); the rest in a block without.
    A block's metadata, not each example's: Rasa reads example lines four times faster than a list
    of examples with metadata of their own (bench/NOTES.md).
    """
    about = about or {}
    by_intent: dict[str, list[str]] = {}
    seen = set(banned)
    for intent, text in pairs:
        line = training_text(text)
        words = same_words(line)
        if not words or words in seen:
            continue
        seen.add(words)
        by_intent.setdefault(intent, []).append(line)
    out = [
        "# Generated by `python -m bot.tools.training_sets` from the retired sets in tests/data",
        "# (A to P, and the NLU sets Q to Y: docs/nlu.md). Regenerate rather than edit.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in sorted(by_intent):
        groups: dict[str | None, list[str]] = {}
        for line in by_intent[intent]:
            groups.setdefault(about.get(same_words(line)) if intent == "crisis" else None, []).append(line)
        for who in sorted(groups, key=lambda w: w or ""):
            out.append(f"- intent: {intent}")
            if who is not None:
                out.append(f"  metadata: {{about: {who}}}")
            out += ["  examples: |"] + [f"    - {line}" for line in groups[who]]
    return "\n".join(out) + "\n"


async def build(parse: Parse) -> str:
    pairs, safe = labelled()
    pairs += await label_safe(parse, safe)
    return render(pairs, held_out() | elsewhere(), abouts())


def main() -> None:
    from bot.tools.evaluate import agent_full_parser

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=config.ROOT / "models" / "alliance.tar.gz",
                        help="the model that labels the safe messages (one trained without this file)")
    args = parser.parse_args()
    text = asyncio.run(build(agent_full_parser(args.model)))
    OUT.write_text(text, encoding="utf-8")
    print(f"training_sets: wrote {OUT.relative_to(config.ROOT)} ({text.count(chr(10) + '    - ')} examples)")


if __name__ == "__main__":
    main()
