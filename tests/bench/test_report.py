"""The benchmark's figures: percentiles and what "cold" means."""

from __future__ import annotations

import pytest

from xinkan.bench import report
from xinkan.matters.models import Matter


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 50) == 50.0 or report.percentile(values, 50) == 51.0
    assert report.percentile(values, 95) == 95.0
    assert report.percentile([], 95) == 0.0
    figures = report.latency([3.0, 1.0, 2.0])
    assert figures["n"] == 3 and figures["p50_ms"] == 2.0 and figures["max_ms"] == 3.0


@pytest.mark.django_db(transaction=True)
def test_cold_calls_run_the_cold_command_before_each(tmp_path, monkeypatch):
    marks = tmp_path / "marks"
    monkeypatch.setattr(report, "COLD", report.ColdStart(command=f"echo x >> {marks}", runs=3))
    calls: list[int] = []

    def page() -> None:
        calls.append(Matter.objects.count())

    figures = report.cold_warm(page, 4)
    assert marks.read_text().count("x") == 3
    assert len(calls) == 7
    assert figures["cold_n"] == 3 and "cold_p95_ms" in figures and figures["n"] == 4


@pytest.mark.django_db(transaction=True)
def test_by_default_cold_is_the_first_call_on_a_new_connection(monkeypatch):
    monkeypatch.setattr(report, "COLD", report.ColdStart())
    figures = report.cold_warm(lambda: Matter.objects.count(), 2)
    assert "cold_ms" in figures and "cold_n" not in figures and figures["n"] == 2
