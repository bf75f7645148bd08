"""Configuration from the environment: channels switch on only when configured; secrets stay in env."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.utils.io import read_config_file

from bot import config

CHANNEL_VARS = ("SLACK_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in CHANNEL_VARS:
        monkeypatch.delenv(var, raising=False)


def test_only_rest_and_widget_without_channel_settings() -> None:
    assert set(config.channel_credentials()) == {"rest", "bot.channels.widget.WidgetSocketIOInput"}


def test_slack_needs_both_token_and_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-1")
    assert "bot.channels.slack.SlackInput" not in config.channel_credentials()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    assert "bot.channels.slack.SlackInput" in config.channel_credentials()


def test_written_credentials_hold_references_that_rasa_expands(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-secret-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:telegram-token")
    path = tmp_path / "credentials.yml"
    path.write_text(config.credentials_yaml(config.channel_credentials()), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "xoxb-secret-token" not in text and "${SLACK_TOKEN}" in text
    loaded = read_config_file(str(path))
    assert loaded["bot.channels.slack.SlackInput"]["slack_token"] == "xoxb-secret-token"
    assert loaded["bot.channels.telegram.TelegramInput"]["access_token"] == "123:telegram-token"
    widget = loaded["bot.channels.widget.WidgetSocketIOInput"]
    assert widget["session_persistence"] is True and widget["allowed_origins"].split() == config.cors_origins()


@pytest.mark.parametrize(("region", "number"), [("US", "911"), ("UK", "999"), ("us", "911"), ("XX", "911")])
def test_region_presets(monkeypatch: pytest.MonkeyPatch, region: str, number: str) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", region)
    assert config.emergency().number == number


def test_each_emergency_field_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_EMERGENCY_NUMBER", "112")
    monkeypatch.setenv("ALLIANCE_CRISIS_TEXT_SENTENCE", "text HELP to 12345")
    emergency = config.emergency()
    assert emergency.number_display == "112" and "text HELP to 12345" in emergency.reminder


def test_paths_do_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config.answers_source().is_file() and config.answers_source().is_absolute()
