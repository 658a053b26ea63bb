"""The observability page: charts from a backend, the live snapshot, and every way to fall back.

Backends are `httpx.MockTransport` handlers from `tests/clients/test_timeseries_backends.py`;
the e2e test runs the page against Debian's real Prometheus, VictoriaMetrics and InfluxDB.
"""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest

from api.ui import sources
from clients import timeseries
from headwind.settings import MetricsBackend, Settings
from tests.api.api_support import build, client
from tests.clients.test_timeseries_backends import Handler, influxdb, prometheus, refused

HTMX = {"HX-Request": "true"}


def _source(
    handler: Handler, backend: MetricsBackend = MetricsBackend.AUTO, *, timeout: float = 5.0
) -> sources.MetricsSource:
    made = timeseries.Connection(
        "http://metrics.test:9090", backend, transport=httpx.MockTransport(handler)
    )
    return sources.MetricsSource(made, timeout=timeout)


async def _page(source: sources.MetricsSource | None, query: str = "") -> httpx.Response:
    api = build()
    if source is not None:
        api.app.state.metrics_source = source
    async with client(api) as http:
        return await http.get(f"/observability{query}")


def _backend_of(page: str) -> str:
    found = re.search(r'data-testid="metrics-source" data-backend="([a-z]+)"', page)
    assert found is not None
    return found.group(1)


def _values(page: str) -> dict[str, str]:
    cards = re.findall(
        r'data-metric="([a-z_]+)">.*?data-testid="headline-value">([^<]*)<', page, re.S
    )
    return dict(cards)


async def test_without_a_backend_the_page_is_a_live_snapshot() -> None:
    page = (await _page(None)).text
    assert _backend_of(page) == "none"
    assert "No metrics backend is configured" in page
    assert page.count('data-testid="headline"') == len(sources.HEADLINES)
    assert 'data-testid="chart"' not in page
    assert 'aria-label="Time window"' not in page


@pytest.mark.parametrize(
    ("handler", "backend", "expected"),
    [
        pytest.param(prometheus(), "prometheus", {"headwind_webhook_events_total": "4",
                     "headwind_updates_pending": "1"}, id="prometheus"),
        pytest.param(prometheus(health=True), "victoriametrics",
                     {"headwind_webhook_events_total": "4"}, id="victoriametrics"),
        pytest.param(influxdb(), "influxdb", {"headwind_webhook_events_total": "5",
                     "headwind_updates_pending": "3"}, id="influxdb"),
    ],
)  # fmt: skip
async def test_a_backend_gives_numbers_and_charts(
    handler: Handler, backend: str, expected: dict[str, str]
) -> None:
    source = _source(handler)
    await source.check()
    page = (await _page(source)).text
    assert _backend_of(page) == backend
    assert expected.items() <= _values(page).items()
    assert page.count('data-testid="chart"') == len(sources.HEADLINES)
    assert 'data-points="2"' in page
    assert "<title id=" in page
    assert 'role="img"' in page
    assert 'aria-label="Time window"' in page


async def test_the_window_reaches_the_queries() -> None:
    asked: list[str] = []
    backend = prometheus()

    def record(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("query", ""))
        return backend(request)

    page = await _page(_source(record, MetricsBackend.PROMETHEUS), "?window=24h")
    assert "charted per 24m" in page.text
    assert "sum(increase(headwind_rollbacks_total[86400s]))" in asked
    assert "sum(increase(headwind_rollbacks_total[1440s]))" in asked


async def test_an_unknown_window_is_422() -> None:
    assert (await _page(None, "?window=7d")).status_code == 422


async def test_an_unreachable_backend_falls_back_with_a_note() -> None:
    source = _source(refused, MetricsBackend.PROMETHEUS)
    await source.check()
    page = (await _page(source)).text
    assert _backend_of(page) == "none"
    assert "Prometheus at http://metrics.test:9090 cannot be used" in page
    assert "connection refused" in page
    assert 'class="error"' in page
    assert page.count('data-testid="headline"') == len(sources.HEADLINES)


