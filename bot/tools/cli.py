"""Alliance's command line: `alliance COMMAND` or `python -m bot COMMAND` (the Makefile uses it)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

from bot import config
from bot.content import answers
from bot.nlu import spacy_pipeline
from bot.tools import chat

logger = logging.getLogger(__name__)


def _build_answers(args: argparse.Namespace) -> int:
    try:
        path = answers.build_database(args.source, args.target)
    except answers.AnswerSourceError as exc:
        print(f"answers: {exc}", file=sys.stderr)
        return 1
    store = answers.AnswerStore(path)
    print(f"answers: built {path} ({len(store.vetted())} vetted topics)")
    return 0


def _build_spacy(args: argparse.Namespace) -> int:
    for path in spacy_pipeline.build_all():
        print(f"spacy: built {path}")
    return 0


def _credentials(args: argparse.Namespace) -> int:
    """Write the channels' credentials from the environment (Slack/Telegram only when set)."""
    channels = config.channel_credentials()
    args.target.parent.mkdir(parents=True, exist_ok=True)
    args.target.write_text(config.credentials_yaml(channels), encoding="utf-8")
    print(f"channels: {', '.join(channels)} -> {args.target}")
    return 0


def _chat(args: argparse.Namespace) -> int:
    """Talk to the bot in this terminal; the action server and the shell end together (bot/tools/chat.py)."""
    return chat.chat(args.model.resolve(), args.endpoints.resolve(), args.actions_port, args.rasa_port)


def _show(args: argparse.Namespace) -> int:
    """Print what the bot would answer for a topic: how a reviewer checks an edit."""
    from bot.content import replies

    reply = replies.answer_topic(answers.AnswerStore(), args.topic)
    for message in reply.messages:
        print(message["text"])
        for b in message.get("buttons", []):
            print(f"  [{b['title']}] {b['payload']}")
    return 0


def _review(args: argparse.Namespace) -> int:
    """Walk the queue of missed questions: train, dismiss or delete each one (bot/tools/review.py)."""
    from bot.tools import review

    review.review(path=args.db, nlu_file=args.nlu, domain_file=args.domain)
    return 0


def _report(args: argparse.Namespace) -> int:
    """Write the clinic's report page for a period: counts only, never message text (bot/tools/report.py)."""
    from bot.tools import report

    try:
        data = report.write(
            args.out,
            args.records or config.records_db(),
            args.escalations or config.escalations_db(),
            args.since,
            args.until,
            report.THRESHOLD if args.threshold is None else args.threshold,
            report.MIN_VOTES if args.min_votes is None else args.min_votes,
        )
    except ValueError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    period = report.period_words(data["since"], data["until"])
    print(
        f"report: {period} -> {args.out} ({data['questions']} questions, {len(data['flagged'])} answers to review, "
        f"{data['escalations']['total']} crisis escalations)"
    )
    return 0


def purge_server() -> str:
    return os.environ.get("ALLIANCE_SERVER_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"


def _purge(args: argparse.Namespace) -> int:
    from bot.tools import purge

    redis_url = args.redis_url or (config.redis_url() if config.shared_redis() else None)
    erased = purge.purge(args.conversation, args.server, config.api_token(), redis_url, escalations_db=args.escalations)
    print(erased.summary())
    if not erased.tracker and not redis_url:
        print(
            "The tracker was not erased: no server answered and no Redis is configured. A conversation kept in a "
            "server's memory is forgotten when it has been idle for the session expiry, or when the server stops."
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alliance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build-answers", help="validate data/answers.yml and build the SQLite answer store")
    p.add_argument("--source", type=Path, default=None)
    p.add_argument("--target", type=Path, default=None)
    p.set_defaults(func=_build_answers)
    p = sub.add_parser("build-spacy", help="build the blank English and Spanish spaCy pipelines and word lists")
    p.set_defaults(func=_build_spacy)
    p = sub.add_parser("credentials", help="write channel credentials from the environment")
    p.add_argument("--target", type=Path, default=config.BUILD_DIR / "credentials.yml")
    p.set_defaults(func=_credentials)
    p = sub.add_parser("chat", help="talk to the bot here: the action server and Rasa's shell, ended together")
    p.add_argument("--model", type=Path, default=chat.DEFAULT_MODEL)
    p.add_argument("--endpoints", type=Path, default=chat.DEFAULT_ENDPOINTS)
    p.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", chat.DEFAULT_ACTIONS_PORT)))
    p.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", chat.DEFAULT_RASA_PORT)))
    p.set_defaults(func=_chat)
    p = sub.add_parser("show", help="print the reply a topic gets, from the built store")
    p.add_argument("topic")
    p.set_defaults(func=_show)
    p = sub.add_parser("review", help="review the questions it missed, redacted (kept only with ALLIANCE_KEEP_MISSES)")
    p.add_argument("--db", type=Path, default=None, help="the queue (default: ALLIANCE_RECORDS_DB)")
    p.add_argument("--nlu", type=Path, default=config.DATA_DIR / "nlu.yml", help="where trained examples go")
    p.add_argument("--domain", type=Path, default=config.ROOT / "domain.yml", help="the intents to choose from")
    p.set_defaults(func=_review)
    p = sub.add_parser("report", help="write the report page for a clinic: counts of questions, votes, escalations")
    p.add_argument("--since", type=dt.date.fromisoformat, help="first day, YYYY-MM-DD (default: 6 days ago)")
    p.add_argument("--until", type=dt.date.fromisoformat, help="the day after the last one (default: tomorrow)")
    p.add_argument("--records", type=Path, default=None, help="the records (default: ALLIANCE_RECORDS_DB)")
    p.add_argument("--escalations", type=Path, default=None, help="the escalations (default: ALLIANCE_ESCALATIONS_DB)")
    p.add_argument("--out", type=Path, default=config.BUILD_DIR / "report.html", help="(default: build/report.html)")
    p.add_argument("--threshold", type=float, help="flag answers whose share of Helpful is below this (0.6)")
    p.add_argument("--min-votes", type=int, help="judge only answers with at least this many votes (5)")
    p.set_defaults(func=_report)
    p = sub.add_parser("purge", help="erase one conversation everywhere: tracker store, Redis, escalation record")
    p.add_argument("conversation", help="the conversation id, with its channel: telegram:12345, rest:abc")
    p.add_argument("--server", default=purge_server(), help="the running Rasa server (default: ALLIANCE_SERVER_URL)")
    p.add_argument("--redis-url", default=None, help="also delete its Redis keys here (default: ALLIANCE_REDIS_URL)")
    p.add_argument("--escalations", type=Path, default=None, help="(default: ALLIANCE_ESCALATIONS_DB)")
    p.set_defaults(func=_purge)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
