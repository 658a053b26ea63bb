"""The pure half of the benchmark suite: summarising repeats and writing the report.

Figures are gathered by `bench.suite` on a live environment; this module only turns them into
the human table and the machine-readable JSON, so it can be tested without an environment.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Figure", "RunInfo", "Summary", "render_table", "summarize", "to_json"]


@dataclass(frozen=True)
class Summary:
    """Minimum, median, 99th percentile and maximum of the repeats of one measure."""

    count: int
    min: float
    median: float
    p99: float
    max: float


def summarize(values: Iterable[float]) -> Summary | None:
    """None when nothing was measured (a scenario that could not run)."""
    ordered = sorted(values)
    if not ordered:
        return None
    # Nearest-rank percentile: with few samples it is the maximum, never an interpolation
    # that no request actually took.
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return Summary(
        count=len(ordered),
        min=ordered[0],
        median=statistics.median(ordered),
        p99=ordered[rank - 1],
        max=ordered[-1],
    )


@dataclass(frozen=True)
class Figure:
    """One line of the report: a measure, its unit, its repeats (or one value) and a note."""

    scenario: str
    name: str
    unit: str
    summary: Summary | None
    note: str = ""

    @classmethod
    def of(
        cls, scenario: str, name: str, unit: str, values: Sequence[float], note: str = ""
    ) -> Figure:
        return cls(scenario, name, unit, summarize(values), note)


@dataclass(frozen=True)
class RunInfo:
    """What a run was measured on: two runs are only comparable when these are."""

    commit: str
    dirty: bool
    started_at: str
    load_average: tuple[float, float, float]
    """1, 5 and 15 minutes, at the start of the run (other processes share the machine)."""
    cpus: int
    quick: bool
    scenarios: list[str] = field(default_factory=list)
    load_average_end: tuple[float, float, float] | None = None


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render_table(info: RunInfo, figures: Sequence[Figure]) -> str:
    """A fixed-width table: one row per figure, min / median / p99 / max over its repeats."""
    header = ("scenario", "measure", "unit", "n", "min", "median", "p99", "max", "note")
    rows: list[tuple[str, ...]] = [header]
    for figure in figures:
        s = figure.summary
        numbers = (
            ("-",) * 5
            if s is None
            else (str(s.count), _number(s.min), _number(s.median), _number(s.p99), _number(s.max))
        )
        rows.append((figure.scenario, figure.name, figure.unit, *numbers, figure.note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        f"commit {info.commit[:12]}{' (dirty)' if info.dirty else ''}  started {info.started_at}  "
        f"load {' '.join(f'{x:.2f}' for x in info.load_average)}  cpus {info.cpus}"
        f"{'  --quick' if info.quick else ''}",
    ]
    for i, row in enumerate(rows):
        cells = [
            cell.rjust(widths[j]) if 3 <= j < 8 else cell.ljust(widths[j])
            for j, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join(cells) + (f"  {row[-1]}" if row[-1] else ""))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(info: RunInfo, figures: Sequence[Figure]) -> str:
    document: dict[str, Any] = {
        "run": asdict(info),
        "figures": [asdict(figure) for figure in figures],
    }
    return json.dumps(document, indent=2) + "\n"
