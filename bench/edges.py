"""`python -m bench.edges`: how long a normal question waits while a message of the largest size is parsed.

Starts the real servers (with the serving fixes, then as stock Rasa, whose parse runs
on the event loop), and for each sends one ordinary question alone (the baseline), then
the same question while a message just under the body limit is in flight. Also times
the answer to a body over the limit (413). Prints a markdown table; the figures go to
docs/reliability.md.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bot import config
from bot.content import answers
from tests import servers

ROUNDS = 15
QUESTION = "can I text my therapist between sessions?"


def _post(url: str, body: dict | bytes) -> tuple[float, int]:
    began = time.perf_counter()
    if isinstance(body, bytes):
        r = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=120)
    else:
        r = requests.post(url, json=body, timeout=120)
    return (time.perf_counter() - began) * 1000, r.status_code


def measure(stock: bool) -> dict[str, float]:
    limit = config.max_body_bytes()
    filler = "I keep wondering whether I can text my therapist between sessions when nights are hard. "
    long_text = filler * ((limit - 200) // len(filler))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = answers.build_database(config.answers_source(), workdir / "answers.db")
        env = {"ALLIANCE_STOCK_RASA": "1"} if stock else {}
        pair = servers.start(workdir, db, env=env)
        url = f"{pair.rasa_url}/webhooks/rest/webhook"
        try:
            for n in range(3):  # warm up both paths
                _post(url, {"sender": f"warm{n}", "message": QUESTION})
                _post(url, {"sender": f"warmlong{n}", "message": long_text})
            alone, during, long_ms = [], [], []
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                for n in range(ROUNDS):
                    alone.append(_post(url, {"sender": f"alone{n}", "message": QUESTION})[0])
                    heavy = pool.submit(_post, url, {"sender": f"long{n}", "message": long_text})
                    time.sleep(0.02)  # the long message is in flight
                    during.append(_post(url, {"sender": f"during{n}", "message": QUESTION})[0])
                    long_ms.append(heavy.result()[0])
            over = b'{"sender": "over", "message": "' + b"a" * (limit + 1024) + b'"}'
            over_ms, status = _post(url, over)
        finally:
            pair.stop_all()
    return {
        "alone": statistics.median(alone),
        "during": statistics.median(during),
        "during_max": max(during),
        "long": statistics.median(long_ms),
        "over_ms": over_ms,
        "over_status": status,
    }


def main() -> None:
    print(f"Body limit {config.max_body_bytes():,} bytes; medians of {ROUNDS} rounds, milliseconds.\n")
    print("| server | question alone | question while a max-size message is parsed (median / worst) "
          "| the max-size message | a body over the limit |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: |")
    for stock in (False, True):
        m = measure(stock)
        name = "stock Rasa (parse on the event loop)" if stock else "Alliance"
        print(
            f"| {name} | {m['alone']:.0f} | {m['during']:.0f} / {m['during_max']:.0f} | {m['long']:.0f} "
            f"| {m['over_status']} in {m['over_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