async def test_a_backend_that_stops_answering_falls_back() -> None:
    up = {"now": True}
    backend = prometheus()

    def flaky(request: httpx.Request) -> httpx.Response:
        return backend(request) if up["now"] else refused(request)

    source = _source(flaky)
    await source.check()
    up["now"] = False
    page = (await _page(source)).text
    assert _backend_of(page) == "none"
    assert "Prometheus at http://metrics.test:9090 did not answer" in page


@pytest.mark.parametrize(
    ("failing", "why"),
    [
        pytest.param(timeseries.BackendError("rollbacks: refused"), "rollbacks: refused",
                     id="one-query-refused"),
        pytest.param(KeyError("a fault of ours"), "an unexpected error, logged",
                     id="a-bug-is-logged"),
    ],
)  # fmt: skip
async def test_one_failed_read_falls_back_whole(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing: Exception,
    why: str,
) -> None:
    source = _source(prometheus())
    await source.check()
    assert source.connection is not None
    read = source.connection.read

    async def one_fails(metric: timeseries.Metric, span: timeseries.Span) -> timeseries.Reading:
        if metric.name == "headwind_rollbacks_total":
            raise failing
        return await read(metric, span)

    monkeypatch.setattr(source.connection, "read", one_fails)
    with caplog.at_level(logging.ERROR, logger=sources.__name__):
        page = (await _page(source)).text
    assert _backend_of(page) == "none"
    assert f"did not answer ({why})" in page
    logged = [r for r in caplog.records if r.name == sources.__name__]
    assert len(logged) == (0 if isinstance(failing, timeseries.BackendError) else 1)


async def test_a_slow_backend_falls_back_within_the_deadline() -> None:
    backend = prometheus()

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.startswith("/api/v1/query"):
                await asyncio.sleep(5)
            return backend(request)

    made = timeseries.Connection(
        "http://metrics.test:9090", MetricsBackend.PROMETHEUS, transport=Slow()
    )
    source = sources.MetricsSource(made, timeout=0.2)
    await source.check()
    page = (await _page(source)).text
    assert "no answer within 0.2s" in page


async def test_a_failed_probe_is_repeated_later(monkeypatch: pytest.MonkeyPatch) -> None:
    up = {"now": False}
    backend = prometheus()

    def late(request: httpx.Request) -> httpx.Response:
        return backend(request) if up["now"] else refused(request)

    source = _source(late)
    await source.check()
    up["now"] = True
    assert _backend_of((await _page(source)).text) == "none"  # too soon to ask again
    monkeypatch.setattr(sources, "REPROBE_SECONDS", 0.0)
    assert _backend_of((await _page(source)).text) == "prometheus"


async def test_a_backend_without_headwind_metrics_says_so() -> None:
    def empty(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/query_range":
            body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
            return httpx.Response(200, json=body)
        if request.url.path == "/api/v1/query":
            body = {"status": "success", "data": {"resultType": "vector", "result": []}}
            return httpx.Response(200, json=body)
        return prometheus()(request)

    page = (await _page(_source(empty, MetricsBackend.PROMETHEUS))).text
    assert _backend_of(page) == "prometheus"
    assert "holds no Headwind metrics from the last 1h" in page
    assert set(_values(page).values()) == {"—"}


async def test_the_refreshed_fragment_carries_the_source() -> None:
    api = build()
    async with client(api) as http:
        fragment = await http.get("/observability", headers=HTMX)
    assert "<h1>" not in fragment.text
    assert 'data-testid="metrics-source"' in fragment.text


@pytest.mark.parametrize(
    ("values", "logged", "level"),
    [
        pytest.param({}, None, None, id="no-backend-no-probe"),
        pytest.param({"metrics_backend_url": "http://127.0.0.1:9"}, "cannot be used",
                     logging.WARNING, id="unreachable-is-logged"),
    ],
)  # fmt: skip
async def test_start_probes_and_logs(
    caplog: pytest.LogCaptureFixture, values: dict[str, str], logged: str | None, level: int | None
) -> None:
    with caplog.at_level(logging.INFO, logger=sources.__name__):
        source = await sources.start(Settings.model_validate(values))
    await source.aclose()
    records = [r for r in caplog.records if r.name == sources.__name__]
    if logged is None:
        assert (source.probe, records) == (None, [])
        return
    assert source.probe is not None
    assert not source.probe.ok
    assert [r.levelno for r in records] == [level]
    assert logged in records[0].getMessage()
