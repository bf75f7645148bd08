"""Training examples added to data/nlu.yml by hand-reviewed decisions (`alliance review`), keeping the file valid."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot import config

logger = logging.getLogger(__name__)


class ReviewError(ValueError):
    """A decision that can't be carried out (unknown intent, example already elsewhere): nothing changed."""


# --- the NLU file ----------------------------------------------------------------------------

_INTENT_LINE = re.compile(r"^-\s+intent:\s*(?P<intent>\S+)\s*$")
_EXAMPLES_LINE = re.compile(r"^\s+examples:\s*\|[-+]?\s*$")


def intents(nlu_file: Path | None = None) -> list[str]:
    """The intents the NLU file has an `examples: |` block for, in its order: what "train" accepts."""
    lines = (nlu_file or config.ROOT / "data" / "nlu.yml").read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _INTENT_LINE.match(line)
        following = next((x for x in lines[i + 1 :] if x.strip()), "")
        if match and _EXAMPLES_LINE.match(following):
            found.append(match["intent"])
    return found


def training_text(text: str) -> str:
    """`text` as one example line: one line, and no `[...](...)`, `[...]{...}` Rasa would read as an entity."""
    line = " ".join(text.split())
    line = re.sub(r"\](?=[({\[])", "] ", line)
    return re.sub(r"^(?:-\s+)+", "", line)


def block_examples(block: Any) -> list[str]:
    """The example texts of one `nlu` block's `examples: |` lines."""
    examples = block.get("examples") if isinstance(block, dict) else None
    if not isinstance(examples, str):
        return []
    return [x.strip()[2:].strip() for x in examples.splitlines() if x.strip().startswith("- ")]


def _examples(content: str) -> dict[str, list[str]]:
    data = yaml.safe_load(content) or {}
    found: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block and isinstance(block.get("examples"), str):
            found.setdefault(block["intent"], []).extend(block_examples(block))
    return found


def same_words(text: str) -> str:
    """The words of an example, in lower case: two examples with the same words are one (tests/unit/test_data.py)."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def add_example(intent: str, text: str, nlu_file: Path) -> bool:
    """Append `text` as the last example of `intent`'s `examples: |` block; False if it is one already.

    The rest of the file is left byte for byte as it was, and the new file is checked
    to parse before it replaces the old one (atomically).
    """
    content = nlu_file.read_text(encoding="utf-8")
    known = intents(nlu_file)
    if intent not in known:
        raise ReviewError(
            f"unknown intent {intent!r}: {nlu_file.name} has no `examples: |` block for it "
            f"(known: {', '.join(known)})"
        )
    example = training_text(text)
    if not example:
        raise ReviewError("the question has no text to train on")
    existing = _examples(content)
    for other, examples in existing.items():
        if same_words(example) in {same_words(e) for e in examples}:
            if other == intent:
                return False
            raise ReviewError(f"this is an example of {other!r} already: an example belongs to one intent only")
    lines = content.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if (m := _INTENT_LINE.match(line)) and m["intent"] == intent)
    header = next(i for i in range(start + 1, len(lines)) if lines[i].strip())
    last, indent = header, None
    for i in range(header + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        width = len(line) - len(line.lstrip(" "))
        if indent is None:
            if width <= len(lines[header]) - len(lines[header].lstrip(" ")):
                break
            indent = width
        elif width < indent:
            break
        last = i
    indent = indent if indent is not None else len(lines[header]) - len(lines[header].lstrip(" ")) + 2
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{' ' * indent}- {example}\n")
    updated = "".join(lines)
    if example not in _examples(updated).get(intent, []):
        raise ReviewError(f"could not add the example to {intent!r} in {nlu_file.name}")
    fd, tmp = tempfile.mkstemp(prefix=f".{nlu_file.name}.", dir=nlu_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(updated)
        os.chmod(tmp, nlu_file.stat().st_mode & 0o777)
        os.replace(tmp, nlu_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
