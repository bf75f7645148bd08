"""`alliance review` (`make review`): walk the queue of questions the bot missed, one decision each.

Each question is shown redacted, with its kind, channel and date, and the reviewer
answers with an intent to train it as (`?` lists them, and a number from that list
works too), `d` to dismiss it, `x` to delete it, `s` (or Enter) to leave it for later,
or `q` to stop. A decided question is deleted at once (bot/stores/misses.py). Input
comes line by line from any text stream, so tests script it; the end of the input
stops the review as `q` does.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml

from bot import config
from bot.nlu import examples
from bot.stores import misses

logger = logging.getLogger(__name__)

HELP = "an intent to train it as (? lists them), d dismiss, x delete, s skip, q quit"


@dataclass
class Summary:
    """What one review did."""

    trained: int = 0
    dismissed: int = 0
    deleted: int = 0
    skipped: int = 0
    left: int = 0

    def line(self) -> str:
        done = f"{self.trained} trained, {self.dismissed} dismissed, {self.deleted} deleted, {self.skipped} skipped"
        retrain = "; retrain with `make train`" if self.trained else ""
        return f"review: {done}; {self.left} left in the queue{retrain}"


def trainable_intents(nlu_file: Path, domain_file: Path) -> list[str]:
    """The domain's intents that the NLU file has an examples block for, in the domain's order."""
    in_nlu = set(examples.intents(nlu_file))
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    names = [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents") or []]
    return [name for name in names if name in in_nlu]


def _listing(known: list[str], width: int = 100) -> str:
    """The intents, numbered, a few to a line: "  1 faq_therapeutic_relationship, 2 faq_boundaries, ..."."""
    lines, line = [], ""
    for i, name in enumerate(known, 1):
        entry = f"{i} {name}"
        if line and len(line) + len(entry) + 2 > width:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {entry}" if line else f"  {entry}"
    return "\n".join([*lines, line])


def _ask(stdin: TextIO, out: TextIO) -> str | None:
    """One answer, stripped; None at the end of the input. Scripted input is echoed, as a terminal would."""
    out.write("> ")
    out.flush()
    line = stdin.readline()
    if not line or not stdin.isatty():
        out.write(line.rstrip("\n") + "\n")
    return line.strip() if line else None


def review(
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    path: Path | None = None,
    nlu_file: Path | None = None,
    domain_file: Path | None = None,
) -> Summary:
    """Ask about every question in the queue, oldest first; print and return what was done."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    nlu_file = nlu_file or config.ROOT / "data" / "nlu.yml"
    domain_file = domain_file or config.ROOT / "domain.yml"
    summary = Summary()
    items = misses.pending(path)
    if not items:
        off = "" if config.keep_misses() else " (ALLIANCE_KEEP_MISSES is off: no questions are kept)"
        print(f"review: the queue is empty{off}", file=out)
        return summary
    known = trainable_intents(nlu_file, domain_file)
    print(f"{len(items)} question{'s' if len(items) > 1 else ''} to review. For each: {HELP}.", file=out)
    for n, item in enumerate(items, 1):
        print(f"\n[{n}/{len(items)}] {item['kind']}, {item['channel']}, {item['at'][:10]}", file=out)
        print(f"  {item['text']}", file=out)
        while True:
            answer = _ask(stdin, out)
            if answer is None or answer.lower() == "q":
                return _finish(summary, path, out)
            choice = answer.lower()
            if choice in ("", "s"):
                summary.skipped += 1
                break
            if choice == "?":
                print(_listing(known), file=out)
                continue
            try:
                if choice == "d":
                    misses.decide(item["id"], misses.DISMISS, path=path)
                    summary.dismissed += 1
                elif choice == "x":
                    misses.decide(item["id"], misses.DELETE, path=path)
                    summary.deleted += 1
                else:
                    intent = known[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= len(known) else answer
                    if intent not in known:
                        print(f"  unknown intent {intent!r}: type ? for the list, or d, x, s, q", file=out)
                        continue
                    misses.decide(item["id"], misses.TRAIN, intent=intent, nlu_file=nlu_file, path=path)
                    summary.trained += 1
                    print(f"  added as an example of {intent}", file=out)
            except misses.ReviewError as exc:
                print(f"  {exc}", file=out)
                continue
            except LookupError:
                print("  it has left the queue already (expired, or decided elsewhere)", file=out)
            break
    return _finish(summary, path, out)


def _finish(summary: Summary, path: Path | None, out: TextIO) -> Summary:
    summary.left = len(misses.pending(path))
    print(summary.line(), file=out)
    logger.info("review done: %s", summary)  # counts only
    return summary
