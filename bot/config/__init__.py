"""Every setting Alliance reads, from environment variables with safe offline defaults.

Read lazily through functions so importing this module has no side effects and
tests can change the environment per test.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from bot.config.regions import EMERGENCY_PRESETS, REGION_ALIASES, Emergency, known_regions

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
BUILD_DIR = ROOT / "build"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
EVAL_FILE = ROOT.parent / "shared" / "eval" / "dev.yml"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else default


def answers_source() -> Path:
    """The reviewed answer file that `answers.db` is built from."""
    return _path("ALLIANCE_ANSWERS_YML", DATA_DIR / "answers.yml")


def answers_db() -> Path:
    """The SQLite answer store the actions read."""
    return _path("ALLIANCE_ANSWERS_DB", BUILD_DIR / "answers.db")


def spacy_model_dir(language: str = "en") -> Path:
    """The blank spaCy pipeline (lookup lemmatizer) built at set-up: English, or Spanish for its crisis rules."""
    if language != "en":
        return BUILD_DIR / f"spacy_{language}"
    return _path("ALLIANCE_SPACY_MODEL", BUILD_DIR / "spacy_en")


def word_lists_file() -> Path:
    """English and Spanish word frequencies, built at set-up, that tell the two languages apart."""
    return BUILD_DIR / "words_en_es.json"


def crisis_threshold() -> float | None:
    """`ALLIANCE_CRISIS_THRESHOLD`: overrides config.yml's calibrated floor for a classifier-only crisis."""
    value = os.environ.get("ALLIANCE_CRISIS_THRESHOLD", "").strip()
    return float(value) if value else None


def stock_rasa() -> bool:
    """`ALLIANCE_STOCK_RASA=1`: run as stock Rasa, without the serving fixes (bot/serving/guard.py)."""
    return os.environ.get("ALLIANCE_STOCK_RASA", "").strip().lower() in ("1", "true", "yes")


def fallback_suggestions() -> int:
    """How many candidate topics a "Did you mean...?" offers."""
    return int(os.environ.get("ALLIANCE_SUGGESTIONS", "4"))


def suggestion_floor() -> float:
    """The NLU confidence below which a topic is too unlikely to suggest (chosen on blind set A: docs/nlu.md)."""
    return float(os.environ.get("ALLIANCE_SUGGESTION_FLOOR", "0.05"))


def related_buttons() -> int:
    """How many related-topic buttons follow an answer."""
    return int(os.environ.get("ALLIANCE_RELATED", "3"))


def records_db() -> Path:
    """What the report reads: turns, votes and, when opted in, the review queue (never other text)."""
    return _path("ALLIANCE_RECORDS_DB", ROOT / "var" / "records.db")


def records_days() -> int:
    """How many days turns and votes are kept."""
    return int(os.environ.get("ALLIANCE_RECORDS_DAYS", "365"))


def keep_misses() -> bool:
    """`ALLIANCE_KEEP_MISSES=true`: keep the redacted text of questions the bot missed, for review."""
    return os.environ.get("ALLIANCE_KEEP_MISSES", "").strip().lower() in ("1", "true", "yes")


def misses_days() -> int:
    """How many days a kept question waits for review before it is deleted unread."""
    return int(os.environ.get("ALLIANCE_MISSES_DAYS", "30"))


def escalations_db() -> Path:
    """Where crisis escalations are recorded (time, conversation, channel, layer; never text)."""
    return _path("ALLIANCE_ESCALATIONS_DB", ROOT / "var" / "escalations.db")


def emergency() -> Emergency:
    """The region's preset (ALLIANCE_REGION, default US, any case), each field overridable.

    An unknown region is an error, never another region's numbers: the Rasa server
    (bot/content/nlg.py, bot/channels/widget.py) and the action server
    (actions/actions.py) call this at start, so a typo stops them there.
    """
    given = os.environ.get("ALLIANCE_REGION", "").strip()
    code = REGION_ALIASES.get(given.upper(), given.upper()) or "US"
    preset = EMERGENCY_PRESETS.get(code)
    if preset is None:
        raise ValueError(
            f"ALLIANCE_REGION={given!r} is not a region Alliance knows. "
            f"Known regions: {known_regions()}. See docs/configuration.md."
        )
    env = os.environ.get
    return Emergency(
        region=code,
        number_display=env("ALLIANCE_EMERGENCY_NUMBER") or preset.number_display,
        line_display=env("ALLIANCE_CRISIS_LINE") or preset.line_display,
        line_sentence=env("ALLIANCE_CRISIS_LINE_SENTENCE") or preset.line_sentence,
        text_display=env("ALLIANCE_CRISIS_TEXT_NUMBER") or preset.text_display,
        text_sentence=env("ALLIANCE_CRISIS_TEXT_SENTENCE") or preset.text_sentence,
        emergency_room=env("ALLIANCE_EMERGENCY_ROOM") or preset.emergency_room,
        licensing_body=env("ALLIANCE_LICENSING_BODY") or preset.licensing_body,
        support=preset.support,
    )


