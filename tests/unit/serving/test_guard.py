"""bot.serving.guard and the launcher: the fixes apply only to the Rasa they were tested on."""

from __future__ import annotations

import logging

import pytest

from bot.serving import guard, launch, patching


def test_the_installed_versions_are_the_tested_ones() -> None:
    """This venv is pinned to what the fixes were tested on (requirements.txt)."""
    assert guard.installed_versions() == guard.TESTED
    assert guard.why_stock(guard.TESTED) is None


@pytest.mark.parametrize(
    "versions, named",
    [
        ({"rasa": "3.7.0", "rasa-sdk": "3.6.2"}, "rasa 3.7.0"),
        ({"rasa": "3.6.21", "rasa-sdk": "3.7.1"}, "rasa-sdk 3.7.1"),
        ({"rasa": "3.6.20", "rasa-sdk": "3.6.2"}, "rasa 3.6.20"),
    ],
)
def test_another_version_keeps_the_fixes_out(versions: dict[str, str], named: str) -> None:
    reason = guard.why_stock(versions)
    assert reason is not None and named in reason and "3.6.21" in reason


@pytest.mark.parametrize("value, stock", [("1", True), ("true", True), ("0", False), ("", False)])
def test_the_switch_runs_stock_rasa(monkeypatch: pytest.MonkeyPatch, value: str, stock: bool) -> None:
    monkeypatch.setenv("ALLIANCE_STOCK_RASA", value)
    assert (guard.why_stock(guard.TESTED) is not None) is stock
    assert guard.fixes_apply() is not stock


def test_a_faked_other_rasa_installs_nothing_and_names_every_fix_left_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(guard, "installed_versions", lambda: {"rasa": "3.7.0", "rasa-sdk": "3.6.2"})
    before = patching.replaced()
    with caplog.at_level(logging.WARNING, logger=launch.__name__):
        assert launch.prepare(["run"]) == []
    assert patching.replaced() == before
    warnings = [r.getMessage() for r in caplog.records if r.name == launch.__name__]
    assert len(warnings) == 1 and "stock Rasa" in warnings[0] and "rasa 3.7.0" in warnings[0]
    for fix in launch.FIXES:  # `run` gets every fix, so the warning names them all
        assert fix.name in warnings[0]


@pytest.mark.parametrize(
    "command, kinds",
    [
        ("run", {launch.EVERY, launch.PREDICTING, launch.SERVING}),
        ("shell", {launch.EVERY, launch.PREDICTING, launch.SERVING}),
        ("test core", {launch.EVERY, launch.PREDICTING}),
        ("train", {launch.EVERY}),
        ("run actions", {launch.EVERY}),
        ("test", {launch.EVERY}),
    ],
)
def test_each_command_gets_the_fixes_for_what_it_does(command: str, kinds: set[str]) -> None:
    assert launch.scopes(command.split()) == kinds


def test_every_fix_has_a_name_and_a_known_scope() -> None:
    names = [fix.name for fix in launch.FIXES]
    assert len(set(names)) == len(names)
    assert {fix.scope for fix in launch.FIXES} <= {launch.EVERY, launch.PREDICTING, launch.SERVING}
    assert launch.FIXES[0].install.__name__ == "defer_tensorflow"  # before anything imports TensorFlow
