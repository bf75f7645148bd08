"""Identity terms become one placeholder (bot/nlu/identity.py), and only identity terms do."""

from __future__ import annotations

import re

import pytest
import yaml
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import config
from bot.nlu import identity
from bot.nlu.classifier import views
from bot.nlu.identity import PLACEHOLDER as P
from tests.integration.nlu.test_identity_invariance import TEMPLATES, TERMS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("im gay and is it ok to tell my therapist", f"im {P} and is it ok to tell my therapist"),
        ("I'm a Black client with a white therapist", f"I'm {P} client with {P} therapist"),
        # multi-word terms, with the article and a person noun, in any spacing or hyphenation
        ("I'm a gay man", f"I'm {P}"),
        ("i am an asylum seeker", f"i am {P}"),
        ("my mom is African-American", f"my mom is {P}"),
        ("I'm on a student visa.", f"I'm {P}."),
        ("she's in a wheelchair", f"she's {P}"),
        ("non-binary, non binary, nonbinary", f"{P}, {P}, {P}"),
        ("i'm on the autism spectrum", f"i'm {P}"),
        ("a Jehovah's Witness", P),
        # adjacent terms are one placeholder
        ("As a Black trans woman, can I ask?", f"As {P}, can I ask?"),
        # case, punctuation and curly apostrophes
        ("I\u2019M MUSLIM!!", f"I\u2019M {P}!!"),
        ("(queer) and proud", f"({P}) and proud"),
        ("LGBTQ+ affirming", f"{P} affirming"),
        ("a gay-friendly therapist", f"{P}-friendly therapist"),
        ("gays, muslims and immigrants", f"{P}, {P} and {P}"),
        # age: stated as one
        ("I'm 70", f"I'm {P}"),
        ("I'm 70 years old", f"I'm {P}"),
        ("a 70-year-old woman", P),
        ("I am seventy-two, and retired", f"I am {P}, and retired"),
        ("i'm in my late 70s", f"i'm {P}"),
        ("I'm old and my therapist is young", f"I'm {P} and my therapist is {P}"),
        ("i'm a teenager, will my counselor tell my mom", f"i'm {P}, will my counselor tell my mom"),
        ("my therapist is straight", f"my therapist is {P}"),
        # Spanish: the classifier reads Spanish messages too
        ("uso silla de ruedas y la consulta no tiene ascensor", f"uso {P} y la consulta no tiene ascensor"),
        ("soy autista y no miro a los ojos", f"soy {P} y no miro a los ojos"),
        ("mi psicóloga es musulmana, yo soy católico", f"mi psicóloga es {P}, yo soy {P}"),
        ("soy una persona no binaria", f"soy una persona {P}"),
    ],
)
def test_identity_terms_are_replaced(text: str, expected: str) -> None:
    assert identity.replace(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a term inside another word
        "i blindly trust my therapist",
        "my therapist sent me a whitepaper",
        "can i transfer to another therapist",
        "christianity in therapy",
        "she speaks arabic",
        "my oldest friend",
        "a bigger problem",
        "biweekly sessions",
        "bi-weekly sessions",
        "is it gayety or gaiety",
        # topic words of FAQ intents are not terms
        "can i talk about religion, my faith and god with my therapist",
        "can i discuss my sexuality and sexual orientation",
        "will my therapist understand my culture, race and gender identity",
        # other senses and idioms
        "my old therapist retired",
        "how old is my therapist",
        "old feelings keep coming up",
        "i'm 20 minutes late",
        "i can't think straight",
        "i want my therapist to be straight with me",
        "black and white thinking",
        "i blacked out",
        "the black dog is back",
        "my therapist told a white lie",
        "that's my blind spot",
        "it fell on deaf ears",
        "i disabled notifications",
        "a senior therapist",
        "a high school senior",
        "pitch black",
        # a child's age stays: it is a safeguarding signal
        "a man online wants to meet my 12 year old",
        "i'm 15",
    ],
)
def test_other_words_are_left_alone(text: str) -> None:
    assert identity.replace(text) == text


def test_there_are_enough_terms_in_every_category() -> None:
    terms = identity.all_terms()
    assert len(terms) >= 60 and len(set(terms)) == len(terms)
    categories = {"sexual_orientation", "gender_identity", "race_ethnicity", "religion", "disability",
                  "immigration_status", "age"}  # fmt: skip
    assert set(identity.TERMS) == categories
    assert all(len(identity.TERMS[c]) >= 5 for c in categories)


def test_every_term_is_replaced_in_any_case() -> None:
    for term in identity.all_terms():
        for written in (term, term.upper(), term.title()):
            assert identity.replace(f"i'm {written}, and you?") == f"i'm {P}, and you?", written


def test_each_template_reads_the_same_whatever_the_term() -> None:
    """What the integration test checks on the model holds already for the text the model sees."""
    for template, _ in TEMPLATES:
        assert len({identity.replace(template.format(term=term)) for term in TERMS}) == 1, template


def tokenized(text: str, pattern: str = r"\w+|[^\w\s]") -> Message:
    """A message with tokens as a spaCy-like tokenizer would split it (hyphens and apostrophes apart)."""
    message = Message({TEXT: text})
    tokens = [Token(m.group(), m.start(), lemma=m.group().lower()) for m in re.finditer(pattern, text)]
    message.set(TOKENS_NAMES[TEXT], tokens)
    return message


@pytest.mark.parametrize("pattern", [r"\w+|[^\w\s]", r"\S+"])
def test_the_classifier_views_hold_one_placeholder_per_term(pattern: str) -> None:
    a = views(tokenized("I'm a non-binary Latina, can I text my therapist?", pattern))
    b = views(tokenized("I'm Deaf, can I text my therapist?", pattern))
    assert a == b
    words, lemmas, text = a
    assert text == f"i'm {P}, can i text my therapist?"
    assert words.split().count(P) == 1 and lemmas.split().count(P) == 1
    assert not {"non", "binary", "latina", "deaf"} & set(words.split() + lemmas.split())


def test_without_identity_terms_the_views_are_unchanged() -> None:
    message = tokenized("I'm gay, can I text my therapist?")
    words, lemmas, text = views(message, identity_terms=False)
    assert "gay" in words.split() and text == "i'm gay, can i text my therapist?"
    plain = tokenized("can I text my therapist?")
    assert views(plain) == views(plain, identity_terms=False)


def test_the_training_data_stays_distinct_after_replacement() -> None:
    """No two intents share an example once terms are replaced, and the placeholder is no real word's n-gram."""
    seen: dict[str, str] = {}
    words: set[str] = set()
    for block in yaml.safe_load((config.ROOT / "data" / "nlu.yml").read_text(encoding="utf-8"))["nlu"]:
        for line in block.get("examples", "").splitlines():
            example = line.strip().removeprefix("- ").lower()
            words.update(re.findall(r"\w+", example))
            replaced = identity.replace(example)
            assert seen.setdefault(replaced, block["intent"]) == block["intent"], example
    grams = {P[i : i + 3] for i in range(len(P) - 2)}
    assert not [w for w in words if any(g in w for g in grams)]
