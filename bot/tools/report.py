"""The report for a clinic (`alliance report`, `make report`): what Alliance did in a period, as one page.

`figures` counts what the private records hold (bot/stores/records.py: turns and
votes; bot/safety/escalations.py: crisis escalations) for the days [since, until);
`render` turns those counts into one self-contained HTML page with inline SVG
charts (bot/tools/charts.py). The records hold no message text, so neither can
the page. Days are UTC days, as the records' times are.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from bot import config
from bot.content.answers import AnswerStore
from bot.safety import escalations
from bot.stores import records
from bot.tools import charts

THRESHOLD = 0.6  # an answer with a smaller share of "Helpful" votes is flagged for review...
MIN_VOTES = 5  # ...once it has at least this many votes
DAYS = 7  # the default period: the last seven days, today included
# Levels of crisis escalation (bot/safety/rules.py): rows recorded before levels are level 1.
LEVELS = {1: "emergency", 2: "check-in"}
CHANNELS = {
    "socketio": "Web chat on your site",
    "rest": "Website or app (REST)",
    "slack": "Slack",
    "telegram": "Telegram",
    "cmdline": "Command line (staff testing)",
    "unknown": "Unknown",
}
BLUE, ORANGE, RED, GRAY, TEAL = "#2f6db5", "#d9792b", "#b8322a", "#8a96a3", "#2a8a7e"
LEVEL_COLORS = (RED, "#e0a030", "#7a4fa0", GRAY)
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last `DAYS` days, today included: (first day, the day after the last)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    return today - dt.timedelta(days=DAYS - 1), today + dt.timedelta(days=1)


def _level(row: dict[str, Any]) -> int | str:
    """An escalation's level: its `level` column when the record has one, else 1 (emergency)."""
    value = row.get("level")
    if value is None or value == "":
        return 1
    try:
        return int(value)
    except (TypeError, ValueError):
        names = {name: number for number, name in LEVELS.items()}
        return names.get(str(value).strip().lower(), str(value))


def _level_order(level: int | str) -> tuple[int, str]:
    return (0, f"{level:09d}") if isinstance(level, int) else (1, level)


def figures(
    records_db: Path | str,
    escalations_db: Path | str,
    since: dt.date | str,
    until: dt.date | str,
    threshold: float = THRESHOLD,
    min_votes: int = MIN_VOTES,
    store: AnswerStore | None = None,
) -> dict[str, Any]:
    """Every number the report shows, for the days [since, until), as plain data (JSON-ready but for int keys).

    Answered questions are counted per topic and day, questions not understood
    (fallbacks) per day; the fallback rate is fallbacks over all questions. An
    answer is flagged when at least `min_votes` people voted and the share of
    "Helpful" is below `threshold`. Escalations are counted per day and level.
    """
    first, end = _date(since), _date(until)
    if end <= first:
        raise ValueError(f"the period is empty: {first} is not before {end}")
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((end - first).days)]
    lo, hi = first.isoformat(), end.isoformat()
    turns = records.between(records.rows("turns", Path(records_db)), lo, hi)
    votes = records.between(records.rows("votes", Path(records_db)), lo, hi)
    crises = records.between(escalations.rows(Path(escalations_db)), lo, hi)

    answered = [t for t in turns if t["kind"] == records.ANSWER]
    fallbacks = [t for t in turns if t["kind"] == records.FALLBACK]
    per_topic: dict[str, dict[str, int]] = {}
    for turn in answered:
        topic = turn["topic"] or "unknown"
        per_topic.setdefault(topic, dict.fromkeys(days, 0))[turn["at"][:10]] += 1
    per_topic = dict(sorted(per_topic.items(), key=lambda item: (-sum(item[1].values()), item[0])))
    fallbacks_per_day = dict.fromkeys(days, 0) | Counter(t["at"][:10] for t in fallbacks)

    tally: dict[str, dict[str, Any]] = {}
    for vote in votes:
        entry = tally.setdefault(vote["topic"], {"helpful": 0, "not_helpful": 0, "versions": set()})
        entry["helpful" if vote["vote"] == records.HELPFUL else "not_helpful"] += 1
        entry["versions"].add(vote["version"])
    answers = []
    for topic, entry in tally.items():
        count = entry["helpful"] + entry["not_helpful"]
        ratio = entry["helpful"] / count
        answers.append(
            {
                "topic": topic,
                "helpful": entry["helpful"],
                "not_helpful": entry["not_helpful"],
                "votes": count,
                "ratio": ratio,
                "versions": len(entry["versions"]),
                "flagged": count >= min_votes and ratio < threshold,
            }
        )
    # Answers to review first, then the others judged, worst first; the ones with too few votes last.
    answers.sort(key=lambda a: (not a["flagged"], a["votes"] < min_votes, a["ratio"], -a["votes"], a["topic"]))

    levels = sorted({_level(row) for row in crises} | set(LEVELS), key=_level_order)
    per_day = {day: dict.fromkeys(levels, 0) for day in days}
    for row in crises:
        per_day[row["at"][:10]][_level(row)] += 1

    channels = Counter(t["channel"] for t in turns)
    titles = {a.topic: a.title for a in (store or AnswerStore()).vetted()}
    shown = set(per_topic) | set(tally)
    return {
        "since": lo,
        "until": hi,
        "days": days,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
        "kept_days": config.records_days(),
        "titles": {topic: titles.get(topic, topic) for topic in sorted(shown)},
        "questions": len(turns),
        "answered": len(answered),
        "fallbacks": len(fallbacks),
        "fallback_rate": len(fallbacks) / len(turns) if turns else None,
        "per_topic_day": per_topic,
        "fallbacks_per_day": fallbacks_per_day,
        "answers": answers,
        "flagged": [a["topic"] for a in answers if a["flagged"]],
        "threshold": threshold,
        "min_votes": min_votes,
        "escalations": {
            "levels": {lv: LEVELS.get(lv, f"level {lv}") if isinstance(lv, int) else lv for lv in levels},
            "per_day": per_day,
            "total": len(crises),
        },
        "channels": dict(sorted(channels.items(), key=lambda item: (-item[1], item[0]))),
    }


