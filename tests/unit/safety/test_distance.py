"""Danger told at a distance: the long past, a generic case, and what brings either back to now."""

from __future__ import annotations

import pytest

from bot.safety import rules as crisis_rules


@pytest.mark.parametrize(
    "text",
    [
        "my uncle took his own life in 1994. should I mention it to my counsellor?",
        "my granddad shot himself back in the 70s and nobody ever talks about it",
        "I overdosed when I was 17 and I've been well for years. Does a new therapist need to know?",
        "my mum overdosed when i was 8 and we're ok now",
        "years ago a friend said he wanted to die and I didn't know what to do",
        "what does a therapist do if a client says they want to kill themselves?",
        "if someone says they want to die, what should a friend do?",
        "in the novel the main character kills herself and our book club wants to discuss it",
    ],
)
def test_a_danger_long_past_or_in_a_generic_case_is_a_mention(rules, text: str) -> None:
    verdict = rules.check_text(text)
    assert verdict.level == 3, verdict
    assert crisis_rules.decide("crisis", verdict, 0.9, 0.2)["crisis"] is False


def test_the_writers_own_past_not_said_to_be_over_gets_the_check_in(rules) -> None:
    verdict = rules.check_text("I tried to kill myself in 2005")
    assert (verdict.level, verdict.distant) == (2, True)
    assert crisis_rules.decide(None, verdict)["level"] == 2
    # the classifier sure of a crisis: the past is not what it read
    assert crisis_rules.decide("crisis", verdict, crisis_rules.DISTANCE_SURE, 0.2)["level"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "I tried to kill myself years ago and tonight I'm going to finish it",
        "my dad killed himself when I was 10 and now I'm sitting here with his gun",
        "years ago I tried to overdose. I just took 30 pills",
        # one match lowered by the past lowers no other: the throat closing is now
        "had anaphylaxis as a kid. just ate a peanut and my throat is closing",
        "I used to cut in high school. Tonight I cut too deep and it won't stop bleeding",
        # a generic frame never speaks for the writer
        "when the kid is asleep I'll kill myself",
    ],
)
def test_the_past_never_hides_a_danger_now(rules, text: str) -> None:
    assert rules.check_text(text).level == 1


@pytest.mark.parametrize(
    "text",
    [
        "my aunt took her own life in 2003 and lately I keep thinking I'll go the same way, no plan",
        "I tried to kill myself years ago and I want to do it again",
    ],
)
def test_the_past_and_a_danger_now_without_a_plan_still_escalates(rules, text: str) -> None:
    assert rules.check_text(text).level in (1, 2)


def test_how_to_asks_and_plans_nothing_for_the_past(rules) -> None:
    verdict = rules.check_text("My father died by suicide in 1998 and I am well now. How to explain it to my daughter?")
    assert verdict.level == 3


@pytest.mark.parametrize("safe", ["mention.long_past", "mention.grief", "past.anchors", "hypothetical.generic"])
def test_the_past_and_grief_overrule_the_classifier_only_below_distance_sure(safe: str) -> None:
    silenced = crisis_rules.Verdict(safe=safe, level=3, kind="overdose")  # "overdosed twice in my twenties..."
    assert crisis_rules.decide("crisis", silenced, 0.9, 0.2)["crisis"] is False
    sure = crisis_rules.decide("crisis", silenced, crisis_rules.DISTANCE_SURE, 0.2)
    assert sure["crisis"] is True and sure["level"] == 1
    told = crisis_rules.Verdict(safe=safe)  # nothing silenced: the classifier alone read a crisis
    assert crisis_rules.decide("crisis", told, 0.9, 0.2)["crisis"] is False
    assert crisis_rules.decide("crisis", told, 0.99, 0.2)["crisis"] is True


def test_a_sure_classifier_stands_against_any_mention_that_silenced_a_danger_word() -> None:
    """"I'm a novelist writing a suicide scene... the rope is up and I'm going down now": the job silences
    the danger word, and the classifier, sure of a crisis, is not overruled by it."""
    writer = crisis_rules.Verdict(safe="mention.study_and_work", level=3, kind="suicide")
    assert crisis_rules.decide("crisis", writer, 0.9, 0.2)["crisis"] is False
    assert crisis_rules.decide("crisis", writer, crisis_rules.DISTANCE_SURE, 0.2)["level"] == 1
    # a mention that silenced nothing still overrules only where the rules say so: "I'm a teacher" alone
    idle = crisis_rules.Verdict(safe="mention.study_and_work")
    assert crisis_rules.decide("crisis", idle, 0.99, 0.2)["crisis"] is True


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("hace diez anos intente quitarme la vida. hoy estoy bien y tengo familia", 3),
        ("que hace un terapeuta si un paciente le dice que quiere suicidarse", 3),
        ("de nina sufri maltrato en casa, hoy tengo 45 anos y lo tengo trabajado", 3),
        ("intente suicidarme hace 15 anos. hoy soy psicologa y llevo anos estable", 3),
        ("hace diez anos intente quitarme la vida y ultimamente vuelvo a pensarlo", 2),
        ("mi papa me pegaba de nino y ahora me esta pegando otra vez", 1),
    ],
)
def test_spanish_distance(text: str, level: int) -> None:
    assert crisis_rules.spanish_rules().check_text(text).level == level
