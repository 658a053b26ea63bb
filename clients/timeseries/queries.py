"""What a metrics backend is asked, in PromQL and in InfluxQL: pure text, tested without a server.

A counter is charted as its increase per step (events per minute, say) and summed over
instances, since every replica counts its own events; its headline is the increase over the
whole span. A gauge is charted as its value, the largest over instances, since the one gauge
shown (`headwind_updates_pending`) is read from Temporal and every replica reports the same
count.

InfluxDB holds what Prometheus `remote_write` sends it: one measurement per metric name, the
sample in the field `value`, labels as tags. A counter's increase is the sum of the differences
between each series' consecutive samples (`non_negative_difference`, so a restart's reset is
not a negative increase), per step in an outer query: exact, with no extrapolation, and there
as soon as a series has two samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

__all__ = [
    "INFLUX_FIELD",
    "Kind",
    "Metric",
    "Span",
    "influxql",
    "promql_range",
    "promql_total",
]

INFLUX_FIELD = "value"
"""The field InfluxDB 1.x's Prometheus `remote_write` endpoint stores every sample in."""

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.ASCII)


class Kind(StrEnum):
    """How a metric is aggregated over time and over instances."""

    COUNTER = "counter"
    GAUGE = "gauge"


@dataclass(frozen=True)
class Metric:
    """One Prometheus metric, by its exposed name (counters with their `_total`)."""

    name: str
    kind: Kind

    def __post_init__(self) -> None:
        # The name goes into query text: only a metric name's characters may.
        if not _METRIC_NAME.fullmatch(self.name):
            raise ValueError(f"{self.name!r} is not a Prometheus metric name")


@dataclass(frozen=True)
class Span:
    """A stretch of time ending at `end`, cut into `steps` equal steps (one chart point each)."""

    end: datetime
    length: timedelta
    steps: int = 60

    def __post_init__(self) -> None:
        if self.end.tzinfo is None:
            raise ValueError("a span's end must carry its time zone")
        if self.steps < 1 or self.step < timedelta(seconds=1):
            raise ValueError("a span needs at least one step of at least a second")

    @property
    def step(self) -> timedelta:
        return self.length / self.steps

    @property
    def start(self) -> datetime:
        return self.end - self.length

    @classmethod
    def ending_now(cls, length: timedelta, steps: int = 60) -> Span:
        return cls(end=datetime.now(UTC), length=length, steps=steps)


def _seconds(duration: timedelta) -> int:
    return max(1, round(duration.total_seconds()))


def promql_range(metric: Metric, span: Span) -> str:
    """The PromQL of the chart: one value per step."""
    if metric.kind is Kind.COUNTER:
        return f"sum(increase({metric.name}[{_seconds(span.step)}s]))"
    return f"max({metric.name})"


def promql_total(metric: Metric, span: Span) -> str | None:
    """The PromQL of a counter's headline (its increase over the span); None for a gauge,
    whose headline is the chart's last value."""
    if metric.kind is Kind.COUNTER:
        return f"sum(increase({metric.name}[{_seconds(span.length)}s]))"
    return None


def _epoch_ns(moment: datetime) -> int:
    return round(moment.timestamp()) * 1_000_000_000


def influxql(metric: Metric, span: Span) -> str:
    """The InfluxQL of the chart: one value per step (a counter's headline is their sum)."""
    end = f"time <= {_epoch_ns(span.end)}"
    where = f"time > {_epoch_ns(span.start)} AND {end}"
    step = f"{_seconds(span.step)}s"
    measurement = f'"{metric.name}"'
    if metric.kind is Kind.GAUGE:
        return (
            f'SELECT max("{INFLUX_FIELD}") FROM {measurement} WHERE {where} '
            f"GROUP BY time({step}) fill(none)"
        )
    # From one step earlier than the span, so that its first sample has one to differ from.
    before = f"time > {_epoch_ns(span.start - span.step)} AND {end}"
    per_series = (
        f'SELECT non_negative_difference("{INFLUX_FIELD}") AS "increase" '
        f"FROM {measurement} WHERE {before} GROUP BY *"
    )
    return (
        f'SELECT sum("increase") FROM ({per_series}) WHERE {where} GROUP BY time({step}) fill(none)'
    )
