"""Reading what a metrics backend answered: Prometheus's JSON envelope and InfluxDB's `/query`.

Pure functions over decoded JSON. An answer that says it failed, or that has not the shape
asked for, raises `AnswerError` with the backend's own words where it gave some; samples that
are not finite numbers (Prometheus writes `NaN`, `+Inf` as strings) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AnswerError",
    "Point",
    "influx_points",
    "influx_result",
    "prometheus_points",
    "prometheus_value",
]


class AnswerError(ValueError):
    """The backend answered, but with an error or with something that is not an answer."""


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _moment(raw: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise AnswerError(f"not a timestamp: {raw!r}") from None


def _prometheus_data(body: Any, result_type: str) -> list[Any]:
    if not isinstance(body, dict):
        raise AnswerError("not a Prometheus API answer (no JSON object)")
    if body.get("status") != "success":
        kind = body.get("errorType", "error")
        raise AnswerError(f"{kind}: {body.get('error', 'the query failed')}")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != result_type:
        raise AnswerError(f"expected a {result_type} result")
    result = data.get("result")
    if not isinstance(result, list):
        raise AnswerError("the result is not a list")
    return result


def _pair(sample: Any) -> Point | None:
    if not isinstance(sample, list) or len(sample) != 2:
        raise AnswerError(f"not a [time, value] sample: {sample!r}")
    value = _number(sample[1])
    return None if value is None else Point(_moment(sample[0]), value)


def prometheus_points(body: Any) -> list[Point]:
    """The samples of a `query_range` answer, in time order, summed where several series
    share a timestamp (the queries aggregate to one series; this keeps a second harmless)."""
    totals: dict[datetime, float] = {}
    for series in _prometheus_data(body, "matrix"):
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list):
            raise AnswerError("a series without values")
        for sample in values:
            point = _pair(sample)
            if point is not None:
                totals[point.at] = totals.get(point.at, 0.0) + point.value
    return [Point(at, value) for at, value in sorted(totals.items())]


def prometheus_value(body: Any) -> float | None:
    """The value of an instant `query` answer: the sum of its vector, None when empty."""
    found = [
        _pair(series.get("value") if isinstance(series, dict) else None)
        for series in _prometheus_data(body, "vector")
    ]
    values = [point.value for point in found if point is not None]
    return sum(values) if values else None


def influx_result(body: Any) -> dict[str, Any]:
    """The result of the first statement of a `/query` answer, or its error raised."""
    if not isinstance(body, dict):
        raise AnswerError("not an InfluxDB answer (no JSON object)")
    if "error" in body:
        raise AnswerError(str(body["error"]))
    results = body.get("results")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise AnswerError("an InfluxDB answer without results")
    first: dict[str, Any] = results[0]
    if "error" in first:
        raise AnswerError(str(first["error"]))
    return first


def influx_points(body: Any) -> list[Point]:
    """The rows of the first statement of a `/query` answer (asked with `epoch=s`), as
    points; a statement that found no series is an empty list, not an error."""
    points: list[Point] = []
    for series in influx_result(body).get("series") or []:
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list):
            raise AnswerError("a series without values")
        for row in values:
            point = _pair(row)
            if point is not None:
                points.append(point)
    return sorted(points, key=lambda point: point.at)
