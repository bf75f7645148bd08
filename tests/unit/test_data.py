"""Data that checks itself: intents, rules, answers, domain and README agree."""

from __future__ import annotations

import re

import pytest
import yaml

from bot import config

ROOT = config.ROOT
FAQ_TOPICS = [
    "faq_therapeutic_relationship", "faq_boundaries", "faq_confidentiality", "faq_dislike_therapist",
    "faq_friendship", "faq_attraction", "faq_transference", "faq_countertransference", "faq_texting",
    "faq_personal_questions", "faq_religion", "faq_sex", "faq_search_online", "faq_parting_ways",
    "faq_trust", "faq_empathy", "faq_consistency", "faq_corrective_experience", "faq_challenge",
    "faq_collaboration", "faq_cultural_fit", "faq_rupture_repair", "faq_therapist_growth",
    "faq_red_flags", "faq_dependence", "faq_ending_well", "faq_good_fit",
]  # fmt: skip
CONTRACT_INTENTS = set(FAQ_TOPICS) | {
    "find_therapist", "medical_advice", "crisis",
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "out_of_scope",
    "feedback_helpful", "feedback_not_helpful", "ask_again",
}  # fmt: skip


def _yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def _nlu_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for block in _yaml("data/nlu.yml")["nlu"]:
        lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _steps(path: str, key: str) -> list[dict]:
    return [step for item in _yaml(path)[key] for step in item["steps"]]


DOMAIN = _yaml("domain.yml")
ANSWERS = _yaml("data/answers.yml")


def test_domain_intents_are_the_contract() -> None:
    assert set(DOMAIN["intents"]) == CONTRACT_INTENTS


def test_nlu_intents_are_the_contract_with_enough_examples() -> None:
    examples = _nlu_examples()
    assert set(examples) == CONTRACT_INTENTS
    for topic in FAQ_TOPICS:
        assert len(examples[topic]) >= 20, topic
    for vote in ("feedback_helpful", "feedback_not_helpful"):
        assert len(examples[vote]) >= 15, vote


def test_no_example_is_under_two_intents() -> None:
    seen: dict[str, str] = {}
    for intent, lines in _nlu_examples().items():
        for line in lines:
            assert seen.setdefault(_norm(line), intent) == intent, line


def test_never_trained_on_held_out_sentences() -> None:
    trained = {_norm(line) for lines in _nlu_examples().values() for line in lines}
    sentences = []
    for name in ("crisis_cases.yml", "crisis_blind.yml"):
        held_out = yaml.safe_load((ROOT / "tests/data" / name).read_text(encoding="utf-8"))
        sentences += held_out["positives"] + held_out["negatives"]
    if config.EVAL_FILE.exists():
        dev = yaml.safe_load(config.EVAL_FILE.read_text(encoding="utf-8"))
        sentences += [s for v in dev["intents"].values() for s in v] + dev["crisis"] + dev["not_crisis"]
    assert sorted(s for s in sentences if _norm(s) in trained) == []


@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_every_faq_topic_has_a_rule_and_a_vetted_answer(topic: str) -> None:
    rules = _yaml("data/rules.yml")["rules"]
    assert any(
        r["steps"][0] == {"intent": topic} and {"action": "action_answer_faq"} in r["steps"] for r in rules
    ), f"no rule answers {topic}"
    entry = ANSWERS["answers"].get(topic)
    assert entry is not None, f"no answer for {topic}"
    assert entry["vetted"] is True, f"{topic} is not vetted"


def test_every_answer_is_a_faq_intent_and_related_topics_exist() -> None:
    answers = ANSWERS["answers"]
    assert set(answers) == set(FAQ_TOPICS)
    for topic, entry in answers.items():
        assert entry["related"], topic
        assert set(entry["related"]) <= set(answers) - {topic}, topic
    assert set(ANSWERS["menu"]) <= set(answers)


def test_domain_lists_every_action_and_response_used() -> None:
    steps = _steps("data/rules.yml", "rules") + _steps("data/stories.yml", "stories")
    steps += _steps("tests/test_stories.yml", "stories")
    used = {s["action"] for s in steps if "action" in s}
    custom = {a for a in used if not a.startswith("utter_")}
    assert custom <= set(DOMAIN["actions"])
    assert {a for a in used if a.startswith("utter_")} <= set(DOMAIN["responses"])


