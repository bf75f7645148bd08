"""The blind NLU sets of issue 11 (docs/nlu.md): printed, gated, and sealed by their hashes.

Each set was sealed and measured once on code it had never seen (the first figures are in
docs/nlu.md), then read as a development set. The older ones, A to P and (since Z measured the
model without them) Q to Y, are retired: they train the model (data/nlu_sets.yml,
bot/tools/training_sets.py), so their hashes still say where each line came from and nothing
measures on them. The sets still measured are gated at floors that
are raised as they improve and never lowered, except where a trade is named below. A set still
sealed is read by nothing here but its hash check, so an edit to it, or a peek that leads to
one, fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.nlu.examples import block_examples
from bot.tools import evaluate

MODEL = config.ROOT / "models" / "alliance.tar.gz"
DATA = config.ROOT / "tests" / "data"
pytestmark = pytest.mark.model

SEALS = {  # sha256 at sealing, 2026-12-06 and 07 (docs/nlu.md)
    "nlu_blind_a.yml": "5c418a36acc3b7ccae0e5126c44718480663f81c98f76b5392325a5cca400c2d",
    "nlu_blind_b.yml": "0d4fe9640ac84257a1c7b0311fc0e1502066b882dd16f46e39a80d1d39985a3a",
    "nlu_blind_c.yml": "67808cbf7ef8de46acdb3a05e26012442831b7e7eea32afa1eb59afdb62c365d",
    "nlu_blind_e.yml": "c025779b8baa15c4b98ba40184111adc69f390dbeb37216af36d47fe275de77e",
    "nlu_blind_f.yml": "32da4f09017c1a316d9eded9a44771403ff90cb50c79a468eb8ef2b6fc00a6ab",
    "nlu_blind_g.yml": "4b4e1720172ea18cafbd72bcb17a7e05c0757a4a70c6447458edf283215f8b63",
    "nlu_blind_h.yml": "e9050246d5bfc91c2f10780cb343ea185183b103b6093c0d967cc1e43f1f433f",
    "nlu_blind_i.yml": "917d6cc12707708d5387bdf6c04733b27600cb009bb915f9a0c105fa2e707b79",
    "nlu_blind_j.yml": "64280486a1cbc015fc073e78b70a77ab6a5aa30618df2eec5f37014ce5f80eb7",
    "nlu_blind_k.yml": "6f754857799c9ea0728bc9d8afce0165137684832e6ba40c48ad018731b090f5",
    "nlu_blind_l.yml": "6f741add033c6bcc144d898130193c4a3edd8c565f04768cac57b9591754925d",
    "nlu_blind_m1.yml": "1eb9319f824f74154dfbd9da2ce4413e5e5acdb6d6c19222e46354af5443ff8c",
    "nlu_blind_m2.yml": "38a66ead0c6f0f311771727319fb8c8cd2ce9a50641a6548739097252498a41f",
    "nlu_blind_n1.yml": "e43909c5fe11c02d3594870f28b7d55d89f920d65ac8f5eb4bddf3fd50b0b477",
    "nlu_blind_n2.yml": "cf477b54d2cd05dbf32f7e2f6952e2812fe919a984583104d4ed67a74a417cf7",
    "nlu_blind_o1.yml": "4ae16fcb4ee7c7bfbac954acbfff57f18de25ef1cda0fb9b28fb673ee0f17162",
    "nlu_blind_o2.yml": "5c5e6fda9ec18fbebf7552755f16147f295282c50ef49ae2930f9753d4d180ee",
    "nlu_blind_p1.yml": "fb0d0fd09eb1e52cfb02b1d62358b2ca2ab8586d7aa21f1c647c35f6fd8deb7d",
    "nlu_blind_q1.yml": "71a3c3aec23e213e125343b6ba67d9d6ecd7aba07ce33a18f7de81d174d5ea3d",
    "nlu_blind_r1.yml": "e4dd22d3f3e5f22244eef22e6a5703712d3299ca53b5d99e60301971e7267b25",
    "nlu_blind_s1.yml": "2943ffd2ed7610eb94922f9c99395dd4f4c593846732507a474a9340dd0c1ef2",
    "nlu_blind_t1.yml": "b2d9d509f2892724a866bc90890998c9eeb43a97155f0b863e386fd61e15e8a7",
    "nlu_blind_u1.yml": "d756c6035420084d9c74d7ceee2bc7e7ee4f351013d649e22b415c404c562f6c",
    "nlu_blind_v1.yml": "03ce0fa7bfbe4b47653c6cd9d7f851de4b98791cab7abcca3c03f9b76a672861",
    "nlu_blind_w1.yml": "27cee2727b7c340ae5c0705642765aae63b96337343c80d86d0661136b53d17e",
    "nlu_blind_x1.yml": "89109c324320a73edc89477e963cb2258995f2bfa90e9410b8404b78986a46f0",
    "nlu_blind_x2.yml": "372912200ad69563cd32d5af294d57686befdc2d363c423f2de16318ea9d2971",
    "nlu_blind_y1.yml": "84be90e65f99850480ba652b4ba5b2424b30f9ab351ce03112b95fbd4c47ee61",
    "nlu_blind_y2.yml": "aa3e9bb41457319ddac4f52ad3451645977e8dbd1f52d2fe4dc2e0a04305e725",
    "nlu_blind_z1.yml": "c29bbd0ac4aaadbef3711d6d2cdca8b5798997b6e88aa703ec2cc7415b7d35ca",
    "nlu_blind_z2.yml": "8a939a5075f6672ed9b6e90ba2f385bce41cfde048f2f4aeb2402da543c75737",
    "nlu_blind_ab1.yml": "cc034e6666aa9e0ea0839239b463bb28cb579300832e81002b5444a91d2e7bbb",
    "nlu_blind_ab2.yml": "8080b64ff5a0e350829601f01e687e06f0a3753c3288cef2ff214533bbf41abf",
}
# Where each set still measured stands (docs/nlu.md has the first measurements). Issue 11's targets
# are 0.95 accuracy and macro-F1, 0.85 lowest recall, 3% fallbacks, 0.9 of clean accuracy with typos.
# Columns: accuracy, macro-F1 and accuracy with typos as a share of clean (at least); in-scope
# questions answered "Did you mean...?" and ordinary messages given the emergency reply (at most).
FLOORS = {
    # Z1 and Z2 sealed 2026-12-08 01:32; Z1 measured once before any change (0.964), Z2 once at the end (0.916)
    "nlu_blind_z1.yml": (0.97, 0.975, 0.975, 0.005, 0),
    "nlu_blind_z2.yml": (0.91, 0.925, 0.965, 0.01, 4),  # fallbacks 2 of 467 at first, 3 now
    # AB1 written after the session's work (in English: a word or two of a first language at most),
    # sealed 02:53 and measured once then (0.966; lowest recall 0.846, 11 of 13)
    "nlu_blind_ab1.yml": (0.96, 0.965, 0.97, 0.005, 1),
    "nlu_blind_ab2.yml": (0.94, 0.945, 0.96, 0.01, 1),  # with AB1, sealed 03:19, measured once then (0.947)
}
# Sentences a set shares with the training data, found when it was sealed: the writers never saw
# the data, but short replies ("hey there") coincide. Training data may never add to them.
SHARED_AT_SEALING = {"nlu_blind_z1.yml": 55, "nlu_blind_z2.yml": 46, "nlu_blind_ab1.yml": 66, "nlu_blind_ab2.yml": 48}


@pytest.mark.parametrize("name", sorted(SEALS))
def test_the_blind_sets_are_as_sealed(name: str) -> None:
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == SEALS[name]


@pytest.fixture(scope="module")
def parse() -> evaluate.ParseFull:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    return evaluate.agent_full_parser(Path(MODEL))


@pytest.mark.parametrize("name", sorted(FLOORS))
async def test_a_measured_blind_set_holds_its_floors(name: str, parse, capsys) -> None:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    figures = await evaluate.evaluate_set(parse, data)
    typos = await evaluate.evaluate_set(parse, evaluate.typo_set(data))
    ratio = typos.result.accuracy / figures.result.accuracy
    with capsys.disabled():
        print(f"\n{figures.summary(name)}\n  with typos: {typos.result.accuracy:.3f}, {ratio:.3f} of clean")
    accuracy, macro_f1, typo_ratio, most_fallbacks, most_false_crises = FLOORS[name]
    assert figures.result.accuracy >= accuracy
    assert figures.result.macro_f1 >= macro_f1
    assert ratio >= typo_ratio
    assert figures.fallback_rate <= most_fallbacks
    assert figures.false_crises <= most_false_crises


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value.strip().lower()]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", sorted(SHARED_AT_SEALING))
def test_no_training_example_is_taken_from_a_blind_set(name: str) -> None:
    """Counted, never read: the sealed set's sentences are only compared with the training data."""
    sealed = set(_strings(yaml.safe_load((DATA / name).read_text(encoding="utf-8"))))
    trained = []
    for path in sorted((config.ROOT / "data").glob("nlu*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            trained += [line.lower() for line in block_examples(block)]
    assert len([t for t in trained if t in sealed]) <= SHARED_AT_SEALING[name]


def test_typos_are_injected_reproducibly() -> None:
    assert evaluate.with_typos("can i text my therapist", 3) == evaluate.with_typos("can i text my therapist", 3)
    changed = [evaluate.with_typos("can i text my therapist between sessions", n) for n in range(20)]
    assert all(t != "can i text my therapist between sessions" for t in changed)
    assert all(abs(len(t) - 40) <= 2 for t in changed)
