"""`make bench`: this project's configuration against stock Rasa, measured in one run.

For each configuration it trains a model from scratch on the project's data
(fresh Rasa cache, timed) when the model's inputs changed since its last timed
training, starts the real Rasa server and action server on loopback, and
measures cold start, REST latency one message at a time, throughput with
concurrent conversations, resident memory, and NLU quality on the dev and crisis
sets. It prints a table and writes docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import requests
import yaml

from bot import config
from bot.content import answers
from bot.tools import evaluate
from tests import servers

ROOT = config.ROOT
OUT = config.BUILD_DIR / "bench"
REPORT = ROOT / "docs" / "benchmarks.md"
CONFIGS = {"alliance": ROOT / "config.yml", "stock": ROOT / "bench" / "config_stock.yml"}
# What each model is trained from, besides its config: a change to any of these retrains it.
DATA = ["domain.yml", "data/nlu.yml", "data/nlu_es.yml", "data/rules.yml", "data/stories.yml"]
INPUTS = {
    "alliance": [
        *DATA, "bot/nlu/classifier.py", "bot/nlu/spacy_pipeline.py",
        "bot/nlu/identity.py", "bot/safety/rules.py", "bot/safety/rules.yml", "bot/safety/rules_es.yml",
        "bot/safety/guard.py", "bot/safety/policy.py", "bot/safety/language.py", "bot/safety/checkin.py",
    ],  # fmt: skip
    "stock": DATA,
}


@dataclass(frozen=True)
class Variant:
    """One column of the table: a model and how its servers run."""

    name: str
    model: str  # key of CONFIGS
    rasa: tuple[str, ...] = servers.LAUNCH
    endpoints: str = "endpoints.yml"
    workers: int = 1

    def env(self) -> dict[str, str]:
        if self.workers == 1:
            return {}
        return servers.redis_workers_env(f"bench{os.getpid()}", self.workers)


VARIANTS = [
    Variant("alliance", "alliance"),
    Variant("alliance-2w", "alliance", endpoints="endpoints.redis.yml", workers=2),
    Variant("stock", "stock", rasa=servers.STOCK, endpoints="bench/endpoints_stock.yml"),
]
# A fixed mix: FAQ questions (answered by the custom action) and a few plain turns.
MIX = [
    "can I text my therapist?", "is it ok to ask my counselor about her kids", "what are therapeutic boundaries",
    "i think i have a crush on my therapist", "how do i stop seeing my psychologist", "tell me more",
    "is what i say in therapy private", "why does my therapist challenge me", "thanks", "what is transference",
]  # fmt: skip
TARGETS = {"p50_ms": 10, "p99_ms": 30, "throughput": 200, "cold_start_s": 10, "memory_mb": 500, "train_s": 60}


@dataclass
class Figures:
    name: str
    train_s: float = 0.0
    cold_start_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    throughput: float = 0.0
    memory_mb: float = 0.0
    accuracy: float = 0.0
    macro_f1: float = 0.0
    crisis_recall: float = 0.0
    false_alarms: float = 0.0
    silent: int = 0  # replies with no message, in the latency and throughput runs
    steal_pct: float = 0.0  # CPU time the hypervisor took while the servers were measured
    train_steal_pct: float = 0.0  # and while the model was trained
    notes: list[str] = field(default_factory=list)


def fingerprint(name: str) -> str:
    files = [CONFIGS[name], *(ROOT / f for f in INPUTS[name])]
    digest = hashlib.sha256(name.encode())
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()


def train(name: str, force: bool = False) -> tuple[Path, float, float]:
    """The model, the seconds its training from scratch (empty cache) took, and the CPU steal meanwhile.

    Trained now if its inputs changed since the recorded training.

    Each configuration trains the way it is used: ours through bot.serving.launch without validating the
    data again (`make test` validates it), stock with `rasa`.
    """
    OUT.mkdir(parents=True, exist_ok=True)
    model, record = OUT / f"{name}.tar.gz", OUT / f"{name}.training.json"
    if not force and model.exists() and record.exists():
        saved = json.loads(record.read_text())
        if saved.get("fingerprint") == fingerprint(name):
            print(f"bench: {name}: inputs unchanged, reusing the model trained in {saved['seconds']:.0f} s")
            return model, saved["seconds"], saved.get("steal_pct", float("nan"))
    print(f"bench: training {name} from scratch...", flush=True)
    # Rasa writes the defaults it chose into an empty config file: train from a copy.
    config_file = Path(shutil.copy(CONFIGS[name], OUT / f"{name}.config.yml"))
    command = servers.LAUNCH if name == "alliance" else servers.STOCK
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", RASA_CACHE_DIRECTORY=cache, TF_CPP_MIN_LOG_LEVEL="2")
        ticks = cpu_ticks()
        start = time.perf_counter()
        subprocess.run(
            [*command, "train", "--config", str(config_file), "--out", str(OUT),
             "--fixed-model-name", name, "--force", "--quiet", *(["--skip-validation"] if name == "alliance" else [])],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        steal = steal_share(ticks, cpu_ticks())
    record.write_text(json.dumps({"fingerprint": fingerprint(name), "seconds": seconds, "steal_pct": steal}))
    return model, seconds, steal


def cpu_ticks() -> list[int]:
    """The machine's CPU time by kind (user, nice, system, idle, iowait, irq, softirq, steal...)."""
    return [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def steal_share(before: list[int], after: list[int]) -> float:
    """Percent of all CPU time that the hypervisor gave to other machines: figures taken under steal are slow."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return 100 * spent[7] / sum(spent) if sum(spent) else 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        pids += [int(c) for c in children]
    return total / 1024


def latencies(pair: servers.Servers, count: int) -> tuple[list[float], int]:
    """Milliseconds per message, one at a time, and how many replies had no message."""
    session = requests.Session()
    times, silent = [], 0
    for i in range(count):
        message = MIX[i % len(MIX)]
        start = time.perf_counter()
        r = session.post(
            f"{pair.rasa_url}/webhooks/rest/webhook",
            json={"sender": f"latency-{i // len(MIX)}", "message": message},
            timeout=30,
        )
        times.append((time.perf_counter() - start) * 1000)
        silent += not answered(r.status_code, r.json())
    return times, silent


def answered(status: int, replies: list) -> bool:
    """Whether a reply carried a message; an HTTP error ends the run.

    Rasa's REST channel answers 200 with no message both when handling failed and
    when the model chose to say nothing: `measure` counts these, and fails the run
    for this project's variants, which must always answer.
    """
    if status != 200:
        raise RuntimeError(f"the server answered HTTP {status}: see its log")
    return bool(replies)


async def throughput(pair: servers.Servers, conversations: int, per_conversation: int) -> tuple[float, int]:
    """Messages per second with concurrent conversations, and how many replies had no message."""

    async def talk(session: aiohttp.ClientSession, n: int) -> int:
        silent = 0
        for i in range(per_conversation):
            async with session.post(
                f"{pair.rasa_url}/webhooks/rest/webhook",
                json={"sender": f"load-{n}", "message": MIX[(n + i) % len(MIX)]},
            ) as r:
                silent += not answered(r.status, await r.json())
        return silent

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        start = time.perf_counter()
        silent = await asyncio.gather(*(talk(session, n) for n in range(conversations)))
        return conversations * per_conversation / (time.perf_counter() - start), sum(silent)


def quality(model: Path, figures: Figures) -> None:
    """NLU figures, parsed in this process (the same model gives the same figures in any server)."""
    parse = evaluate.agent_parser(model)
    dev = asyncio.run(evaluate.evaluate_dev(parse))
    cases = yaml.safe_load(evaluate.CRISIS_CASES.read_text(encoding="utf-8"))
    crisis = asyncio.run(evaluate.evaluate_crisis(parse, cases["positives"], cases["negatives"]))
    figures.accuracy, figures.macro_f1 = dev.accuracy, dev.macro_f1
    figures.crisis_recall, figures.false_alarms = crisis.recall, crisis.false_alarm_rate


def measure(variant: Variant, model: Path, args: argparse.Namespace, workdir: Path) -> Figures:
    """Speed and memory of one variant's running servers (quality is the model's: see `quality`)."""
    figures = Figures(variant.name)
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    ticks = cpu_ticks()
    start = time.perf_counter()
    pair = servers.start(workdir, db, model=model, rasa=variant.rasa, endpoints=variant.endpoints, env=variant.env())
    figures.cold_start_s = time.perf_counter() - start
    try:
        latencies(pair, 20)  # warm-up
        times, silent = latencies(pair, args.messages)
        figures.p50_ms = statistics.median(times)
        figures.p99_ms = statistics.quantiles(times, n=100)[98] if len(times) >= 100 else max(times)
        figures.throughput, more = asyncio.run(throughput(pair, args.concurrency, args.per_conversation))
        figures.silent = silent + more
        if figures.silent and variant.model == "alliance":
            raise RuntimeError(f"{variant.name}: {figures.silent} replies carried no message: see the server log")
        figures.memory_mb = sum(rss_mb(p.pid) for p in pair.procs.values())
        figures.steal_pct = steal_share(ticks, cpu_ticks())
    finally:
        pair.stop_all()
        if variant.workers > 1:
            servers.forget_conversations(variant.env()["ALLIANCE_REDIS_PREFIX"])
    return figures


ROWS = [
    ("REST latency p50 (ms)", "p50_ms", "{:.1f}"),
    ("REST latency p99 (ms)", "p99_ms", "{:.1f}"),
    ("throughput, 16 conversations (msg/s)", "throughput", "{:.0f}"),
    ("cold start to /status (s)", "cold_start_s", "{:.1f}"),
    ("memory, rasa + actions (MB)", "memory_mb", "{:.0f}"),
    ("training from scratch (s)", "train_s", "{:.0f}"),
    ("replies with no message", "silent", "{:d}"),
    ("CPU stolen by the host while measuring (%)", "steal_pct", "{:.0f}"),
    ("CPU stolen by the host while training (%)", "train_steal_pct", "{:.0f}"),
    ("dev-set accuracy", "accuracy", "{:.3f}"),
    ("dev-set macro-F1", "macro_f1", "{:.3f}"),
    ("crisis recall (held-out)", "crisis_recall", "{:.3f}"),
    ("crisis false alarms (held-out)", "false_alarms", "{:.3f}"),
]


def table(results: list[Figures]) -> str:
    head = "| figure | " + " | ".join(r.name for r in results) + " | target |"
    lines = [head, "|" + " --- |" * (len(results) + 2)]
    for label, key, fmt in ROWS:
        target = TARGETS.get(key)
        cells = " | ".join(fmt.format(getattr(r, key)) for r in results)
        lines.append(f"| {label} | {cells} | {'' if target is None else target} |")
    return "\n".join(lines)


def report(results: list[Figures], args: argparse.Namespace) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    notes = (ROOT / "bench" / "NOTES.md").read_text(encoding="utf-8")
    return f"""# Benchmarks