def test_domain_custom_actions_are_implemented() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(DOMAIN["actions"]) == set(executor.actions)


def _seed_words(source_key: str) -> list[str]:
    text = (config.SEEDS_DIR / ANSWERS["sources"][source_key]["file"]).read_text(encoding="utf-8")
    return _norm(text).split()


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.skipif(not config.SEEDS_DIR.exists(), reason="../shared/seeds is not beside the clone")
def test_answers_are_paraphrased_not_copied() -> None:
    seed_grams = set().union(*(_ngrams(_seed_words(k), 6) for k in ANSWERS["sources"]))
    copied = {}
    for topic, entry in ANSWERS["answers"].items():
        for field in ("short", "more"):
            shared = _ngrams(_norm(entry[field]).split(), 6) & seed_grams
            if shared:
                copied[f"{topic}.{field}"] = [" ".join(g) for g in sorted(shared)]
    assert copied == {}


@pytest.mark.skipif(not config.SEEDS_DIR.exists(), reason="../shared/seeds is not beside the clone")
def test_answers_cite_a_real_section_of_their_article() -> None:
    for topic, entry in ANSWERS["answers"].items():
        source = ANSWERS["sources"][entry["source"]]
        article = (config.SEEDS_DIR / source["file"]).read_text(encoding="utf-8")
        headings = {_norm(line) for line in article.splitlines() if line.strip()}
        assert article.splitlines()[0].strip() == source["title"]
        for heading in entry["sections"]:  # the article's own heading, exactly as people will see it
            assert _norm(heading) in headings, f"{topic}: section {heading!r} is not a heading"


def test_answers_name_no_person_or_company() -> None:
    text = (ROOT / "data/answers.yml").read_text(encoding="utf-8")
    for name in ("Sheridan", "Wilson-Grooms", "Grow Therapy"):
        assert name not in text


def test_every_file_the_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[\w.-]+/)*[\w-]+\.(?:py|yml|yaml|md|txt|toml|db))`", readme))
    named |= set(re.findall(r"`((?:\.?[\w-]+/)+)`", readme))
    assert named, "the README names no files"
    generated = {
        "build/answers.db",
        "build/credentials.yml",
        "var/escalations.db",
        "var/records.db",
        "build/report.html",
    }
    generated |= {"models/", "build/", ".venv/"}
    missing = [p for p in named if p not in generated and not (ROOT / p).exists()]
    assert missing == []


def test_the_readme_file_table_covers_the_tree() -> None:
    """Every top-level file and folder, and every package of bot/, has a row in the README's table."""
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Files") :]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    listed = {path.rstrip("/") for row in rows for path in re.findall(r"`([^`]+)`", row)}
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    top = {path.split("/")[0] for path in tracked if not path.startswith(".")}
    packages = {f"bot/{p.name}" for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert packages and top
    named = listed | {path.split("/")[0] for path in listed}  # a folder's files name the folder
    missing = sorted(name for name in top | packages if name not in named and name != "README.md")
    assert missing == [], f"the README's file table does not name {missing}"
    assert not [p.name for p in (ROOT / "bot").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]


# Modules that moved into bot/'s sub-packages: nothing may name them by their old paths.
OLD_PATHS = re.compile(
    r"bot[./](launch|cli|web|evaluate|nlp|nlg|answers|replies|escalations|classifier|safety_rules|"
    r"tracker_store|lock_store)\b|bot/safety\.py|bot\.safety\.(CrisisGuard|CrisisPolicy)|tests/test_\w+\.py"
)


def test_nothing_names_a_module_by_its_old_path() -> None:
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    stale = []
    for path in tracked:
        if path.endswith((".py", ".yml", ".md", ".toml", ".js", ".html")) or path == "Makefile":
            text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
            stale += [f"{path}: {m.group(0)}" for m in OLD_PATHS.finditer(text)]
    assert stale == []
