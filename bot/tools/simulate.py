"""A seeded, made-up stretch of traffic in the report's stores, for tests, demos and the README screenshot.

`python -m bot.tools.simulate --seed 7 --days 7 --records PATH --escalations PATH [--start DATE]`

It writes through the real writers (`records.record_turn`, `records.record_vote`,
`escalations.record`), so the rows are exactly what the bot would write: topics
from the real answer store, five channels, some questions not understood, votes
(two popular answers are made unpopular on purpose, and one rare answer gets a
few bad votes, too few to judge), a few crisis escalations with made-up
conversation ids. No message text exists anywhere in it. It prints, as JSON,
the counts it wrote, which the report's tests check the report against. The same
seed and start give the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import sqlite_utils

from bot import config
from bot.content.answers import AnswerStore
from bot.safety import escalations
from bot.safety.rules import LEVELS, load_rules
from bot.stores import records

CHANNELS = {"socketio": 42, "rest": 20, "telegram": 16, "slack": 12, "cmdline": 10}  # relative weights
LAYERS = {"rules": 50, "classifier+rules": 30, "classifier": 15, "payload": 5}
HOURS = [1, 1, 0, 0, 0, 1, 2, 3, 5, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 3]  # questions by hour of day
FALLBACK_SHARE = 0.12
VOTE_SHARE = 0.4
WEAK_HELPFUL = 0.4  # the chance of "Helpful" for the two answers made unpopular on purpose
THIN_VOTES = 3  # the rare answer's "Not helpful" votes: fewer than the report's 5 needed to judge


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _time(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choices(range(24), weights=HOURS)[0]
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)
    return start + dt.timedelta(seconds=rng.randrange(3600))


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _empty(records_db: Path, escalations_db: Path) -> bool:
    """Whether neither store holds rows: the simulation never mixes made-up rows into real ones."""
    return not (records.rows("turns", records_db) or records.rows("votes", records_db)) and not escalations.rows(
        escalations_db
    )


def simulate(
    seed: int,
    days: int,
    records_db: Path,
    escalations_db: Path,
    start: dt.date | None = None,
    store: AnswerStore | None = None,
) -> dict[str, Any]:
    """Write `days` days of made-up traffic from `start` (default: ending today) and return its counts."""
    if days < 1:
        raise ValueError("--days must be 1 or more")
    start = start or dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1)
    oldest = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=config.records_days() - 1)
    if start < oldest:
        raise ValueError(f"{start} is older than the records keep rows ({config.records_days()} days)")
    if not _empty(records_db, escalations_db):
        raise ValueError(f"{records_db} or {escalations_db} already holds rows: give new files")
    answers = (store or AnswerStore()).vetted()
    if len(answers) < 6:
        raise ValueError("the answer store has too few vetted topics: run `make answers`")
    rng = random.Random(seed)
    order = rng.sample(answers, len(answers))  # popularity order, most asked first
    popularity = {a.topic: 1 / (rank + 1) ** 0.9 for rank, a in enumerate(order[:-1])}
    weak = [order[1].topic, order[3].topic]
    thin = order[-1]  # asked only a few times, in the thin_votes turns below
    helpful = {t: WEAK_HELPFUL if t in weak else rng.uniform(0.75, 0.95) for t in popularity}
    version = {a.topic: records.answer_version(a.reviewed, a.short, a.more) for a in answers}
    crisis_rules = load_rules()
    rules = [(f"{tier}.{group}", level) for tier, level in LEVELS.items() for group in crisis_rules.get(tier) or ()]

    turns: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    crises: list[dict[str, Any]] = []
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    for day in dates:
        count = (44 if day.weekday() < 5 else 28) + rng.randint(-6, 6)
        for _ in range(count):
            at, channel = _time(rng, day), _pick(rng, CHANNELS)
            if rng.random() < FALLBACK_SHARE:
                turns.append({"at": at, "channel": channel, "topic": None, "kind": records.FALLBACK})
                continue
            topic = _pick(rng, popularity)
            turns.append({"at": at, "channel": channel, "topic": topic, "kind": records.ANSWER})
            if rng.random() < VOTE_SHARE:
                vote = records.HELPFUL if rng.random() < helpful[topic] else records.NOT_HELPFUL
                later = min(at + dt.timedelta(seconds=rng.randint(20, 240)), at.replace(hour=23, minute=59, second=59))
                votes.append({"at": later, "channel": channel, "topic": topic, "vote": vote})
        # Emergencies (level 1) on most days; check-ins (level 2), which only rules grade, on some.
        levels = [1] * rng.choices([0, 1, 2, 3], weights=[30, 40, 22, 8])[0]
        levels += [2] * rng.choices([0, 1, 2], weights=[40, 45, 15])[0]
        for level in levels:
            layer = _pick(rng, LAYERS) if level == 1 else _pick(rng, {"rules": 60, "classifier+rules": 40})
            rule = rng.choice([r for r, lv in rules if lv == level]) if "rules" in layer else None
            crises.append(
                {
                    "at": _time(rng, day),
                    "conversation_id": f"sim-{rng.getrandbits(64):016x}",
                    "channel": _pick(rng, CHANNELS),
                    "layer": layer,
                    "rule": rule,
                    "level": level,
                }
            )
    for day in sorted(rng.sample(dates, min(THIN_VOTES, len(dates)))):
        at, channel = _time(rng, day), _pick(rng, CHANNELS)
        turns.append({"at": at, "channel": channel, "topic": thin.topic, "kind": records.ANSWER})
        votes.append(
            {"at": at + dt.timedelta(seconds=5), "channel": channel, "topic": thin.topic, "vote": records.NOT_HELPFUL}
        )

    for turn in sorted(turns, key=lambda t: t["at"]):
        records.record_turn(turn["channel"], turn["topic"], turn["kind"], at=_stamp(turn["at"]), path=records_db)
    for vote in sorted(votes, key=lambda v: v["at"]):
        records.record_vote(
            vote["channel"], vote["topic"], version[vote["topic"]], vote["vote"], _stamp(vote["at"]), records_db
        )
    for crisis in sorted(crises, key=lambda c: c["at"]):
        escalations.record(
            crisis["conversation_id"], crisis["channel"], crisis["layer"], crisis["rule"], escalations_db,
            level=crisis["level"],
        )
        _move_last_escalation(escalations_db, _stamp(crisis["at"]))
    return _counts(seed, dates, turns, votes, crises, weak, thin.topic)


def _move_last_escalation(path: Path, at: str) -> None:
    """Give the row just written its simulated time (`escalations.record` stamps the present)."""
    db = sqlite_utils.Database(path)
    try:
        db.execute("update escalations set at = ? where id = (select max(id) from escalations)", [at])
        db.conn.commit()
    finally:
        db.close()


def _counts(
    seed: int,
    dates: list[dt.date],
    turns: list[dict[str, Any]],
    votes: list[dict[str, Any]],
    crises: list[dict[str, Any]],
    weak: list[str],
    thin: str,
) -> dict[str, Any]:
    """What was written, counted straight from the generated rows (not from the stores)."""
    answered: dict[str, Counter[str]] = {}
    for t in turns:
        if t["kind"] == records.ANSWER:
            answered.setdefault(t["topic"], Counter())[t["at"].date().isoformat()] += 1
    tally: dict[str, Counter[str]] = {}
    for v in votes:
        tally.setdefault(v["topic"], Counter())[v["vote"]] += 1
    return {
        "seed": seed,
        "since": dates[0].isoformat(),
        "until": (dates[-1] + dt.timedelta(days=1)).isoformat(),
        "turns": len(turns),
        "answered": {topic: dict(sorted(c.items())) for topic, c in sorted(answered.items())},
        "fallbacks": dict(
            sorted(Counter(t["at"].date().isoformat() for t in turns if t["kind"] == records.FALLBACK).items())
        ),
        "channels": dict(sorted(Counter(t["channel"] for t in turns).items())),
        "votes": {
            topic: {records.HELPFUL: c[records.HELPFUL], records.NOT_HELPFUL: c[records.NOT_HELPFUL]}
            for topic, c in sorted(tally.items())
        },
        "weak": weak,
        "thin": thin,
        "escalations": dict(sorted(Counter(c["at"].date().isoformat() for c in crises).items())),
        "escalations_by_level": {
            day: dict(sorted(Counter(str(c["level"]) for c in crises if c["at"].date().isoformat() == day).items()))
            for day in sorted({c["at"].date().isoformat() for c in crises})
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--records", type=Path, required=True, help="a new records file (never var/records.db)")
    parser.add_argument("--escalations", type=Path, required=True, help="a new escalations file")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None, help="first day (default: ending today)")
    args = parser.parse_args(argv)
    logging.getLogger(escalations.__name__).setLevel(logging.ERROR)  # made-up escalations need no warning
    try:
        counts = simulate(args.seed, args.days, args.records, args.escalations, args.start)
    except ValueError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
