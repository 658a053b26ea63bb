"""Chart geometry: where points land in the SVG, and what the chart's title says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.ui import charts
from clients.timeseries import Point

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


def at(minutes: float, value: float) -> Point:
    return Point(START + timedelta(minutes=minutes), value)


@pytest.mark.parametrize(
    ("points", "line", "last", "summary"),
    [
        pytest.param([at(0, 0), at(30, 2), at(60, 4)], "0.0,57.0 150.0,30.0 300.0,3.0",
                     (300.0, 3.0), "events: 3 points, highest 4, latest 4", id="rising"),
        pytest.param([at(15, 0), at(45, 0)], "75.0,57.0 225.0,57.0", (225.0, 57.0),
                     "events: 2 points, highest 0, latest 0", id="all-zero-on-the-baseline"),
        pytest.param([at(60, 7.5)], "300.0,3.0", (300.0, 3.0),
                     "events: 1 point, highest 7.5, latest 7.5", id="one-point-is-a-dot"),
        pytest.param([], "", None, "events: no data", id="no-data"),
        pytest.param([at(-10, 1), at(70, 1)], "0.0,3.0 300.0,3.0", (300.0, 3.0),
                     "events: 2 points, highest 1, latest 1", id="clamped-to-the-span"),
        pytest.param([at(0, 1234.4)], "0.0,3.0", (0.0, 3.0),
                     "events: 1 point, highest 1,234, latest 1,234", id="large-numbers-grouped"),
    ],
)  # fmt: skip
def test_line_chart(
    points: list[Point], line: str, last: tuple[float, float] | None, summary: str
) -> None:
    chart = charts.line_chart(points, START, END, what="events")
    assert chart.line == line
    assert chart.last == last
    assert chart.summary == summary
    assert chart.count == len(points)


def test_the_area_closes_along_the_baseline() -> None:
    chart = charts.line_chart([at(0, 1), at(60, 2)], START, END, what="events")
    assert chart.area == "0.0,57.0 0.0,30.0 300.0,3.0 300.0,57.0"
