"""`python -m bench.memory`: resident memory of the in-memory tracker store with 1, 10k and 100k senders.

Each sender's conversation is what a first question leaves in a tracker (session
start, the welcome, the question with its parse result, the answer with buttons),
saved through `InMemoryEventTrackerStore` exactly as message processing saves it,
in this process: 100k conversations through the HTTP server would take a quarter
of an hour here. Measured twice: with the store's cap (ALLIANCE_MAX_CONVERSATIONS,
10,000 by default) and with the cap lifted, which is how Rasa's own store behaves.
Prints a markdown table (docs/reliability.md has the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time

from bot import config

COUNTS = (1, 10_000, 100_000)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def conversation() -> list[dict]:
    """One first question's events, as dictionaries (each sender gets objects of its own)."""
    parse = {
        "text": "can I text my therapist between sessions?",
        "intent": {"name": "faq_texting", "confidence": 0.91},
        "intent_ranking": [{"name": "faq_texting", "confidence": 0.91}, {"name": "faq_boundaries", "confidence": 0.04}],
        "entities": [],
    }
    buttons = [{"title": f"Topic {n}", "payload": f"/faq_topic_{n}"} for n in range(5)]
    return [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.0},
        {"event": "bot", "text": "Hi, I'm Alliance, an automated assistant. " * 4, "timestamp": 1.0},
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": parse["text"], "parse_data": parse, "input_channel": "rest", "timestamp": 2.0},
        {"event": "action", "name": "action_answer_faq", "timestamp": 2.0},
        {"event": "bot", "text": "Many therapists set rules about contact between sessions. " * 6,
         "data": {"buttons": buttons}, "timestamp": 2.0},
        {"event": "slot", "name": "more_topic", "value": "faq_texting", "timestamp": 2.0},
        {"event": "action", "name": "action_listen", "timestamp": 2.0},
    ]  # fmt: skip


async def fill(senders: int, cap: int) -> dict[str, float]:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.stores.tracker_store import InMemoryEventTrackerStore

    domain = Domain.load(str(config.ROOT / "domain.yml"))
    store = InMemoryEventTrackerStore(domain, max_conversations=cap)
    events = conversation()
    gc.collect()
    start, began = rss_mb(), time.perf_counter()
    for n in range(senders):
        own = [Event.from_parameters(event) for event in events]
        tracker = DialogueStateTracker.from_events(f"rest:{n}", own, domain.slots)
        await store.save(tracker)
    gc.collect()
    return {"kept": len(store.store), "rss": rss_mb(), "grew": rss_mb() - start, "seconds": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", nargs=2, type=int, metavar=("SENDERS", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one measurement, in a fresh process
        print(json.dumps(asyncio.run(fill(*args.one))))
        return
    print("| senders | store | conversations kept | RSS (MB) | grew (MB) |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for cap, label in ((config.max_conversations(), f"capped at {config.max_conversations():,}"), (10**9, "uncapped")):
        for senders in COUNTS:
            out = subprocess.run(
                [sys.executable, "-m", "bench.memory", "--one", str(senders), str(cap)],
                cwd=config.ROOT, capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1]  # fmt: skip
            result = json.loads(out)
            print(f"| {senders:,} | {label} | {result['kept']:,} | {result['rss']:.0f} | {result['grew']:.0f} |")


if __name__ == "__main__":
    main()
