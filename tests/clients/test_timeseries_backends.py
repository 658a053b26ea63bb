"""The metrics backend client over `httpx.MockTransport`: identifying, probing, reading, failing.

The answers mimic what the real servers send (`tests/e2e/test_observability_backends.py` runs
the same client against Debian's Prometheus, VictoriaMetrics and InfluxDB).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from clients import timeseries
from clients.timeseries import Kind, Metric, Span
from headwind.settings import MetricsBackend, Settings

END = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SPAN = Span(end=END, length=timedelta(hours=1))
EVENTS = Metric("headwind_webhook_events_total", Kind.COUNTER)
PENDING = Metric("headwind_updates_pending", Kind.GAUGE)
Handler = Callable[[httpx.Request], httpx.Response]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def _matrix(values: list[list[Any]]) -> dict[str, Any]:
    result = [{"metric": {}, "values": values}] if values else []
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def prometheus(*, ready: int = 200, health: bool = False) -> Handler:
    """Prometheus (or, with `health`, VictoriaMetrics): ready, build info, and two queries."""
    start = int(END.timestamp()) - 60

    def handle(request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/-/ready":
            return httpx.Response(ready, text="Ready.")
        if path == "/health":
            return httpx.Response(200, text="OK") if health else httpx.Response(404)
        if path == "/api/v1/status/buildinfo":
            return _json({"status": "success", "data": {"version": "2.42.0"}})
        if path == "/api/v1/query_range":
            if params["query"].startswith("max("):
                return _json(_matrix([[start, "2"], [start + 60, "1"]]))
            return _json(_matrix([[start, "1.5"], [start + 60, "3"]]))
        if path == "/api/v1/query":
            result = [{"metric": {}, "value": [start + 60, "4.4"]}]
            return _json({"status": "success", "data": {"resultType": "vector", "result": result}})
        return httpx.Response(404, text="404 page not found")

    return handle


def influxdb(*, databases: tuple[str, ...] = ("prometheus",)) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/ping":
            return httpx.Response(204, headers={"X-Influxdb-Version": "1.6.7"})
        if path == "/query":
            if params["db"] not in databases:
                error = f"database not found: {params['db']}"
                return _json({"results": [{"statement_id": 0, "error": error}]})
            if params["q"].startswith("SHOW"):
                return _json({"results": [{"statement_id": 0}]})
            start = int(END.timestamp()) - 120
            rows = [[start, 2], [start + 60, 3]]
            series = [{"name": "m", "columns": ["time", "v"], "values": rows}]
            return _json({"results": [{"statement_id": 0, "series": series}]})
        return httpx.Response(404, text="404 page not found")

    return handle


def nothing_known(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, text="not here")


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def connection(
    handler: Handler, backend: MetricsBackend = MetricsBackend.AUTO, **options: Any
) -> tuple[timeseries.Connection, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    made = timeseries.Connection(
        "http://metrics.test:9090/", backend, transport=httpx.MockTransport(record), **options
    )
    return made, seen


PROBES = [
    pytest.param(prometheus(), MetricsBackend.AUTO, MetricsBackend.PROMETHEUS, True, "2.42.0",
                 id="auto-finds-prometheus"),
    pytest.param(prometheus(health=True), MetricsBackend.AUTO, MetricsBackend.VICTORIAMETRICS,
                 True, "", id="auto-finds-victoriametrics"),
    pytest.param(influxdb(), MetricsBackend.AUTO, MetricsBackend.INFLUXDB, True, "1.6.7",
                 id="auto-finds-influxdb"),
    pytest.param(nothing_known, MetricsBackend.AUTO, None, False, "set HEADWIND_METRICS_BACKEND",
                 id="auto-finds-nothing"),
    pytest.param(refused, MetricsBackend.AUTO, None, False, "connection refused",
                 id="auto-unreachable"),
    pytest.param(prometheus(ready=503), MetricsBackend.PROMETHEUS, MetricsBackend.PROMETHEUS,
                 False, "/-/ready answered 503", id="prometheus-not-ready"),
    pytest.param(prometheus(), MetricsBackend.VICTORIAMETRICS, MetricsBackend.VICTORIAMETRICS,
                 False, "/health answered 404", id="prometheus-named-victoriametrics"),
    pytest.param(prometheus(), MetricsBackend.INFLUXDB, MetricsBackend.INFLUXDB, False,
                 "/ping answered 404", id="prometheus-named-influxdb"),
    pytest.param(influxdb(databases=("other",)), MetricsBackend.INFLUXDB, MetricsBackend.INFLUXDB,
                 False, "database 'prometheus': database not found", id="influxdb-no-database"),
    pytest.param(refused, MetricsBackend.PROMETHEUS, MetricsBackend.PROMETHEUS, False,
                 "connection refused", id="prometheus-unreachable"),
]  # fmt: skip


@pytest.mark.parametrize(("handler", "configured", "found", "ok", "detail"), PROBES)
async def test_probe(
    handler: Handler,
    configured: MetricsBackend,
    found: MetricsBackend | None,
    ok: bool,
    detail: str,
) -> None:
    made, _ = connection(handler, configured)
    probe = await made.probe()
    await made.aclose()
    assert (probe.backend, probe.ok) == (found, ok)
    assert detail in probe.detail
    assert probe.url == "http://metrics.test:9090"


async def test_a_failed_auto_probe_leaves_the_backend_unidentified() -> None:
    made, _ = connection(refused)
    await made.probe()
    with pytest.raises(timeseries.BackendError, match="not been identified"):
        await made.read(EVENTS, SPAN)
    await made.aclose()


READS = [
    pytest.param(prometheus(), EVENTS, 4.4, [1.5, 3.0], id="prometheus-counter"),
    pytest.param(prometheus(), PENDING, 1.0, [2.0, 1.0], id="prometheus-gauge-latest"),
    pytest.param(influxdb(), EVENTS, 5.0, [2.0, 3.0], id="influxdb-counter-sum-of-steps"),
    pytest.param(influxdb(), PENDING, 3.0, [2.0, 3.0], id="influxdb-gauge-latest"),
]


@pytest.mark.parametrize(("handler", "metric", "value", "values"), READS)
async def test_read(handler: Handler, metric: Metric, value: float, values: list[float]) -> None:
    made, _ = connection(handler)
    assert (await made.probe()).ok
    reading = await made.read(metric, SPAN)
    await made.aclose()
    assert reading.value == pytest.approx(value)
    assert [point.value for point in reading.points] == values


async def test_prometheus_is_asked_for_the_span_and_its_steps() -> None:
    made, seen = connection(prometheus(), MetricsBackend.PROMETHEUS)
    await made.read(EVENTS, Span(end=END, length=timedelta(hours=6)))
    await made.aclose()
    asked = {request.url.path: dict(request.url.params) for request in seen}
    end = END.timestamp()
    assert asked["/api/v1/query_range"] == {
        "query": "sum(increase(headwind_webhook_events_total[360s]))",
        "start": f"{end - 6 * 3600:.3f}",
        "end": f"{end:.3f}",
        "step": "360",
        "nocache": "1",
    }
    assert asked["/api/v1/query"] == {
        "query": "sum(increase(headwind_webhook_events_total[21600s]))",
        "time": f"{end:.3f}",
    }


async def test_influxdb_is_asked_in_its_database_with_epoch_seconds() -> None:
    made, seen = connection(influxdb(databases=("ops",)), MetricsBackend.INFLUXDB, database="ops")
    await made.read(PENDING, SPAN)
    await made.aclose()
    params = seen[-1].url.params
    assert (params["db"], params["epoch"]) == ("ops", "s")
    assert params["q"].startswith('SELECT max("value") FROM "headwind_updates_pending"')


async def test_credentials_are_sent_as_basic_auth() -> None:
    made, seen = connection(prometheus(), username="reader", password="s3cret")
    await made.probe()
    await made.aclose()
    expected = "Basic " + base64.b64encode(b"reader:s3cret").decode()
    assert {request.headers.get("Authorization") for request in seen} == {expected}


REFUSAL = {"status": "error", "errorType": "bad_data", "error": "nope"}
FAILURES = [
    pytest.param(lambda r: _json(REFUSAL, 400), "bad_data: nope", id="query-refused"),
    pytest.param(lambda r: httpx.Response(502, text="<html>bad gateway</html>"), "answered 502",
                 id="proxy-error-page"),
    pytest.param(lambda r: httpx.Response(200, text="not json"), "not a Prometheus API answer",
                 id="not-json"),
    pytest.param(refused, "connection refused", id="unreachable"),
]  # fmt: skip


@pytest.mark.parametrize(("handler", "message"), FAILURES)
async def test_read_failures_raise_backend_errors(handler: Handler, message: str) -> None:
    made, _ = connection(handler, MetricsBackend.PROMETHEUS)
    with pytest.raises(timeseries.BackendError) as error:
        await made.read(EVENTS, SPAN)
    await made.aclose()
    assert message in str(error.value)


async def test_a_slow_backend_hits_the_deadline() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    made, _ = connection(slow, MetricsBackend.PROMETHEUS, timeout=0.1)
    with pytest.raises(timeseries.BackendError, match="timed out"):
        await made.read(PENDING, SPAN)
    await made.aclose()


@pytest.mark.parametrize(
    ("values", "connected"),
    [
        pytest.param({}, None, id="no-url"),
        pytest.param({"metrics_backend": "none", "metrics_backend_url": "http://p:9090"}, None,
                     id="none-with-url"),
        pytest.param({"metrics_backend_url": "http://p:9090"}, MetricsBackend.AUTO, id="auto"),
        pytest.param({"metrics_backend": "influxdb", "metrics_backend_url": "http://i:8086"},
                     MetricsBackend.INFLUXDB, id="named"),
    ],
)  # fmt: skip
async def test_connect_from_settings(
    values: dict[str, str], connected: MetricsBackend | None
) -> None:
    made = timeseries.connect(Settings.model_validate(values))
    assert (made.backend if made is not None else None) == connected
    if made is not None:
        await made.aclose()