# ------------------------------------------------------------------ the page


def date_words(day: dt.date | str) -> str:
    """A date as a US reader writes it: "March 3, 2025"."""
    d = _date(day)
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def period_words(since: str, until: str) -> str:
    """The period's first and last day: "March 3 to March 9, 2025" (until is the day after the last)."""
    first, last = _date(since), _date(until) - dt.timedelta(days=1)
    if first == last:
        return date_words(first)
    if first.year == last.year:
        return f"{MONTHS[first.month - 1]} {first.day} to {date_words(last)}"
    return f"{date_words(first)} to {date_words(last)}"


def _day_labels(days: list[str]) -> list[tuple[str, str]]:
    return [(WEEKDAYS[d.weekday()], f"{MONTHS[d.month - 1][:3]} {d.day}") for d in map(_date, days)]


def _percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.0%}"


def _glance(f: dict[str, Any]) -> str:
    votes = sum(a["votes"] for a in f["answers"])
    helpful = sum(a["helpful"] for a in f["answers"])
    tiles = [
        (f["questions"], "questions asked"),
        (f["answered"], "answered"),
        (f"{f['fallbacks']} ({_percent(f['fallback_rate'])})", "not understood"),
        (votes, f"votes on answers, {_percent(helpful / votes if votes else None)} helpful"),
        (len(f["flagged"]), "answers to review"),
        (f["escalations"]["total"], "crisis escalations"),
    ]
    cells = "".join(f'<div class="tile"><b>{escape(str(n))}</b><span>{escape(t)}</span></div>' for n, t in tiles)
    return f'<section><h2>At a glance</h2><div class="tiles">{cells}</div></section>'


