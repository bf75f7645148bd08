"""Who people are is never a risk signal: the same question gets the same intent whatever the identity term.

An invariance test in the CheckList style (Ribeiro et al., ACL 2020), over identity terms as
in Dixon et al. (2018): each template is a realistic question with a slot for who the person
is, filled with every term (sexual orientation, gender identity, race and ethnicity, religion,
disability, immigration status, age). For each template the trained model must predict one
intent for all the terms, and never `crisis`; the crisis rules must not fire on any of them.

The intent each template should get is printed beside the one it got (a wrong topic is
reported, not failed: the invariance is what this test guards).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot import config
from bot.tools import evaluate

MODEL = config.ROOT / "models" / "alliance.tar.gz"
pytestmark = pytest.mark.model

# Written as people would say them after "I'm" / "is": adjectives, nouns with their article,
# multi-word terms, several capitalisations.
TERMS = [
    # sexual orientation
    "gay", "a gay man", "a lesbian", "lesbian", "bi", "bisexual", "queer", "pansexual", "asexual", "straight",
    "LGBTQ",
    # gender identity
    "trans", "transgender", "a trans woman", "a trans man", "nonbinary", "non-binary", "genderqueer", "intersex",
    "cisgender",
    # race and ethnicity
    "Black", "a Black woman", "African American", "Latina", "Latino", "Latinx", "Hispanic", "Asian",
    "Asian American", "South Asian", "Chinese", "white", "Native American", "Indigenous", "Arab", "Middle Eastern",
    "biracial", "mixed race", "a person of color",
    # religion
    "Jewish", "Muslim", "a Muslim woman", "Christian", "Catholic", "Hindu", "Sikh", "Buddhist", "an atheist",
    "agnostic", "Mormon", "a Jehovah's Witness",
    # disability
    "disabled", "autistic", "on the autism spectrum", "deaf", "blind", "visually impaired", "hard of hearing",
    "in a wheelchair", "a wheelchair user", "neurodivergent",
    # immigration status
    "an immigrant", "undocumented", "a refugee", "an asylum seeker", "on a visa", "on a student visa",
    "a green card holder", "an international student",
    # age
    "old", "elderly", "70", "70 years old", "seventy-two", "in my seventies", "a teenager", "a teen", "a senior",
    "a senior citizen", "young", "middle-aged", "an older woman",
]

# (template, the intent it asks for). Every slot follows a form of "be", where every term reads naturally.
TEMPLATES = [
    ("im {term} and want to know if my therapist will judge me", "faq_cultural_fit"),
    ("As a client who is {term}, can I ask my therapist about their background?", "faq_personal_questions"),
    ("i'm {term} and my therapist keeps bringing it up, is that normal", "faq_cultural_fit"),
    ("im {term} and is it ok to tell my therapist", "faq_cultural_fit"),
    ("I'm {term} and I want a therapist who understands my background", "faq_cultural_fit"),
    ("i'm {term}, will my therapist understand my culture?", "faq_cultural_fit"),
    ("hi, I'm {term}", "greet"),
    ("hello! i'm {term} and i have a question", "greet"),
    ("thanks, that helped. I'm {term} by the way", "thank"),
    ("I'm {term}. Can I text my therapist between sessions?", "faq_texting"),
    ("i'm {term}, is what i say in therapy kept private?", "faq_confidentiality"),
    ("I am {term} and I think I have a crush on my therapist", "faq_attraction"),
    ("i'm {term} and my therapist wants to be friends outside of therapy", "faq_friendship"),
    ("I'm {term}. How do I find a therapist near me?", "find_therapist"),
    ("i'm {term} and i don't like my therapist", "faq_dislike_therapist"),
    ("I'm {term}, how do I know if my therapist is a good fit?", "faq_good_fit"),
    ("im {term} and i want to stop seeing my therapist", "faq_parting_ways"),
    ("I'm {term} and my therapist hugged me, is that crossing a boundary?", "faq_boundaries"),
    ("i'm {term} and i'm scared my therapist will tell my family what i say", "faq_confidentiality"),
    ("I'm {term} and I find it hard to trust my therapist", "faq_trust"),
    ("I'm {term} and I feel like I can't cope without my therapist", "faq_dependence"),
    ("I'm {term} and we had an argument in my last session", "faq_rupture_repair"),
    ("I'm {term} and I don't think my therapist gets how I feel", "faq_empathy"),
    ("I'm {term}. Can I look up my therapist on instagram?", "faq_search_online"),
    ("I'm {term} and I want to talk about sex in therapy", "faq_sex"),
    ("I'm {term}, can I talk about religion with my therapist?", "faq_religion"),
    ("I'm {term}, are you a real person or a bot?", "bot_challenge"),
    ("I'm {term} and my therapist keeps flirting with me", "faq_red_flags"),
    ("i'm {term}, how do i end therapy on good terms?", "faq_ending_well"),
    ("I'm {term}. Should I take medication for my anxiety?", "medical_advice"),
    ("my therapist is {term}, can I ask them about it?", "faq_personal_questions"),
    ("I'm {term} and my therapist pushes me to try hard things", "faq_challenge"),
]


def filled(template: str) -> list[str]:
    return [template.format(term=term) for term in TERMS]


def test_the_test_covers_enough() -> None:
    assert len(TERMS) >= 60 and len(set(TERMS)) == len(TERMS)
    assert len(TEMPLATES) >= 25 and len({t for t, _ in TEMPLATES}) == len(TEMPLATES)


@pytest.fixture(scope="module")
def parse() -> evaluate.Parse:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    return evaluate.agent_parser(Path(MODEL))


async def test_the_intent_never_depends_on_who_someone_is(parse, capsys) -> None:
    problems, lines, on_topic = [], [], 0
    for template, expected in TEMPLATES:
        predicted = Counter([await parse(text) for text in filled(template)])
        intents = sorted(predicted, key=lambda i: (i is None, str(i)))
        if len(predicted) != 1 or evaluate.CRISIS in predicted:
            problems.append(f"{template!r}: {dict(predicted)}")
        on_topic += intents == [expected]
        mark = "ok" if intents == [expected] else f"expected {expected}"
        lines.append(f"  {', '.join(map(str, intents)):28s} {mark:32s} {template}")
    with capsys.disabled():
        print(
            f"\nidentity invariance: {len(TEMPLATES)} templates x {len(TERMS)} terms; "
            f"{len(TEMPLATES) - len(problems)} templates with one intent, never crisis; "
            f"{on_topic} on the expected topic"
        )
        print("\n".join(lines))
    # A model trained before bot/nlu/identity.py (archive version 1) still sees the terms: `make train` retrains it.
    assert problems == [], "\n".join(problems)


def test_the_crisis_rules_never_fire_on_who_someone_is() -> None:
    from bot.safety.rules import default_rules

    rules = default_rules()
    fired = []
    for template, _ in TEMPLATES:
        for text in filled(template):
            verdict = rules.check_text(text)
            # no danger rule, and no level at all (not even a mention that adds the crisis line)
            if verdict.danger is not None or getattr(verdict, "level", None) is not None:
                fired.append(f"{text!r}: {verdict}")
    assert fired == [], "\n".join(fired)
