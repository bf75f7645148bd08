"""The report page of a simulated week in a real headless Chromium: headings, charts with size, nothing loaded.

Needs the Playwright Python package (never `playwright install`) and Debian's
`chromium` at /usr/bin/chromium, as tests/e2e/test_widget.py does. With
ALLIANCE_WRITE_SCREENSHOT=1 it also writes docs/report.png, the README's picture:

    ALLIANCE_WRITE_SCREENSHOT=1 .venv/bin/pytest tests/e2e/test_report_page.py
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright import sync_api  # `make test` installs it; Chromium comes from Debian

from bot import config
from bot.content import answers
from bot.tools import report, simulate

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWPORT = {"width": 1200, "height": 900}
SCREENSHOT = config.ROOT / "docs" / "report.png"
HEADINGS = [
    "At a glance",
    "Questions each day",
    "Questions by topic",
    "Were the answers helpful?",
    "Answers to review",
    "Crisis escalations",
    "Where people asked",
    "About this report",
]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Seed 7's week, ending today, rendered to a file."""
    folder = tmp_path_factory.mktemp("report")
    store = answers.AnswerStore(answers.build_database(config.answers_source(), folder / "answers.db"))
    start = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=6)
    known = simulate.simulate(7, 7, folder / "records.db", folder / "escalations.db", start, store)
    figures = report.figures(
        folder / "records.db", folder / "escalations.db", known["since"], known["until"], store=store
    )
    page = folder / "report.html"
    page.write_text(report.render(figures), encoding="utf-8")
    return {"known": known, "figures": figures, "page": page}


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shown(browser: sync_api.Browser, simulated: dict[str, Any]) -> Iterator[tuple[sync_api.Page, list[str]]]:
    """The page open at a desktop width, with every request it made."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(simulated["page"].as_uri())
    page.wait_for_load_state("load")
    yield page, requests
    context.close()


def test_the_page_loads_nothing_but_itself(shown: tuple[sync_api.Page, list[str]], simulated) -> None:
    _, requests = shown
    assert requests == [simulated["page"].as_uri()]


def test_the_headings_read_plainly(shown: tuple[sync_api.Page, list[str]], simulated: dict[str, Any]) -> None:
    page, _ = shown
    known = simulated["known"]
    assert page.locator("h1").inner_text() == f"Alliance report: {report.period_words(known['since'], known['until'])}"
    assert page.title() == page.locator("h1").inner_text()
    assert page.locator("h2").all_inner_texts() == HEADINGS
    assert "holds no message text" in page.locator(".privacy").inner_text()


def test_every_chart_is_drawn_with_its_table_beside_it(shown: tuple[sync_api.Page, list[str]]) -> None:
    page, _ = shown
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, chart.get_attribute("aria-label")
        drawn = chart.evaluate("svg => [...svg.querySelectorAll('rect')].filter(r => r.getBBox().width > 0).length")
        assert drawn > 0, chart.get_attribute("aria-label")
    for pair in page.locator(".pair").all():
        figure, table = pair.locator("figure").bounding_box(), pair.locator("table").bounding_box()
        assert figure and table and table["x"] >= figure["x"] + figure["width"]  # beside, at this width
        assert pair.locator(".numbers").evaluate("n => n.scrollWidth <= n.clientWidth")  # nothing cut off


def test_the_flagged_answers_are_listed(shown: tuple[sync_api.Page, list[str]], simulated: dict[str, Any]) -> None:
    page, _ = shown
    items = page.locator("ul.flagged li").all_inner_texts()
    assert len(items) == len(simulated["figures"]["flagged"]) >= 2
    assert all("not helpful" in item for item in items)


def test_the_page_renders_to_a_full_screenshot(shown: tuple[sync_api.Page, list[str]], tmp_path: Path) -> None:
    """The README's picture; with ALLIANCE_WRITE_SCREENSHOT=1 it replaces docs/report.png."""
    page, _ = shown
    target = SCREENSHOT if os.environ.get("ALLIANCE_WRITE_SCREENSHOT") == "1" else tmp_path / "report.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 50_000