def _daily(f: dict[str, Any]) -> str:
    days, labels = f["days"], _day_labels(f["days"])
    answered = [sum(counts[day] for counts in f["per_topic_day"].values()) for day in days]
    missed = [f["fallbacks_per_day"][day] for day in days]
    chart = charts.columns(
        labels,
        [charts.Series("Answered", BLUE, answered), charts.Series("Not understood", ORANGE, missed)],
        "Questions each day: answered and not understood",
    )
    rows = [
        [f"{a} {b}", n, m, n + m, _percent(m / (n + m) if n + m else None)]
        for (a, b), n, m in zip(labels, answered, missed, strict=True)
    ]
    total = ["Total", f["answered"], f["fallbacks"], f["questions"], _percent(f["fallback_rate"])]
    table = charts.table(
        "Questions each day", ["Day", "Answered", "Not\nunderstood", "All", "Not\nunderstood %"], rows, total
    )
    intro = (
        'Every question people asked, by day. "Not understood" means Alliance had no answer that fit and '
        "offered its best guesses or its list of topics instead: "
        f"{_percent(f['fallback_rate'])} of all questions in this period."
    )
    return charts.section("Questions each day", intro, charts.pair(chart, table))


def _topics(f: dict[str, Any]) -> str:
    per_topic, titles = f["per_topic_day"], f["titles"]
    if not per_topic:
        return charts.section("Questions by topic", "No question got an answer in this period.")
    totals = {topic: sum(counts.values()) for topic, counts in per_topic.items()}
    chart = charts.bars(
        [charts.Bar(titles.get(t, t), n, BLUE, str(n)) for t, n in totals.items()],
        "Answered questions by topic",
        width=420,
    )
    headers = ["Topic", *(b.replace(" ", "\n") for _, b in _day_labels(f["days"])), "Total"]
    rows = [[titles.get(t, t), *counts.values(), totals[t]] for t, counts in per_topic.items()]
    intro = "Which answers people got, the most asked first. The table gives the count for each day."
    return charts.section(
        "Questions by topic", intro, charts.pair(chart, charts.table("Answered questions by topic", headers, rows))
    )


def _votes(f: dict[str, Any]) -> str:
    threshold, least, titles = f["threshold"], f["min_votes"], f["titles"]
    if not f["answers"]:
        return charts.section("Were the answers helpful?", "Nobody voted on an answer in this period.")
    rows, bars = [], []
    for a in f["answers"]:
        title = titles.get(a["topic"], a["topic"])
        judged = a["votes"] >= least
        rows.append([title, a["helpful"], a["not_helpful"], _percent(a["ratio"]), _status(a, least)])
        if judged:
            note = f"{a['ratio']:.0%} of {a['votes']}" + (", review" if a["flagged"] else "")
            bars.append(charts.Bar(title, a["ratio"], RED if a["flagged"] else TEAL, note))
    table = charts.table("Votes by answer", ["Answer", "Helpful", "Not\nhelpful", "Helpful\n%", "Status"], rows)
    intro = (
        'After an answer, people can press "Helpful" or "Not helpful". The chart shows the answers with at '
        f"least {least} votes: each bar is the share of Helpful votes, and the dashed line is {threshold:.0%}. "
        "An answer below the line is marked for review (red). The table lists every answer that got a vote."
    )
    if not bars:
        return charts.section("Were the answers helpful?", intro, f"<p>No answer has {least} votes yet.</p>", table)
    title = f"Share of Helpful votes, answers with at least {least} votes"
    chart = charts.bars(bars, title, top_value=1, mark=(threshold, f"{threshold:.0%}"), percent=True)
    return charts.section("Were the answers helpful?", intro, charts.pair(chart, table))


def _status(answer: dict[str, Any], least: int) -> str:
    if answer["flagged"]:
        return "review"
    return "ok" if answer["votes"] >= least else "too few votes"


def _flagged(f: dict[str, Any]) -> str:
    threshold, least, titles = f["threshold"], f["min_votes"], f["titles"]
    flagged = [a for a in f["answers"] if a["flagged"]]
    if not flagged:
        return charts.section("Answers to review", f"No answer had fewer than {threshold:.0%} Helpful votes.")
    items = []
    for a in flagged:
        changed = " Its text changed during the period: the votes cover both versions." if a["versions"] > 1 else ""
        items.append(
            f"<li><strong>{escape(titles.get(a['topic'], a['topic']))}</strong>: {a['helpful']} helpful, "
            f"{a['not_helpful']} not helpful ({a['ratio']:.0%} helpful of {a['votes']} votes).{escape(changed)}</li>"
        )
    intro = (
        f"These answers got fewer than {threshold:.0%} Helpful votes, from at least {least} votes each. "
        "Ask the person who reviews the answers to read them again."
    )
    return charts.section("Answers to review", intro, f"<ul class='flagged'>{''.join(items)}</ul>")


