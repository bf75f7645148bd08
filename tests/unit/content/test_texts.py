"""Plain words in everything people read: grade level, short sentences, one spelling, no copying.

The texts are the answers (data/answers.yml), the domain responses (domain.yml) and
the texts built in code: bot/content/replies.py, the channels' notices
(bot/channels/*.py) and the region's reminder and strip (bot/config).

Each checker is a plain function, tried first on a deliberately bad string, so a
checker that stopped working would fail here rather than pass everything.

The answer store joins all whitespace (bot/content/answers.py), so blank-line
paragraphs in `more` do not reach people: the texts are measured as they are
shown, and readable long answers come from short sentences instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import textstat
import yaml

from bot import config
from tests.unit.test_data import _ngrams, _norm

ROOT = config.ROOT
SHORT_MAX_GRADE = 8.0  # US school grade, Flesch-Kincaid
MORE_MAX_GRADE = 9.0
SENTENCE_MAX_WORDS = 30
REPEAT_WORDS = 8  # `more` may not repeat this many words in a row of `short`
COPY_WORDS = 6  # as tests/unit/test_data.py: no six words in a row from an article

# Common British forms; American spelling is the one spelling of every text.
_BRITISH = [
    r"(?:behavio|colo|favo|hono|humo|labo|neighbo|rumo|flavo|endeavo|harbo|savo|vigo|armo|odo|cando)ur"
    r"(?:s|ed|ing|able|ably|ite|ites|ful|less|hood|hoods|al|ally)?",
    r"(?:cent|theat|met|lit|fib|calib|somb|spect|lust)re[sd]?",
    r"(?:organi|recogni|reali|apologi|prioriti|emphasi|critici|minimi|maximi|summari|normali|speciali|memori|"
    r"sympathi|utili|categori|finali|personali|stabili|visuali|authori|customi|familiari|characteri|stigmati|"
    r"traumati|hospitali|sociali|ideali|internali|rationali|jeopardi|mobili|sensiti|legiti|optimi|energi)"
    r"s(?:e|es|ed|ing|ation|ations|er|ers)",
    r"(?:analy|paraly|cataly)s(?:e|ed|ing)",
    r"practis(?:e|es|ed|ing)",
    r"counsell(?:ing|or|ors|ed)",
    r"(?:travel|label|model|signal|fuel|level|total|cancel|dial|channel|marvel|counsel|quarrel)l(?:ed|ing|er|ers)",
    r"marvellous|jewellery|enrolment|enrolments|fulfil|fulfils|fulfilment|skilful|wilful|instalment|instalments",
    r"judgement|judgements|acknowledgement|acknowledgements",
    r"mum|mums|whilst|amongst|amidst|learnt|spelt|ageing",
    r"licence|licences|defence|defences|offence|offences|pretence|programme|programmes|cheque|cheques|tyre|tyres",
    r"paediatric\w*|anaesthe\w*|oesophag\w*|foetus|haemo\w*|manoeuvre\w*|orthopaedic\w*|sceptic\w*|mould\w*|"
    r"smoulder\w*|plough\w*|pyjamas|aluminium",
]
BRITISH = re.compile(r"\b(?:" + "|".join(_BRITISH) + r")\b", re.IGNORECASE)

# The standard emergency instruction ("call 9-1-1 or go to the nearest emergency
# room") is how the crisis reply must say it, not something taken from an article.
STOCK_PHRASES = ("call 9-1-1 or go to the nearest emergency room",)


# ---- the checkers -------------------------------------------------------------


class _Words(dict):
    """Placeholders a region does not define read as plain words: `{licensing_body}` -> "licensing body"."""

    def __missing__(self, key: str) -> str:
        return key.replace("_", " ")


def shown(text: str) -> str:
    """A text as people read it: whitespace joined as the answer store does, US placeholders filled."""
    return " ".join(text.split()).format_map(_Words(config.EMERGENCY_PRESETS["US"].variables()))


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(shown(text))


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", shown(text)) if s.strip()]


def long_sentences(text: str, limit: int = SENTENCE_MAX_WORDS) -> list[str]:
    return [s for s in sentences(text) if len(s.split()) > limit]


def repeated_runs(short: str, more: str, n: int = REPEAT_WORDS) -> list[str]:
    """Runs of `n` words of `short` that `more` says again."""
    return sorted(" ".join(g) for g in _ngrams(_norm(shown(short)).split(), n) & _ngrams(_norm(shown(more)).split(), n))


def british_spellings(text: str) -> list[str]:
    return [m.group(0) for m in BRITISH.finditer(text)]


def copied_runs(text: str, article_grams: set[tuple[str, ...]], headings: set[str] = frozenset()) -> list[str]:
    """Runs of six words the text shares with an article; a quoted heading or title is a citation, not a copy."""
    text = re.sub(r"\"([^\"]*)\"", lambda m: " | " if _norm(m.group(1)) in headings else m.group(0), shown(text))
    words = [w for part in text.split(" | ") for w in [_norm(part).split()]]
    grams = set().union(*(_ngrams(part, COPY_WORDS) for part in words))
    return sorted(" ".join(g) for g in grams & article_grams)


# ---- the texts ----------------------------------------------------------------

ANSWERS = yaml.safe_load((ROOT / "data/answers.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TOPICS = list(ANSWERS["answers"])


def _has_words(value: object) -> bool:
    """Words a person reads: two words with a space between (not a URL, header, key or payload)."""
    return isinstance(value, str) and re.search(r"[A-Za-z][,.;:!?'\")]*\s+[\"'(]*[A-Za-z]", value) is not None


def _code_strings(path: Path, constants_only: bool) -> dict[str, str]:
    """User-visible strings of a module: its UPPER_CASE text constants and, unless `constants_only`, every
    string literal of two words or more that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and _has_words(node.value.value):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    found[f"{path.relative_to(ROOT)}:{target.id}"] = node.value.value
    if not constants_only:
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and id(n) not in docstrings and _has_words(n.value):
                if n.value not in found.values():
                    found[f"{path.relative_to(ROOT)}:{n.lineno}"] = n.value
    return found


