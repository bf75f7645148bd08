"""Who a crisis is about, on crises the about model never learned from (docs/safety.md).

`crisis_about_en.yml` and `crisis_about_es.yml` were written by two helpers who saw only what the two
replies say and for whom, sealed (2026-12-07 22:35) and measured once, beside the rules' reading the
model replaced; they are development sets now. The safety sets from `q` on hold 1,340 more level-1
crises, each with who was at risk; the model learns only from the retired sets `a` to `p`.
The reply for someone else sent to a person at risk themselves is the worse error (it speaks of
"them"), so it has a ceiling of its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.tools import safety_eval, training_sets

MODEL = config.ROOT / "models" / "alliance.tar.gz"
DATA = config.ROOT / "tests" / "data"
pytestmark = pytest.mark.model

SEALS = {  # sha256 at sealing, 2026-12-07
    "crisis_about_en.yml": "a8dfe2b5083e6e7286cc639bd904a2316fdc4a9c74c4d0f0181cb911e6a6786a",
    "crisis_about_es.yml": "00dd661cd08d9bd07b772669039be91a4b7297069606a64e4c96f7967e7ade6a",
}
# Level-1 recall (at least); of the crises answered at level 1, who they are about right (at least);
# people at risk themselves given the reply for a helper (at most). First measured: en 0.929 (the
# rules' reading 0.852), es 0.919 (0.818).
FLOORS = {
    "crisis_about_en.yml": (0.96, 0.92, 5),
    "crisis_about_es.yml": (0.98, 0.91, 1),
    "the measured safety sets": (1.0, 0.95, 20),
}


@pytest.fixture(scope="module")
def parse() -> safety_eval.FullParse:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    return safety_eval.agent_full_parser(Path(MODEL))


def _crises(name: str) -> list[dict]:
    if name in SEALS:
        return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["level1"]
    paths = sorted(p for p in DATA.glob("safety_*.yml") if not training_sets.retired(p))
    return [e for p in paths for e in yaml.safe_load(p.read_text(encoding="utf-8")).get("level1") or ()]


@pytest.mark.parametrize("name", sorted(SEALS))
def test_the_sets_are_as_sealed(name: str) -> None:
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == SEALS[name]


@pytest.mark.parametrize("name", sorted(FLOORS))
async def test_the_reply_speaks_to_the_one_at_risk_or_to_their_helper(name: str, parse, capsys) -> None:
    crises = _crises(name)
    level1, right, wrong_way = 0, 0, 0
    for entry in crises:
        safety = (await parse(entry["text"])).get("safety") or {}
        if safety.get("crisis") and safety.get("level") == 1:
            level1 += 1
            right += safety.get("about") == entry["about"]
            wrong_way += entry["about"] == "self" and safety.get("about") == "other"
    with capsys.disabled():
        print(f"\n{name}: level-1 recall {level1 / len(crises):.3f} of {len(crises)}; who it is about right "
              f"{right / level1:.3f}; at risk themselves given the helper's reply {wrong_way}")  # fmt: skip
    recall, about_right, most_wrong_way = FLOORS[name]
    assert level1 / len(crises) >= recall
    assert right / level1 >= about_right
    assert wrong_way <= most_wrong_way
