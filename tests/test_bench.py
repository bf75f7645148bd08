"""The benchmark's own arithmetic (the benchmark itself runs with `make bench`)."""

from __future__ import annotations

import os

from bench import run


def test_memory_is_read_from_proc() -> None:
    assert run.rss_mb(os.getpid()) > 10


def test_table_has_every_figure_and_target() -> None:
    ours = run.Figures("alliance", p50_ms=8.25, throughput=250, crisis_recall=1.0)
    stock = run.Figures("stock", p50_ms=52.0)
    lines = run.table([ours, stock]).splitlines()
    assert lines[0] == "| figure | alliance | stock | target |"
    assert len(lines) == 2 + len(run.ROWS)
    assert "| REST latency p50 (ms) | 8.2 | 52.0 | 10 |" in lines
    assert any(line.startswith("| crisis recall (held-out) | 1.000 |") for line in lines)


def test_stock_config_leaves_pipeline_and_policies_to_rasa() -> None:
    import yaml

    stock = yaml.safe_load(run.CONFIGS["stock"].read_text(encoding="utf-8"))
    assert stock["pipeline"] is None and stock["policies"] is None