def user_visible_texts() -> dict[str, str]:
    """Every text a person may read, by where it comes from."""
    texts: dict[str, str] = {}
    for topic, entry in ANSWERS["answers"].items():
        for field in ("title", "short", "more"):
            texts[f"data/answers.yml:{topic}.{field}"] = entry[field]
    for name, variants in DOMAIN["responses"].items():
        for i, variant in enumerate(variants):
            texts[f"domain.yml:{name}[{i}]"] = variant.get("text", "")
            for button in variant.get("buttons", []):
                texts[f"domain.yml:{name}[{i}].button"] = button.get("title", "")
    texts.update(_code_strings(ROOT / "bot/content/replies.py", constants_only=False))
    for path in sorted((ROOT / "bot/channels").glob("*.py")):
        texts.update(_code_strings(path, constants_only=True))
    for code, preset in config.EMERGENCY_PRESETS.items():
        texts[f"bot/config:{code}.reminder"] = preset.reminder
        for field in ("strip", "line_sentence", "text_sentence", "emergency_room", "licensing_body"):
            if isinstance(getattr(preset, field, None), str):
                texts[f"bot/config:{code}.{field}"] = getattr(preset, field)
    return texts


def _article_grams() -> tuple[set[tuple[str, ...]], set[str]]:
    grams: set[tuple[str, ...]] = set()
    headings: set[str] = set()
    for source in ANSWERS["sources"].values():
        article = (config.SEEDS_DIR / source["file"]).read_text(encoding="utf-8")
        grams |= _ngrams(_norm(article).split(), COPY_WORDS)
        headings |= {_norm(line) for line in article.splitlines() if line.strip() and len(line.split()) <= 12}
    for phrase in STOCK_PHRASES:
        grams -= _ngrams(_norm(phrase).split(), COPY_WORDS)
    return grams, headings


SEEDS = pytest.mark.skipif(not config.SEEDS_DIR.exists(), reason="../shared/seeds is not beside the clone")


# ---- the checkers catch bad text -----------------------------------------------


def test_placeholders_are_filled_and_unknown_ones_read_as_words() -> None:
    assert shown("Call {emergency_number}.\n\n  Ask {therapist_name}.") == "Call 9-1-1. Ask therapist name."


def test_the_grade_check_catches_a_hard_sentence() -> None:
    hard = (
        "Notwithstanding considerable methodological heterogeneity, contemporary psychotherapeutic "
        "investigations consistently demonstrate that interpersonal collaboration substantially "
        "predicts therapeutic effectiveness."
    )
    assert grade(hard) >= 14
    assert grade("You can ask your therapist. They may say no. That is okay.") <= SHORT_MAX_GRADE


