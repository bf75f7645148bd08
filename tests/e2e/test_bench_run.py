"""A tiny real `make bench` run: every figure is measured (and printed, never judged)."""

from __future__ import annotations

import pytest

from bench import run


@pytest.mark.e2e
def test_a_tiny_benchmark_run_measures_every_speed_figure(tmp_path) -> None:
    """The smoke run: real servers, a few messages; no figure is judged, each must exist."""
    import argparse

    from tests import servers

    if not servers.MODEL.exists():
        pytest.fail(f"{servers.MODEL} is missing: `make test` trains it first")
    args = argparse.Namespace(messages=5, concurrency=2, per_conversation=2)
    figures = run.measure(run.VARIANTS[0], servers.MODEL, args, tmp_path)
    assert figures.name == "alliance"
    assert figures.cold_start_s > 0 and figures.p50_ms > 0 and figures.p99_ms >= figures.p50_ms
    assert figures.throughput > 0 and figures.memory_mb > 50
    assert figures.silent == 0  # measure() fails for this project's variants otherwise
