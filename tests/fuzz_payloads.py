"""Hypothesis strategies for fuzzing the channels (tests/e2e/test_fuzz_channels.py).

Odd JSON of every type and shape, bytes that are not JSON or not UTF-8, text with
control and invisible characters, `/intent{...}` payloads typed by hand, and crisis
phrases hidden in the ways issue 15 lists: zero-width characters inside words, an
injected payload prefix, the end of a very long message.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from bot import config

# Imminent danger in the first person: each gets the level-1 reply on its own.
CRISES = (
    "i am going to kill myself tonight",
    "i want to kill myself",
    "i have the pills ready and i am going to take them all tonight",
    "i have been saving up my pills and tonight is the night",
)
# What the level-1 reply says and nothing else does (the welcome names 9-1-1, but not "now").
IMMINENT = ("call 9-1-1 now", "988", "741741")
TOO_LONG = "longer than I can answer well"

# Invisible format characters (Unicode category Cf): bot/nlu/text.py removes them.
ZERO_WIDTH = (
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f",
    "\u202a", "\u202c", "\u202e", "\u2066", "\u2069", "\u180e", "\u061c", "\U000e0001", "\U000e0041",
)  # fmt: skip
# Just as invisible, but not format characters (combining marks, fillers): bot/nlu/text.py keeps them.
OTHER_INVISIBLE = ("\u034f", "\ufe0f", "\ufe00", "\U000e0100", "\u3164", "\u115f", "\uffa0", "\u17b4", "\u180b")
# Control characters and line separators other than "\n": the pipeline reads each as a space.
CONTROLS = (*(chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)) if c != 0x0A), "\u2028", "\u2029")

# Sentences that neither a crisis rule nor the classifier reads anything into, for long messages.
# (The classifier alone sends word salad such as "I my the a can parking." and some harmless
# sentences, "Parking is hard on Tuesdays.", to the crisis reply: a false alarm at any length.)
HARMLESS = (
    "I keep wondering whether I can text my therapist between sessions.",
    "My counselor asked me to fill in the insurance forms before the next appointment.",
    "I would like to know how boundaries work when we email about scheduling.",
    "Last week we talked about my job and the calendar for the coming month.",
    "Is it normal to take notes during a session, or to bring a coffee along?",
    "We usually meet on Thursday mornings, and the session lasts fifty minutes.",
    "The waiting room has a small shelf of books.",
)


def intents() -> list[str]:
    """The domain's intents: what a typed `/intent` can name."""
    domain = yaml.safe_load((config.ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain["intents"]]


INTENTS = intents()

# ------------------------------------------------------------------ odd values

# Every character, lone surrogates included (JSON can carry them as \ud800 escapes).
any_char = st.characters(codec=None, exclude_categories=())
odd_char = st.one_of(any_char, st.sampled_from(ZERO_WIDTH + OTHER_INVISIBLE + CONTROLS))
odd_text = st.text(odd_char, max_size=40)
huge_text = st.builds(
    lambda unit, n: unit * n, st.sampled_from(["x", "é", "\u200b", "ab ", "\U0001f600"]), st.integers(1000, 12000)
)
payload_text = st.builds(
    lambda intent, tail: f"/{intent}{tail}",
    st.sampled_from([*INTENTS, "restart", "session_start", "nlu_fallback", "out_of_scope", "nonexistent", ""]),
    st.sampled_from(["", "{}", '{"x": 1}', "{", "}", '{"a": [1, {"b": null}]}', "@0.1", " extra words", "\n"]),
)
message_text = st.one_of(
    odd_text, payload_text, huge_text, st.sampled_from(["", " ", "hello", "can i text my therapist?"])
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(),
    odd_text,
)
json_value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4), max_leaves=12
)
anything = st.one_of(json_value, message_text)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, or a value of any other type."""
    return st.one_of(value, json_value)


# ------------------------------------------------------------------ bodies


@st.composite
def encoded(draw: st.DrawFn, value: Any) -> bytes:
    """`value` as JSON, in one of the ways a client might send it (or break it)."""
    how = draw(st.sampled_from(["ascii", "utf-8", "latin-1", "truncated", "trailing"]))
    text = json.dumps(value, ensure_ascii=how == "ascii")  # NaN and Infinity too: not JSON at all
    if how == "ascii":
        return text.encode()
    if how == "latin-1":
        return text.encode("latin-1", "replace")  # not UTF-8 where the text has accents
    raw = text.encode("utf-8", "surrogatepass")  # lone surrogates make invalid UTF-8
    if how == "truncated" and len(raw) > 1:
        return raw[: draw(st.integers(1, len(raw) - 1))]
    if how == "trailing":
        return raw + draw(st.sampled_from([b"x", b"\xff", b"}", b"\x00", b" {}"]))
    return raw


def nested(depth: int, kind: str) -> bytes:
    """Deeply nested JSON: arrays, objects, or unclosed."""
    if kind == "array":
        return b"[" * depth + b"]" * depth
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" * depth


raw_garbage = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"", b"{", b"}", b"null", b"true", b"[]", b"{}", b'"x"', b"1e999", b"NaN", b"\xef\xbb\xbf{}", b"\xff\xfe"]
    ),
    st.builds(nested, st.integers(100, 30000), st.sampled_from(["array", "object", "open"])),
)


@st.composite
def obj_with(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """An object with some of `fields` (each maybe of the wrong type), plus odd keys."""
    body = {key: draw(maybe(value)) for key, value in fields.items() if draw(st.integers(0, 5))}
    body.update(draw(st.dictionaries(odd_text, json_value, max_size=2)))
    return body


# ------------------------------------------------------------------ hidden crises


@st.composite
def crisis_in_words(draw: st.DrawFn, invisible: tuple[str, ...] = ZERO_WIDTH) -> str:
    """A crisis phrase with invisible characters inside its words and controls between them."""
    words = draw(st.sampled_from(CRISES)).split()
    words = [w.upper() if draw(st.integers(0, 4)) == 0 else w for w in words]
    hidden = []
    for word in words:
        if len(word) > 1 and draw(st.booleans()):
            cut = draw(st.integers(1, len(word) - 1))
            word = word[:cut] + "".join(draw(st.lists(st.sampled_from(invisible), min_size=1, max_size=3))) + word[cut:]
        hidden.append(word)
    if hidden == words:  # at least one word is broken up
        hidden[-1] = hidden[-1][:1] + invisible[0] + hidden[-1][1:]
    gaps = st.one_of(st.just(" "), st.text(st.sampled_from((*CONTROLS, " ")), min_size=1, max_size=3))
    return "".join(word + (draw(gaps) if i < len(hidden) - 1 else "") for i, word in enumerate(hidden))


@st.composite
def crisis_behind_payload(draw: st.DrawFn) -> str:
    """A crisis phrase after a typed `/intent`, or inside its `{...}` entities."""
    phrase = draw(st.sampled_from(CRISES))
    intent = draw(st.sampled_from(INTENTS))
    where = draw(st.sampled_from(["after", "value", "key", "nested", "list"]))
    if where == "after":
        return f"/{intent}{draw(st.sampled_from([' ', '  ', chr(10), ' - ', '{} ']))}{phrase}"
    key = draw(st.sampled_from(["x", "note", "topic", "text"]))
    entities = {
        "value": {key: phrase},
        "key": {phrase: 1},
        "nested": {key: {"y": [phrase]}},
        "list": {key: ["ok", phrase]},
    }[where]
    return f"/{intent}{json.dumps(entities)}"


@st.composite
def crisis_in_escaped_entities(draw: st.DrawFn) -> str:
    """A typed payload whose entity value spells a crisis phrase with JSON \\u escapes ("\\u006bill").

    Every word's first letter is escaped, and some other letters.
    """
    escaped = []
    for word in draw(st.sampled_from(CRISES)).split():
        escaped.append(
            "".join(
                f"\\u{ord(char):04x}" if i == 0 or draw(st.integers(0, 3)) == 0 else char for i, char in enumerate(word)
            )
        )
    intent = draw(st.sampled_from([i for i in INTENTS if i != "crisis"]))
    return f'/{intent}{{"x": "{" ".join(escaped)}"}}'


@st.composite
def long_text(draw: st.DrawFn, min_chars: int, max_chars: int) -> str:
    """Harmless ASCII sentences, `min_chars` to `max_chars` long."""
    paragraph = " ".join(draw(st.lists(st.sampled_from(HARMLESS), min_size=3, max_size=len(HARMLESS), unique=True)))
    target = draw(st.integers(min_chars, max_chars))
    return (
        (paragraph + " ") * (target // (len(paragraph) + 1))
        + paragraph[: target % (len(paragraph) + 1)].rstrip(" ")
        + "."
    )


@st.composite
def crisis_at_the_end(draw: st.DrawFn) -> str:
    """A crisis phrase at the end of a message of 3,000 to 60,000 characters."""
    return draw(long_text(3000, 60000)) + " " + draw(st.sampled_from(CRISES))


def level_one(text: str) -> bool:
    """Whether the bot's text is the imminent-danger reply."""
    return all(part in text for part in IMMINENT)