def test_the_sentence_check_catches_a_long_sentence() -> None:
    long = "You can " + "and then you can ask again " * 6 + "today."
    assert long_sentences(long) == [shown(long)]
    assert long_sentences("Short one. Another short one! Is this short?") == []


def test_the_repeat_check_catches_more_saying_short_again() -> None:
    short = "Trust is one of the most important parts of therapy for you."
    assert repeated_runs(short, "As we said, trust is one of the most important parts of therapy.") != []
    assert repeated_runs(short, "When you feel safe, you can explore painful feelings.") == []


def test_the_spelling_check_catches_british_forms() -> None:
    bad = "Whilst the counsellor will recognise your behaviour, practise at the centre; honour her judgement."
    found = ["Whilst", "counsellor", "recognise", "behaviour", "practise", "centre", "honour", "judgement"]
    assert british_spellings(bad) == found
    good = "While the counselor will recognize your behavior, practice at the center; honor her judgment."
    assert british_spellings(good) == []
    assert british_spellings("He is a humorous, centered, realistic mummy-blogger at a practice.") == []


def test_the_copy_check_catches_six_words_from_an_article() -> None:
    article = _ngrams(_norm("Texting with your therapist can be a convenient method of communication.").split(), 6)
    assert copied_runs("Yes: texting with your therapist can be handy.", article) == [
        "texting with your therapist can be"
    ]
    assert copied_runs("Yes: texts to your therapist can be handy.", article) == []
    heading = _ngrams(_norm("Should I search Google or social media for my therapist?").split(), 6)
    cited = 'Source: section "Should I search Google or social media for my therapist?"'
    assert copied_runs(cited, heading, {_norm("Should I search Google or social media for my therapist?")}) == []
    assert copied_runs(cited.replace('"', ""), heading) != []


@SEEDS
def test_the_copy_check_catches_a_run_copied_from_the_real_article() -> None:
    grams, headings = _article_grams()
    article = (config.SEEDS_DIR / ANSWERS["sources"]["relationship"]["file"]).read_text(encoding="utf-8")
    run = " ".join(article.split()[40:46])
    assert copied_runs(f"We paraphrase, but here {run} slipped in.", grams, headings) != []


def test_the_texts_in_code_are_found() -> None:
    texts = user_visible_texts()
    values = set(texts.values())
    from bot.channels import telegram
    from bot.content import replies

    assert {replies.NO_ANSWER, replies.MENU_INTRO, replies.MORE_OFFER, telegram.NOT_TEXT_NOTICE} <= values
    assert config.EMERGENCY_PRESETS["US"].reminder in values
    assert any(key.startswith("domain.yml:utter_crisis") for key in texts)
    assert "Tell me more" in values  # a string literal inside a function of replies.py
    assert telegram.DEFAULT_BASE_URL not in values and telegram.SECRET_HEADER not in values  # not for people


# ---- the real texts ------------------------------------------------------------


@pytest.mark.parametrize("topic", TOPICS)
def test_short_answer_is_grade_8_or_below(topic: str) -> None:
    assert grade(ANSWERS["answers"][topic]["short"]) <= SHORT_MAX_GRADE


@pytest.mark.parametrize("topic", TOPICS)
def test_longer_answer_is_grade_9_or_below(topic: str) -> None:
    assert grade(ANSWERS["answers"][topic]["more"]) <= MORE_MAX_GRADE


@pytest.mark.parametrize("topic", TOPICS)
def test_no_sentence_of_an_answer_is_over_30_words(topic: str) -> None:
    entry = ANSWERS["answers"][topic]
    assert long_sentences(entry["short"]) + long_sentences(entry["more"]) == []


@pytest.mark.parametrize("topic", TOPICS)
def test_longer_answer_does_not_repeat_the_short_one(topic: str) -> None:
    entry = ANSWERS["answers"][topic]
    assert repeated_runs(entry["short"], entry["more"]) == []


def test_every_text_uses_american_spelling() -> None:
    found = {where: british_spellings(text) for where, text in user_visible_texts().items()}
    assert {where: words for where, words in found.items() if words} == {}


@SEEDS
def test_no_text_people_read_copies_an_article() -> None:
    grams, headings = _article_grams()
    copied = {where: copied_runs(text, grams, headings) for where, text in user_visible_texts().items()}
    assert {where: runs for where, runs in copied.items() if runs} == {}
