"""The PromQL and InfluxQL the observability page asks, per metric kind and window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clients.timeseries import Kind, Metric, Span, queries

END = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
END_NS = int(END.timestamp()) * 1_000_000_000
HOUR = Span(end=END, length=timedelta(hours=1))
DAY = Span(end=END, length=timedelta(hours=24))
EVENTS = Metric("headwind_webhook_events_total", Kind.COUNTER)
PENDING = Metric("headwind_updates_pending", Kind.GAUGE)


@pytest.mark.parametrize(
    ("metric", "span", "expected"),
    [
        pytest.param(EVENTS, HOUR, "sum(increase(headwind_webhook_events_total[60s]))",
                     id="counter-1h-per-minute"),
        pytest.param(EVENTS, DAY, "sum(increase(headwind_webhook_events_total[1440s]))",
                     id="counter-24h-per-24-minutes"),
        pytest.param(PENDING, HOUR, "max(headwind_updates_pending)", id="gauge-max-over-replicas"),
    ],
)  # fmt: skip
def test_promql_chart(metric: Metric, span: Span, expected: str) -> None:
    assert queries.promql_range(metric, span) == expected


@pytest.mark.parametrize(
    ("metric", "span", "expected"),
    [
        pytest.param(EVENTS, HOUR, "sum(increase(headwind_webhook_events_total[3600s]))",
                     id="counter-increase-over-the-window"),
        pytest.param(PENDING, HOUR, None, id="gauge-headline-is-the-last-point"),
    ],
)  # fmt: skip
def test_promql_headline(metric: Metric, span: Span, expected: str | None) -> None:
    assert queries.promql_total(metric, span) == expected


def test_influxql_gauge() -> None:
    start = END_NS - 3600 * 1_000_000_000
    assert queries.influxql(PENDING, HOUR) == (
        f'SELECT max("value") FROM "headwind_updates_pending" '
        f"WHERE time > {start} AND time <= {END_NS} GROUP BY time(60s) fill(none)"
    )


def test_influxql_counter_sums_each_series_differences_from_one_step_before() -> None:
    start = END_NS - 3600 * 1_000_000_000
    before = start - 60 * 1_000_000_000
    assert queries.influxql(EVENTS, HOUR) == (
        'SELECT sum("increase") FROM ('
        'SELECT non_negative_difference("value") AS "increase" '
        f'FROM "headwind_webhook_events_total" WHERE time > {before} AND time <= {END_NS} '
        "GROUP BY *"
        f") WHERE time > {start} AND time <= {END_NS} GROUP BY time(60s) fill(none)"
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param('up{job="x"}', id="selector"),
        pytest.param("up or vector(1)", id="expression"),
        pytest.param('a" ; DROP DATABASE x', id="influx-quote"),
        pytest.param("1metric", id="leading-digit"),
        pytest.param("", id="empty"),
    ],
)
def test_only_metric_names_reach_query_text(name: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus metric name"):
        Metric(name, Kind.COUNTER)


@pytest.mark.parametrize(
    ("end", "length", "steps"),
    [
        pytest.param(datetime(2026, 1, 1), timedelta(hours=1), 60, id="naive-end"),
        pytest.param(END, timedelta(hours=1), 0, id="no-steps"),
        pytest.param(END, timedelta(seconds=30), 60, id="steps-under-a-second"),
    ],
)
def test_bad_spans_are_refused(end: datetime, length: timedelta, steps: int) -> None:
    with pytest.raises(ValueError, match="span"):
        Span(end=end, length=length, steps=steps)


def test_span_start_and_step() -> None:
    span = Span(end=END, length=timedelta(hours=6))
    assert span.start == END - timedelta(hours=6)
    assert span.step == timedelta(minutes=6)
