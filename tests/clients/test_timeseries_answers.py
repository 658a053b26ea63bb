"""Reading Prometheus's and InfluxDB's answers: points, headline values, and their errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from clients.timeseries import Point, answers

T0, T1 = 1_767_268_800, 1_767_268_860


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def matrix(*series: list[list[Any]]) -> dict[str, Any]:
    result = [{"metric": {}, "values": values} for values in series]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {}, "value": [T1, value]} for value in values]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(matrix([[T0, "1"], [T1, "2.5"]]), [Point(at(T0), 1), Point(at(T1), 2.5)],
                     id="one-series"),
        pytest.param(matrix([[T1, "1"]], [[T0, "2"], [T1, "3"]]),
                     [Point(at(T0), 2), Point(at(T1), 4)], id="two-series-summed-in-time-order"),
        pytest.param(matrix([[T0, "NaN"], [T1, "+Inf"]]), [], id="not-finite-left-out"),
        pytest.param(matrix(), [], id="no-series"),
    ],
)  # fmt: skip
def test_prometheus_points(body: dict[str, Any], expected: list[Point]) -> None:
    assert answers.prometheus_points(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(vector("3"), 3.0, id="one-value"),
        pytest.param(vector("3", "4.5"), 7.5, id="summed"),
        pytest.param(vector(), None, id="empty-is-none"),
        pytest.param(vector("NaN"), None, id="nan-is-none"),
    ],
)
def test_prometheus_value(body: dict[str, Any], expected: float | None) -> None:
    assert answers.prometheus_value(body) == expected


PROMETHEUS_ERRORS = [
    pytest.param({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"},
                 "bad_data: parse error at char 5", id="error-envelope"),
    pytest.param(vector("1"), "expected a matrix", id="vector-for-matrix"),
    pytest.param(["not", "an", "object"], "not a Prometheus API answer", id="not-an-object"),
    pytest.param({"status": "success", "data": {"resultType": "matrix", "result": {}}},
                 "not a list", id="result-not-a-list"),
    pytest.param(matrix([[T0]]), "not a [time, value] sample", id="short-sample"),
    pytest.param(matrix([["soon", "1"]]), "not a timestamp", id="bad-timestamp"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), PROMETHEUS_ERRORS)
def test_prometheus_errors(body: Any, message: str) -> None:
    with pytest.raises(answers.AnswerError) as error:
        answers.prometheus_points(body)
    assert message in str(error.value)


def influx(*rows: list[Any]) -> dict[str, Any]:
    series = [{"name": "m", "columns": ["time", "sum"], "values": list(rows)}]
    return {"results": [{"statement_id": 0, "series": series}]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(influx([T1, 2], [T0, 1]), [Point(at(T0), 1), Point(at(T1), 2)],
                     id="rows-in-time-order"),
        pytest.param(influx([T0, None], [T1, 4]), [Point(at(T1), 4)], id="null-left-out"),
        pytest.param({"results": [{"statement_id": 0}]}, [], id="no-series-is-empty"),
    ],
)  # fmt: skip
def test_influx_points(body: dict[str, Any], expected: list[Point]) -> None:
    assert answers.influx_points(body) == expected


INFLUX_ERRORS = [
    pytest.param({"results": [{"statement_id": 0, "error": "database not found: ops"}]},
                 "database not found: ops", id="statement-error"),
    pytest.param({"error": "error parsing query: found EOF"}, "error parsing query",
                 id="request-error"),
    pytest.param({"results": []}, "without results", id="no-results"),
    pytest.param("text", "not an InfluxDB answer", id="not-an-object"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), INFLUX_ERRORS)
def test_influx_errors(body: Any, message: str) -> None:
    with pytest.raises(answers.AnswerError) as error:
        answers.influx_points(body)
    assert message in str(error.value)
