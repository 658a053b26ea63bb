"""The benchmark report's pure parts: summaries of repeats, the table and the JSON."""

from __future__ import annotations

import json

import pytest

from bench.report import Figure, RunInfo, Summary, render_table, summarize, to_json

INFO = RunInfo(
    commit="0123456789abcdef",
    dirty=False,
    started_at="2026-01-01T00:00:00+00:00",
    load_average=(0.5, 0.25, 0.125),
    cpus=2,
    quick=True,
    scenarios=["latency"],
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], None, id="nothing-measured"),
        pytest.param([7.0], Summary(1, 7.0, 7.0, 7.0, 7.0), id="one-value"),
        pytest.param([3.0, 1.0, 2.0], Summary(3, 1.0, 2.0, 3.0, 3.0), id="unsorted-odd"),
        pytest.param([4.0, 1.0, 2.0, 3.0], Summary(4, 1.0, 2.5, 4.0, 4.0), id="even-median"),
        pytest.param(
            [float(v) for v in range(1, 201)],
            Summary(200, 1.0, 100.5, 198.0, 200.0),
            id="p99-nearest-rank",
        ),
    ],
)
def test_summarize(values: list[float], expected: Summary | None) -> None:
    assert summarize(values) == expected


def test_table_has_a_row_per_figure_with_its_numbers_and_note() -> None:
    figures = [
        Figure.of("latency", "push→patched", "ms", [12.0, 10.0, 11.0]),
        Figure.of("burst", "lost / duplicated", "updates", [], note="not run"),
    ]
    lines = render_table(INFO, figures).splitlines()
    assert lines[0].startswith("commit 0123456789ab  started 2026-01-01")
    assert "load 0.50 0.25 0.12" in lines[0]
    assert lines[1].split() == [
        "scenario",
        "measure",
        "unit",
        "n",
        "min",
        "median",
        "p99",
        "max",
        "note",
    ]
    assert lines[3].split()[-5:] == ["3", "10.0", "11.0", "12.0", "12.0"]
    assert lines[4].split()[-6:] == ["-", "-", "-", "-", "not", "run"]


def test_json_carries_the_run_and_every_figure() -> None:
    figure = Figure.of("intake", "unmatched", "req/s", [1500.0], note="32 connections")
    document = json.loads(to_json(INFO, [figure]))
    assert document["run"]["commit"] == INFO.commit
    assert document["run"]["load_average"] == [0.5, 0.25, 0.125]
    assert document["figures"] == [
        {
            "scenario": "intake",
            "name": "unmatched",
            "unit": "req/s",
            "summary": {"count": 1, "min": 1500.0, "median": 1500.0, "p99": 1500.0, "max": 1500.0},
            "note": "32 connections",
        }
    ]