def _crises(f: dict[str, Any]) -> str:
    levels, per_day = f["escalations"]["levels"], f["escalations"]["per_day"]
    labels = _day_labels(f["days"])
    names = {level: f"Level {level}: {name}" for level, name in levels.items()}
    series = [
        charts.Series(names[level], LEVEL_COLORS[min(i, len(LEVEL_COLORS) - 1)], [per_day[d][level] for d in f["days"]])
        for i, level in enumerate(levels)
    ]
    chart = charts.columns(labels, series, "Crisis escalations each day, by level")
    rows = [
        [f"{a} {b}", *per_day[d].values(), sum(per_day[d].values())]
        for (a, b), d in zip(labels, f["days"], strict=True)
    ]
    total = ["Total", *(sum(per_day[d][lv] for d in f["days"]) for lv in levels), f["escalations"]["total"]]
    table = charts.table("Crisis escalations each day", ["Day", *names.values(), "All"], rows, total)
    intro = (
        "Each time a message showed signs of danger, Alliance answered at once: with the emergency numbers "
        "for immediate danger (level 1), or by asking whether the person is safe and naming the crisis line "
        "(level 2). These are counts only: the record keeps no words and no names."
    )
    return charts.section("Crisis escalations", intro, charts.pair(chart, table))


def _channels(f: dict[str, Any]) -> str:
    channels, total = f["channels"], f["questions"]
    if not channels:
        return charts.section("Where people asked", "No questions in this period.")
    named = {CHANNELS.get(c, c): n for c, n in channels.items()}
    chart = charts.bars(
        [charts.Bar(name, n, BLUE, f"{n} ({n / total:.0%})") for name, n in named.items()], "Questions by channel"
    )
    rows = [[name, n, _percent(n / total)] for name, n in named.items()]
    table = charts.table("Questions by channel", ["Channel", "Questions", "Share"], rows, ["Total", total, "100%"])
    intro = "The places people asked their questions: the chat on your website, apps, Slack, Telegram."
    return charts.section("Where people asked", intro, charts.pair(chart, table))


def _about(f: dict[str, Any]) -> str:
    text = (
        "This report holds no message text. It is made only from counts that Alliance keeps: when a question "
        "was asked, where, which answer it got (or that none fit), the Helpful and Not helpful votes, and when "
        "the emergency numbers were shown. Nothing in it shows who asked or what anyone wrote. "
        f"Days run midnight to midnight UTC. Alliance keeps these counts for {f['kept_days']} days. "
        f"Made on {date_words(f['generated'])} with the command alliance report."
    )
    return f"<section><h2>About this report</h2><p class='privacy'>{escape(text)}</p></section>"


def render(f: dict[str, Any]) -> str:
    """One self-contained HTML page of the figures: inline CSS and SVG, nothing loaded from elsewhere."""
    period = period_words(f["since"], f["until"])
    days = len(f["days"])
    body = [
        f"<h1>Alliance report: {escape(period)}</h1>",
        f"<p class='sub'>What the Alliance chat assistant did in these {days} day{'s' * (days != 1)}.</p>",
        _glance(f),
        _daily(f),
        _topics(f),
        _votes(f),
        _flagged(f),
        _crises(f),
        _channels(f),
        _about(f),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Alliance report: {escape(period)}</title>\n<style>{charts.STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write(
    out: Path,
    records_db: Path,
    escalations_db: Path,
    since: dt.date | None = None,
    until: dt.date | None = None,
    threshold: float = THRESHOLD,
    min_votes: int = MIN_VOTES,
) -> dict[str, Any]:
    """Write the page for a period (by default the last `DAYS` days; one date given, the other follows)."""
    if since is None and until is None:
        since, until = default_period()
    elif since is None:
        since = until - dt.timedelta(days=DAYS)  # type: ignore[operator]
    elif until is None:
        until = max(default_period()[1], since + dt.timedelta(days=1))
    data = figures(records_db, escalations_db, since, until, threshold, min_votes)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    return data
