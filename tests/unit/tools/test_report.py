"""The clinic's report (bot/tools/report.py) against a simulated week whose counts are known (bot/tools/simulate.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
from html import escape
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml

from bot import config
from bot.content import answers
from bot.safety import escalations
from bot.stores import records
from bot.tools import cli, report, simulate

TODAY = dt.datetime.now(dt.timezone.utc).date()
START = TODAY - dt.timedelta(days=6)  # recent enough for the records' retention; the default period exactly
PLANTED = "PLANTED-MESSAGE my therapist said something only I should know"
SCRIPT_TITLE = '<script>alert("title")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> answers.AnswerStore:
    path = answers.build_database(config.answers_source(), tmp_path_factory.mktemp("answers") / "answers.db")
    return answers.AnswerStore(path)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory, store: answers.AnswerStore) -> dict[str, Any]:
    """Seed 7, seven days ending today: the stores, and the counts the simulation says it wrote."""
    folder = tmp_path_factory.mktemp("week")
    paths = {"records": folder / "records.db", "escalations": folder / "escalations.db"}
    known = simulate.simulate(7, 7, paths["records"], paths["escalations"], START, store)
    return {"known": known, **paths}


@pytest.fixture(scope="module")
def figures(week: dict[str, Any], store: answers.AnswerStore) -> dict[str, Any]:
    known = week["known"]
    return report.figures(week["records"], week["escalations"], known["since"], known["until"], store=store)


@pytest.fixture(scope="module")
def page(figures: dict[str, Any]) -> str:
    return report.render(figures)


def _days(known: dict[str, Any]) -> list[str]:
    first, end = dt.date.fromisoformat(known["since"]), dt.date.fromisoformat(known["until"])
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((end - first).days)]


def _expected_flags(known: dict[str, Any], threshold: float = 0.6, least: int = 5) -> list[str]:
    flagged = []
    for topic, v in known["votes"].items():
        count = v["helpful"] + v["not_helpful"]
        if count >= least and v["helpful"] / count < threshold:
            flagged.append(topic)
    return sorted(flagged)


# ------------------------------------------------------------------ the simulation


def test_the_simulated_week_is_plausible(week: dict[str, Any], store: answers.AnswerStore) -> None:
    known = week["known"]
    assert known["since"] == START.isoformat() and len(_days(known)) == 7
    assert set(known["channels"]) == {"rest", "socketio", "slack", "telegram", "cmdline"}
    assert set(known["answered"]) <= {a.topic for a in store.vetted()}
    assert len(known["answered"]) >= 20  # most topics get asked
    assert 0 < sum(known["fallbacks"].values()) < known["turns"] / 3
    assert 1 <= sum(known["escalations"].values()) <= 3 * 7
    for topic in known["weak"]:  # made unpopular on purpose, with enough votes to judge
        v = known["votes"][topic]
        assert v["helpful"] + v["not_helpful"] >= report.MIN_VOTES
        assert v["helpful"] / (v["helpful"] + v["not_helpful"]) < report.THRESHOLD
    assert known["votes"][known["thin"]] == {"helpful": 0, "not_helpful": simulate.THIN_VOTES}
    rows = escalations.rows(week["escalations"])
    assert all(re.fullmatch(r"sim-[0-9a-f]{16}", r["conversation_id"]) for r in rows)
    assert all(known["since"] <= r["at"] < known["until"] for r in rows)  # moved to their simulated times


def test_the_command_prints_the_counts_and_a_seed_repeats_itself(
    week: dict[str, Any], store: answers.AnswerStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("ALLIANCE_ANSWERS_DB", str(store.path))
    args = ["--seed", "7", "--days", "7", "--start", START.isoformat()]
    paths = ["--records", str(tmp_path / "r.db"), "--escalations", str(tmp_path / "e.db")]
    assert simulate.main([*args, *paths]) == 0
    assert json.loads(capsys.readouterr().out) == week["known"]
    strip = [{k: v for k, v in row.items() if k != "id"} for row in escalations.rows(tmp_path / "e.db")]
    assert strip == [{k: v for k, v in row.items() if k != "id"} for row in escalations.rows(week["escalations"])]
    assert records.rows("votes", tmp_path / "r.db") == records.rows("votes", week["records"])
    other = simulate.simulate(8, 7, tmp_path / "r8.db", tmp_path / "e8.db", START, store)
    assert other["answered"] != week["known"]["answered"]


def test_the_simulation_never_writes_into_stores_with_rows(week: dict[str, Any], store: answers.AnswerStore) -> None:
    before = len(records.rows("turns", week["records"]))
    with pytest.raises(ValueError, match="already holds rows"):
        simulate.simulate(7, 7, week["records"], week["escalations"], START, store)
    assert len(records.rows("turns", week["records"])) == before


# ------------------------------------------------------------------ the figures


def test_questions_per_topic_per_day(figures: dict[str, Any], week: dict[str, Any]) -> None:
    known, days = week["known"], _days(week["known"])
    assert figures["days"] == days
    assert set(figures["per_topic_day"]) == set(known["answered"])
    for topic, counts in figures["per_topic_day"].items():
        assert counts == {day: known["answered"][topic].get(day, 0) for day in days}, topic
    totals = [sum(c.values()) for c in figures["per_topic_day"].values()]
    assert totals == sorted(totals, reverse=True)  # the most asked first


def test_fallbacks_and_the_fallback_rate(figures: dict[str, Any], week: dict[str, Any]) -> None:
    known = week["known"]
    assert figures["fallbacks_per_day"] == {day: known["fallbacks"].get(day, 0) for day in _days(known)}
    assert figures["questions"] == known["turns"]
    assert figures["fallbacks"] == sum(known["fallbacks"].values())
    assert figures["answered"] == sum(sum(c.values()) for c in known["answered"].values())
    assert figures["fallback_rate"] == pytest.approx(sum(known["fallbacks"].values()) / known["turns"])


def test_votes_helpful_ratios_and_the_flagged_answers(figures: dict[str, Any], week: dict[str, Any]) -> None:
    known = week["known"]
    got = {a["topic"]: a for a in figures["answers"]}
    assert set(got) == set(known["votes"])
    for topic, v in known["votes"].items():
        assert (got[topic]["helpful"], got[topic]["not_helpful"]) == (v["helpful"], v["not_helpful"]), topic
        assert got[topic]["ratio"] == pytest.approx(v["helpful"] / (v["helpful"] + v["not_helpful"]))
    assert sorted(figures["flagged"]) == _expected_flags(known)
    assert set(known["weak"]) <= set(figures["flagged"])
    assert known["thin"] not in figures["flagged"]  # all "Not helpful", but too few votes to judge


def test_the_threshold_and_the_minimum_of_votes_are_parameters(week: dict[str, Any], store) -> None:
    known = week["known"]
    args = (week["records"], week["escalations"], known["since"], known["until"])
    loose = report.figures(*args, min_votes=1, store=store)
    assert known["thin"] in loose["flagged"] and sorted(loose["flagged"]) == _expected_flags(known, least=1)
    assert report.figures(*args, threshold=0.0, store=store)["flagged"] == []
    strict = report.figures(*args, threshold=0.95, store=store)
    assert sorted(strict["flagged"]) == _expected_flags(known, threshold=0.95)


def test_escalations_per_day_by_level(figures: dict[str, Any], week: dict[str, Any]) -> None:
    known = week["known"]
    assert figures["escalations"]["levels"] == {1: "emergency", 2: "check-in"}
    by_level = known["escalations_by_level"]
    assert figures["escalations"]["per_day"] == {
        day: {level: by_level.get(day, {}).get(str(level), 0) for level in (1, 2)} for day in _days(known)
    }
    assert sum(by_level.get(day, {}).get("2", 0) for day in _days(known)) > 0, "the week has level-2 check-ins"
    assert figures["escalations"]["total"] == sum(known["escalations"].values())


def test_a_level_column_is_counted_by_level(tmp_path: Path, store: answers.AnswerStore) -> None:
    """Each level is counted apart; a row from before levels (no level) counts as 1."""
    day = START.isoformat()
    rows = [{"level": 1}, {"level": 2}, {"level": "2"}, {"level": "emergency"}, {"level": None}]
    db = sqlite_utils.Database(tmp_path / "e.db")
    db["escalations"].insert_all(
        [
            {"at": f"{day}T10:00:0{i}+00:00", "conversation_id": f"c{i}", "channel": "rest", **r}
            for i, r in enumerate(rows)
        ]
    )
    db.close()
    got = report.figures(tmp_path / "r.db", tmp_path / "e.db", START, START + dt.timedelta(days=1), store=store)
    assert got["escalations"]["levels"] == {1: "emergency", 2: "check-in"}
    assert got["escalations"]["per_day"] == {day: {1: 3, 2: 2}}


def test_channels_used(figures: dict[str, Any], week: dict[str, Any]) -> None:
    assert figures["channels"] == week["known"]["channels"]
    assert list(figures["channels"].values()) == sorted(figures["channels"].values(), reverse=True)


def test_the_period_includes_since_and_excludes_until(tmp_path: Path, store: answers.AnswerStore) -> None:
    since, until = START, START + dt.timedelta(days=2)
    times = ["T23:59:59+00:00", "T00:00:00+00:00", "T23:59:59+00:00", "T00:00:00+00:00"]
    days = [since - dt.timedelta(days=1), since, until - dt.timedelta(days=1), until]
    for day, time in zip(days, times, strict=True):
        records.record_turn("rest", "faq_texting", records.ANSWER, at=f"{day}{time}", path=tmp_path / "r.db")
        records.record_vote("rest", "faq_texting", "v", records.HELPFUL, at=f"{day}{time}", path=tmp_path / "r.db")
        db = sqlite_utils.Database(tmp_path / "e.db")
        db["escalations"].insert({"at": f"{day}{time}", "conversation_id": "c", "channel": "rest"})
        db.close()
    got = report.figures(tmp_path / "r.db", tmp_path / "e.db", since, until, store=store)
    assert got["per_topic_day"] == {
        "faq_texting": {since.isoformat(): 1, (until - dt.timedelta(days=1)).isoformat(): 1}
    }
    assert got["answers"][0]["votes"] == 2
    assert got["escalations"]["total"] == 2 and got["channels"] == {"rest": 2}
    with pytest.raises(ValueError, match="empty"):
        report.figures(tmp_path / "r.db", tmp_path / "e.db", since, since, store=store)


# ------------------------------------------------------------------ the page


def test_the_page_stands_alone(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert re.search(r"\b(src|href|srcset|action|data)\s*=", page, re.I) is None
    for outside in ("<script", "<link", "<img", "<iframe", "<object", "url(", "@import", "http:", "https:"):
        assert outside not in page.lower(), outside
    assert page.count("<svg") == 5 and page.count("</svg>") == 5  # days, topics, votes, escalations, channels
    assert page.count("<table") == 5
    assert "holds no message text" in page


def test_the_page_shows_the_period(page: str, week: dict[str, Any], tmp_path: Path, store) -> None:
    assert f"<h1>Alliance report: {report.period_words(week['known']['since'], week['known']['until'])}</h1>" in page
    fixed = report.render(report.figures(tmp_path / "r.db", tmp_path / "e.db", "2025-03-03", "2025-03-10", store=store))
    assert "<h1>Alliance report: March 3 to March 9, 2025</h1>" in fixed
    assert "<title>Alliance report: March 3 to March 9, 2025</title>" in fixed
    assert "No question got an answer in this period." in fixed  # an empty week still renders
    across = report.period_words("2025-12-29", "2026-01-05")
    assert across == "December 29, 2025 to January 4, 2026"


def test_the_page_names_topics_by_their_titles(page: str, week: dict[str, Any], store: answers.AnswerStore) -> None:
    titles = {a.topic: a.title for a in store.vetted()}
    for topic in week["known"]["answered"]:
        assert escape(titles[topic]) in page, topic
    assert "faq_" not in page
    assert "Web chat on your site" in page and "Telegram" in page


def test_the_page_lists_the_flagged_answers_with_their_counts(page: str, figures: dict[str, Any], store) -> None:
    titles = {a.topic: a.title for a in store.vetted()}
    flagged = page.split("<h2>Answers to review</h2>", 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", flagged)
    assert len(items) == len(figures["flagged"]) >= 2
    for item, answer in zip(items, [a for a in figures["answers"] if a["flagged"]], strict=True):
        assert escape(titles[answer["topic"]]) in item
        assert f"{answer['helpful']} helpful, {answer['not_helpful']} not helpful" in item


def test_the_page_escapes_every_name(tmp_path: Path) -> None:
    source = yaml.safe_load(config.answers_source().read_text(encoding="utf-8"))
    source["answers"]["faq_texting"]["title"] = SCRIPT_TITLE
    (tmp_path / "answers.yml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    planted = answers.AnswerStore(answers.build_database(tmp_path / "answers.yml", tmp_path / "answers.db"))
    db = tmp_path / "r.db"
    for i in range(6):
        at = f"{START}T10:00:0{i}+00:00"
        records.record_turn("<i>chan</i>", "faq_texting", records.ANSWER, at=at, path=db)
        records.record_turn("rest", "faq_<u>odd</u>", records.ANSWER, at=at, path=db)  # not in the store: its id
        records.record_vote("rest", "faq_texting", "v", records.NOT_HELPFUL, at=at, path=db)
    html = report.render(report.figures(db, tmp_path / "e.db", START, START + dt.timedelta(days=1), store=planted))
    assert "<script" not in html and "<img" not in html and "<i>" not in html and "<u>" not in html
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &lt;img src=x" in html
    assert "faq_&lt;u&gt;odd&lt;/u&gt;" in html and "&lt;i&gt;chan&lt;/i&gt;" in html
    flagged = html.split("<h2>Answers to review</h2>", 1)[1]
    assert "<strong>&lt;script&gt;" in flagged  # the planted title is flagged, escaped


def test_no_message_text_can_reach_the_page(week: dict[str, Any], page: str, tmp_path: Path, store) -> None:
    """The stores have no column for text; a parse result's text stays out, and the review queue's too."""
    columns = {}
    for path, table in [(week["records"], "turns"), (week["records"], "votes"), (week["escalations"], "escalations")]:
        with sqlite3.connect(path) as conn:
            columns[table] = {row[1] for row in conn.execute(f"pragma table_info([{table}])")}
    assert columns == {
        "turns": {"at", "channel", "topic", "kind"},
        "votes": {"at", "channel", "topic", "version", "vote"},
        "escalations": {"id", "at", "conversation_id", "channel", "layer", "rule", "level", "language", "kind"},
    }
    parse = {"text": PLANTED, "intent": {"name": "crisis"}, "safety": {"layer": "rules", "rule": "kill_self"}}
    escalations.record_parse("sim-planted", "rest", parse, tmp_path / "e.db")
    records.record_turn("rest", None, records.FALLBACK, path=tmp_path / "r.db")
    queue = sqlite_utils.Database(tmp_path / "r.db")  # the review queue (ALLIANCE_KEEP_MISSES) shares the file
    queue["misses"].insert({"at": f"{TODAY}T09:00:00+00:00", "text": PLANTED})
    queue.close()
    # Recorded now: up to the day after today as it is now, in case the run crossed midnight (UTC)
    # since TODAY was read at import.
    until = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    got = report.figures(tmp_path / "r.db", tmp_path / "e.db", TODAY, until, store=store)
    assert got["escalations"]["total"] == 1  # the escalation is counted all the same
    html = report.render(got)
    assert PLANTED not in html and "sim-planted" not in html and "kill_self" not in html
    assert PLANTED.encode() not in (tmp_path / "e.db").read_bytes()  # the parse result's text wasn't written
    ids = [row["conversation_id"] for row in escalations.rows(week["escalations"])]
    assert ids and not any(cid in page for cid in ids)


# ------------------------------------------------------------------ the commands


def test_the_command_writes_the_page(
    week: dict[str, Any], store: answers.AnswerStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("ALLIANCE_ANSWERS_DB", str(store.path))
    known, out = week["known"], tmp_path / "out" / "report.html"
    paths = ["--records", str(week["records"]), "--escalations", str(week["escalations"]), "--out", str(out)]
    assert cli.main(["report", "--since", known["since"], "--until", known["until"], *paths]) == 0
    html = out.read_text(encoding="utf-8")
    assert f"<h1>Alliance report: {report.period_words(known['since'], known['until'])}</h1>" in html
    assert f"<b>{known['turns']}</b><span>questions asked</span>" in html
    assert f"-> {out} ({known['turns']} questions" in capsys.readouterr().out
    assert cli.main(["report", "--since", "2025-03-10", "--until", "2025-03-03", *paths]) == 2


def test_the_command_defaults_to_the_last_seven_days(
    week: dict[str, Any], store: answers.AnswerStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert report.default_period(dt.date(2025, 3, 9)) == (dt.date(2025, 3, 3), dt.date(2025, 3, 10))
    # The command's clock is pinned to the day the week was seeded: a run that crosses midnight (UTC)
    # would otherwise report a week one day later than the one seeded.
    seeded_period = report.default_period
    monkeypatch.setattr(report, "default_period", lambda today=None: seeded_period(today or TODAY))
    monkeypatch.setenv("ALLIANCE_ANSWERS_DB", str(store.path))
    monkeypatch.setenv("ALLIANCE_RECORDS_DB", str(week["records"]))
    monkeypatch.setenv("ALLIANCE_ESCALATIONS_DB", str(week["escalations"]))
    out = tmp_path / "report.html"
    assert cli.main(["report", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert f"<h1>Alliance report: {report.period_words(START, TODAY + dt.timedelta(days=1))}</h1>" in html
    assert f"<b>{week['known']['turns']}</b>" in html  # the simulated week is exactly the default period


def test_make_report_passes_the_period() -> None:
    def dry_run(*args: str) -> str:
        run = subprocess.run(["make", "-n", "report", *args], cwd=config.ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "-m bot report --since 2025-03-01 --until 2025-04-01" in dry_run("SINCE=2025-03-01", "UNTIL=2025-04-01")
    default = [line for line in dry_run().splitlines() if "-m bot report" in line]
    assert len(default) == 1 and "--since" not in default[0] and "--until" not in default[0]
