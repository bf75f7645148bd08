"""bot.content.replies: answers name the region's numbers and terms where their text asks for them."""

from __future__ import annotations

import pytest

from bot.content import replies


@pytest.mark.parametrize("region, number", [("US", "9-1-1"), ("UK", "999")])
def test_an_answer_names_the_regions_number(monkeypatch: pytest.MonkeyPatch, region: str, number: str) -> None:
    monkeypatch.setenv("ALLIANCE_REGION", region)
    assert replies.in_region("In an emergency call {emergency_number}.") == f"In an emergency call {number}."


def test_text_without_placeholders_is_left_as_it_is() -> None:
    assert replies.in_region("Plain text, no numbers.") == "Plain text, no numbers."
