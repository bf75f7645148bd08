"""The benchmark's own arithmetic (the benchmark itself runs with `make bench`)."""

from __future__ import annotations

import os

import pytest

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


def test_replies_without_a_message_are_counted_and_errors_end_the_run() -> None:
    assert run.answered(200, [{"text": "hi"}]) is True
    assert run.answered(200, []) is False
    with pytest.raises(RuntimeError, match="HTTP 500"):
        run.answered(500, [{"text": "x"}])


def test_variants_name_a_configuration_and_how_it_runs() -> None:
    names = [v.name for v in run.VARIANTS]
    assert names == ["alliance", "alliance-2w", "stock"]
    two = run.VARIANTS[1]
    assert two.endpoints == "endpoints.redis.yml" and two.env()["SANIC_WORKERS"] == "2"
    assert two.env()["ALLIANCE_REDIS_PREFIX"].isalnum()  # Rasa ignores any other prefix
    assert run.VARIANTS[2].rasa == run.servers.STOCK and run.VARIANTS[0].env() == {}


def test_steal_is_the_share_of_cpu_time_the_host_took() -> None:
    before = [100, 0, 50, 800, 0, 0, 0, 50, 0, 0]
    after = [200, 0, 100, 1500, 0, 0, 0, 200, 0, 0]
    assert run.steal_share(before, after) == pytest.approx(100 * 150 / 1000)
    assert len(run.cpu_ticks()) >= 8