DEFAULT_REDIS_URL = "redis://localhost:6379/0"


def redis_url() -> str:
    """`ALLIANCE_REDIS_URL`: the Redis of endpoints.redis.yml, with password (`redis://:pw@host`) or TLS (`rediss://`)."""
    return os.environ.get("ALLIANCE_REDIS_URL", "").strip() or DEFAULT_REDIS_URL


def redis_prefix() -> str:
    """`ALLIANCE_REDIS_PREFIX`: letters and digits only, or Rasa ignores it."""
    return os.environ.get("ALLIANCE_REDIS_PREFIX", "").strip() or "alliance"


@dataclass(frozen=True)
class SharedRedis:
    """The Redis that several server processes share (endpoints.redis.yml uses the same)."""

    url: str
    prefix: str


def shared_redis() -> SharedRedis | None:
    """Set when several server processes run: several workers (SANIC_WORKERS) or instances (ALLIANCE_REDIS_URL).

    Then what one process would remember in memory (which deliveries it answered)
    must be shared: a platform's retry may reach another process.
    """
    workers = int(os.environ.get("SANIC_WORKERS") or "1")
    if workers <= 1 and not os.environ.get("ALLIANCE_REDIS_URL", "").strip():
        return None
    return SharedRedis(redis_url(), redis_prefix())


def retention_days() -> float:
    """`ALLIANCE_RETENTION_DAYS`: how long a conversation is kept after its last message (Redis, in memory)."""
    return float(os.environ.get("ALLIANCE_RETENTION_DAYS") or "30")


def escalations_days() -> int:
    """`ALLIANCE_ESCALATIONS_DAYS`: how many days escalation rows (never text) are kept."""
    return int(os.environ.get("ALLIANCE_ESCALATIONS_DAYS") or "365")


def max_conversations() -> int:
    """`ALLIANCE_MAX_CONVERSATIONS`: conversations one server process keeps in memory at most."""
    return int(os.environ.get("ALLIANCE_MAX_CONVERSATIONS") or "10000")


def max_body_bytes() -> int:
    """`ALLIANCE_MAX_BODY_BYTES`: larger requests get 413 on every channel (Sanic's own default is 100 MB)."""
    return int(os.environ.get("ALLIANCE_MAX_BODY_BYTES") or str(64 * 1024))


def max_message_chars() -> int:
    """`ALLIANCE_MAX_MESSAGE_CHARS`: longer messages get a reply asking for a shorter one (after the crisis check)."""
    return int(os.environ.get("ALLIANCE_MAX_MESSAGE_CHARS") or "4000")


def api_token() -> str | None:
    """`ALLIANCE_API_TOKEN`: the HTTP API's token, read from the environment so it never shows in `ps`."""
    return os.environ.get("ALLIANCE_API_TOKEN", "").strip() or None


def cors_origins() -> list[str]:
    """Web sites allowed to call the Rasa server from a browser (space-separated)."""
    return os.environ.get("ALLIANCE_CORS_ORIGINS", "http://localhost:8080 http://127.0.0.1:8080").split()


def channel_credentials() -> dict[str, dict]:
    """Rasa channel credentials: REST and the web widget always, Slack and Telegram when configured.

    Values are `${VAR}` references that Rasa expands when it reads the file, so
    tokens and secrets stay in the environment and never land on disk.
    """
    env = os.environ.get

    def refs(**fields: str) -> dict[str, str]:
        return {key: f"${{{var}}}" for key, var in fields.items() if env(var)}

    channels: dict[str, dict] = {
        "bot.channels.rest.RestInput": {},
        "bot.channels.widget.WidgetSocketIOInput": {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "allowed_origins": " ".join(cors_origins()),
        },
    }
    if env("SLACK_TOKEN") and env("SLACK_SIGNING_SECRET"):
        channels["bot.channels.slack.SlackInput"] = refs(
            slack_token="SLACK_TOKEN", slack_signing_secret="SLACK_SIGNING_SECRET",
            slack_api_url="SLACK_API_URL", slack_channel="SLACK_CHANNEL",
        )  # fmt: skip
    if env("TELEGRAM_TOKEN"):
        channels["bot.channels.telegram.TelegramInput"] = {
            **refs(
                access_token="TELEGRAM_TOKEN",
                verify="TELEGRAM_VERIFY",
                webhook_url="TELEGRAM_WEBHOOK_URL",
                secret_token="TELEGRAM_SECRET_TOKEN",
                base_url="TELEGRAM_API_URL",
            ),  # fmt: skip
            "set_webhook": env("TELEGRAM_SET_WEBHOOK", "true").lower() in ("1", "true", "yes"),
        }
    return channels


def credentials_yaml(channels: dict[str, dict]) -> str:
    """YAML for Rasa: `${VAR}` left unquoted, since Rasa only expands plain scalars."""
    import yaml

    return re.sub(r"'(\$\{\w+\})'", r"\1", yaml.safe_dump(channels, sort_keys=False))