Measured by `make bench` on {dt.date.today().isoformat()}: {os.cpu_count()} cores ({cpu}), Python
{platform.python_version()}, both servers and the load on this one machine, over loopback.

- `alliance`: this project as `make serve` runs it: `config.yml` and `endpoints.yml`,
  `python -m bot.serving.launch run` (Rasa's server with the fixes in `bot/serving/`), one Sanic
  worker, the in-memory event tracker store (`bot/stores/tracker_store.py`), `python -m rasa_sdk`
  as the action server.
- `alliance-2w`: the same model with two Sanic workers sharing Redis: the event-list
  tracker store (`bot/stores/tracker_store.py`) and the atomic lock store (`bot/stores/lock_store.py`)
  (`endpoints.redis.yml`, `make serve WORKERS=2`).
- `stock`: `bench/config_stock.yml`, Rasa's defaults as `rasa init` sets them up, trained
  on the same data and served with the same domain and actions by plain `rasa run` and
  `rasa run actions`, with `rasa init`'s endpoints (`bench/endpoints_stock.yml`).

{table(results)}

How each figure is taken (`bench/run.py`): latency is {args.messages} REST messages sent one at a
time from a fixed mix of FAQ questions (answered by the custom action) after 20 warm-up
messages, a new conversation every {len(MIX)} messages; throughput is {args.concurrency} conversations
sending {args.per_conversation} messages each at once; a reply with no message is counted (Rasa
answers so when handling fails, or when the model chooses silence) and fails the run for
`alliance`; cold start is process start until the server answers (`/status` with the API token,
action server started alongside); memory is the resident set of both servers and their
children after the load; training is `rasa train --force` with an empty cache, timed
when the model's inputs last changed; quality is the dev set (`../shared/eval/dev.yml`)
and the held-out crisis set (`tests/data/crisis_cases.yml`), the same for both
`alliance` columns since they serve one model. This machine is a virtual one: when its
host is busy it takes CPU time away ("stolen"), and every speed figure of that column
suffers; the steal row says how much. Targets are for this project on this 2-core machine.

{notes}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-conversation", type=int, default=25)
    parser.add_argument("--only", choices=[v.name for v in VARIANTS], action="append")
    parser.add_argument("--retrain", action="store_true", help="train from scratch even if nothing changed")
    parser.add_argument("--no-report", action="store_true", help="print only, don't write docs/benchmarks.md")
    args = parser.parse_args()
    results, measured = [], {}
    for variant in [v for v in VARIANTS if not args.only or v.name in args.only]:
        model, seconds, train_steal = train(variant.model, force=args.retrain and variant.model not in measured)
        with tempfile.TemporaryDirectory() as workdir:
            print(f"bench: measuring {variant.name}...", flush=True)
            figures = measure(variant, model, args, Path(workdir))
        figures.train_s, figures.train_steal_pct = seconds, train_steal
        if variant.model not in measured:
            quality(model, figures)
            measured[variant.model] = figures
        same = measured[variant.model]
        figures.accuracy, figures.macro_f1 = same.accuracy, same.macro_f1
        figures.crisis_recall, figures.false_alarms = same.crisis_recall, same.false_alarms
        results.append(figures)
    print(table(results))
    if not args.no_report:
        REPORT.write_text(report(results, args), encoding="utf-8")
        print(f"bench: wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
