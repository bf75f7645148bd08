"""Configuration from the environment: channels switch on only when configured; secrets stay in env."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.utils.io import read_config_file

from bot import config
from bot.config import regions

CHANNEL_VARS = ("SLACK_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in CHANNEL_VARS:
        monkeypatch.delenv(var, raising=False)


def test_only_rest_and_widget_without_channel_settings() -> None:
    rest, widget = "bot.channels.rest.RestInput", "bot.channels.widget.WidgetSocketIOInput"
    assert set(config.channel_credentials()) == {rest, widget}


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


@pytest.mark.parametrize(
    ("region", "code", "number", "shown"),
    [
        ("US", "US", "911", "9-1-1"), ("us", "US", "911", "9-1-1"), ("CA", "CA", "911", "9-1-1"),
        ("GB", "GB", "999", "999"), ("UK", "GB", "999", "999"), (" uk ", "GB", "999", "999"),
        ("IE", "IE", "112", "112 or 999"), ("AU", "AU", "000", "000"), ("nz", "NZ", "111", "111"),
    ],
)  # fmt: skip
def test_region_presets(monkeypatch: pytest.MonkeyPatch, region: str, code: str, number: str, shown: str) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", region)
    emergency = config.emergency()
    assert (emergency.region, emergency.number, emergency.number_display) == (code, number, shown)


@pytest.mark.parametrize("region", [None, "", "  "])
def test_the_default_region_is_us(monkeypatch: pytest.MonkeyPatch, region: str | None) -> None:
    if region is None:
        monkeypatch.delenv("ALLIANCE_REGION", raising=False)
    else:
        monkeypatch.setenv("ALLIANCE_REGION", region)
    assert config.emergency() == config.EMERGENCY_PRESETS["US"]


@pytest.mark.parametrize("region", ["FR", "XX", "USA", "U.S.", "England", "G B"])
def test_an_unknown_region_is_an_error_naming_the_known_ones(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """Never another region's numbers: a typo stops the servers at start (docs/configuration.md)."""
    monkeypatch.setenv("ALLIANCE_REGION", region)
    with pytest.raises(ValueError) as raised:
        config.emergency()
    message = str(raised.value)
    assert repr(region.strip()) in message and "ALLIANCE_REGION" in message
    assert "US, CA, GB (or UK), IE, AU, NZ" in message


def test_every_preset_is_filed_under_its_own_iso_code() -> None:
    assert list(config.EMERGENCY_PRESETS) == ["US", "CA", "GB", "IE", "AU", "NZ"]
    for code, preset in config.EMERGENCY_PRESETS.items():
        assert preset.region == code
        assert all(preset.variables().values()), code
        assert preset.number and preset.line and preset.text_number, code


@pytest.mark.parametrize(
    ("shown", "dialed"),
    [("9-1-1", "911"), ("112 or 999", "112"), ("13 11 14", "131114"), ("0477 13 11 14", "0477131114"),
     ("+44 20 7946 0000", "+442079460000"), ("116 123", "116123"), ("no number", "")],
)  # fmt: skip
def test_links_dial_the_first_number_shown(shown: str, dialed: str) -> None:
    assert regions.dial(shown) == dialed


def test_each_emergency_field_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", "GB")
    monkeypatch.setenv("ALLIANCE_EMERGENCY_NUMBER", "112")
    monkeypatch.setenv("ALLIANCE_CRISIS_LINE", "0800 123 456")
    monkeypatch.setenv("ALLIANCE_CRISIS_TEXT_SENTENCE", "text HELP to 12345")
    monkeypatch.setenv("ALLIANCE_EMERGENCY_ROOM", "nearest hospital")
    monkeypatch.setenv("ALLIANCE_LICENSING_BODY", "the Example Council")
    emergency = config.emergency()
    assert emergency.number_display == "112" and emergency.number == "112"
    assert emergency.line == "0800123456" and "text HELP to 12345" in emergency.reminder
    assert emergency.variables()["emergency_room"] == "nearest hospital"
    assert emergency.variables()["licensing_body"] == "the Example Council"
    assert emergency.line_sentence == config.EMERGENCY_PRESETS["GB"].line_sentence  # the rest stays GB's


def test_paths_do_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config.answers_source().is_file() and config.answers_source().is_absolute()
