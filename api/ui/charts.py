"""Line charts as inline SVG geometry, drawn on the server: no chart library, no script.

`line_chart` turns a metric's points over a span into the coordinates an `<svg>` in the
template draws (a line, the area under it, a dot on the latest point) and a sentence that
says what the chart shows, for its `<title>` (screen readers and hover). The template colours
it with the page's own colour variables, so it reads in light and dark mode alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from clients.timeseries import Point

__all__ = ["HEIGHT", "WIDTH", "Chart", "line_chart"]

WIDTH = 300
HEIGHT = 60
_PAD = 3.0
"""Room above the highest and below the lowest point, so the line's stroke is not cut."""


@dataclass(frozen=True)
class Chart:
    line: str
    """`points` of the `<polyline>`: `x,y` pairs."""
    area: str
    """`points` of the `<polygon>` under the line, closed along the baseline."""
    last: tuple[float, float] | None
    """Where the latest point is drawn as a dot."""
    count: int
    peak: float
    summary: str


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def line_chart(points: Sequence[Point], start: datetime, end: datetime, *, what: str) -> Chart:
    """A chart of `points` between `start` and `end`, from 0 to the highest value.

    `what` names the values in the summary ("webhook events per 1m over the last 1h").
    """
    seconds = max((end - start).total_seconds(), 1.0)
    peak = max((p.value for p in points), default=0.0)
    top = peak if peak > 0 else 1.0
    usable = HEIGHT - 2 * _PAD

    def place(point: Point) -> tuple[float, float]:
        x = (point.at - start).total_seconds() / seconds * WIDTH
        y = HEIGHT - _PAD - max(point.value, 0.0) / top * usable
        return round(min(max(x, 0.0), float(WIDTH)), 1), round(y, 1)

    placed = [place(point) for point in points]
    line = " ".join(f"{x},{y}" for x, y in placed)
    area = ""
    if placed:
        baseline = HEIGHT - _PAD
        area = f"{placed[0][0]},{baseline} {line} {placed[-1][0]},{baseline}"
    if points:
        counted = f"{len(points)} point{'s' if len(points) > 1 else ''}"
        summary = f"{what}: {counted}, highest {_number(peak)}, latest {_number(points[-1].value)}"
    else:
        summary = f"{what}: no data"
    return Chart(
        line=line,
        area=area,
        last=placed[-1] if placed else None,
        count=len(points),
        peak=peak,
        summary=summary,
    )
