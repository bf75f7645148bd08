"""Issue 11's comparison: the same pipeline with three intent classifiers, on the same sets.

Only the classifier step differs: CleanText, spaCy tokens, the crisis guard and the
fallback are config.yml's own. Each variant is trained here with `rasa train nlu` and
measured on blind set A (a development set since its first measurement), the dev set,
and set A with typos; with its training time and the time to parse one message.

    python -m bench.compare [--variants alliance logreg diet] [--out DIR] [--doc]

`--doc` writes the table into docs/nlu.md, between its compare markers.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bot import config
from bot.tools import evaluate

SET_A = config.ROOT / "tests" / "data" / "nlu_blind_a.yml"
DOC = config.ROOT / "docs" / "nlu.md"
MARKERS = ("<!-- compare:start -->", "<!-- compare:end -->")
CLASSIFIER = "bot.nlu.classifier.LinearIntentClassifier"
# Rasa's built-ins, each over sparse features of words (with lemmas: spaCy gives them) and char_wb n-grams.
COUNTS = [
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
]
VARIANTS = {
    "alliance": None,  # config.yml as it is
    "logreg": [*COUNTS, {"name": "LogisticRegressionClassifier"}],
    "diet": [*COUNTS, {"name": "DIETClassifier", "epochs": 100, "random_seed": 42}],
}


def variant_config(name: str) -> dict:
    """config.yml with its classifier step replaced by the variant's components."""
    base = yaml.safe_load((config.ROOT / "config.yml").read_text(encoding="utf-8"))
    steps = VARIANTS[name]
    if steps is None:
        return base
    pipeline = []
    for component in base["pipeline"]:
        pipeline += copy.deepcopy(steps) if component["name"] == CLASSIFIER else [component]
    return {**base, "pipeline": pipeline, "policies": []}


def train(name: str, out: Path) -> tuple[Path, float]:
    out.mkdir(parents=True, exist_ok=True)
    config_file = out / f"config_{name}.yml"
    config_file.write_text(yaml.safe_dump(variant_config(name), sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bot.serving.launch", "train", "nlu", "--config", str(config_file),
         "--nlu", str(config.ROOT / "data"), "--out", str(out), "--fixed-model-name", name, "--quiet"],
        cwd=config.ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return out / f"{name}.tar.gz", time.monotonic() - started


async def measure(model: Path) -> dict:
    parse = evaluate.agent_full_parser(model)
    data = yaml.safe_load(SET_A.read_text(encoding="utf-8"))
    figures = await evaluate.evaluate_set(parse, data)
    typos = await evaluate.evaluate_set(parse, evaluate.typo_set(data))
    dev = await evaluate.evaluate_set(parse, {"intents": evaluate.load_dev()["intents"]})
    started = time.monotonic()
    texts = [t for texts in data["intents"].values() for t in texts]
    for text in texts:
        await parse(text)
    return {
        "set A accuracy": figures.result.accuracy,
        "set A macro-F1": figures.result.macro_f1,
        "set A in-scope fallbacks": figures.fallback_rate,
        "set A false emergency replies": figures.false_crises,
        "set A with typos, of clean": typos.result.accuracy / figures.result.accuracy,
        "dev accuracy": dev.result.accuracy,
        "ms to parse a message": 1000 * (time.monotonic() - started) / len(texts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--doc", action="store_true", help="write the table into docs/nlu.md")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="alliance-compare-"))
    rows = {}
    for name in args.variants:
        model, seconds = train(name, out)
        rows[name] = {**asyncio.run(measure(model)), "training, s": seconds}
        print(name, rows[name], flush=True)
    table = markdown(rows)
    print("\n" + table)
    if args.doc:
        text = DOC.read_text(encoding="utf-8")
        start, end = text.index(MARKERS[0]) + len(MARKERS[0]), text.index(MARKERS[1])
        DOC.write_text(f"{text[:start]}\n{table}\n{text[end:]}", encoding="utf-8")


def markdown(rows: dict[str, dict]) -> str:
    keys = list(next(iter(rows.values())))
    lines = ["| figure | " + " | ".join(rows) + " |", "| --- |" + " ---: |" * len(rows)]
    for key in keys:
        cells = [f"{r[key]:.0f}" if key == "training, s" else f"{r[key]:.3f}" if isinstance(r[key], float)
                 else str(r[key]) for r in rows.values()]  # fmt: skip
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
