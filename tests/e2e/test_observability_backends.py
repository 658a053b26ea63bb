"""The observability page charts Headwind's real metrics from real Prometheus, VictoriaMetrics
and InfluxDB (Debian's packages), each collecting from the environment's running Headwind.

Prometheus and VictoriaMetrics scrape Headwind's `/metrics` every second; InfluxDB receives
Prometheus's `remote_write`. The test posts webhooks to Headwind, waits until the backend holds
the counter Headwind itself reports, then builds the API app in process — its lifespan probes
the backend named only by its URL (`auto`) — and reads the page: the backend is named, and the
webhook events it counts and charts include the deliveries just posted.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from headwind_dev.status import DevStatus
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from headwind.settings import Settings
from tests.e2e import metrics_backends
from tests.e2e.metrics_backends import Server
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

DATABASE = "headwind"
EVENTS = "headwind_webhook_events_total"
POSTED = 3


@pytest.fixture(scope="module")
def target(dev_env: DevStatus) -> str:
    """`host:port` of the environment's Headwind (`headwind run`: API and worker, one /metrics)."""
    return urlsplit(dev_env.api_url).netloc


@pytest.fixture(scope="module")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("influxdb") / "server"
    with metrics_backends.running_influxdb(root, DATABASE) as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(
    tmp_path_factory: pytest.TempPathFactory, target: str, influxdb: Server
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("prometheus") / "server"
    write = f"{influxdb.url}/api/v1/prom/write?db={DATABASE}"
    with metrics_backends.running_prometheus(root, target, remote_write=write) as server:
        yield server


@pytest.fixture(scope="module")
def victoria_metrics(tmp_path_factory: pytest.TempPathFactory, target: str) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("victoria-metrics") / "server"
    with metrics_backends.running_victoria_metrics(root, target) as server:
        yield server


def _headwind_total(dev_env: DevStatus) -> float:
    """Webhook events as Headwind itself reports them, every series summed."""
    text = httpx.get(f"{dev_env.api_url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == EVENTS
    )


def _backend_total(kind: str, server: Server) -> float | None:
    """The latest webhook events total the backend holds, every series summed."""
    if kind == "influxdb":
        latest = f'SELECT last("value") FROM "{EVENTS}" WHERE time > now() - 5m GROUP BY *'
        answer = httpx.get(
            f"{server.url}/query", params={"db": DATABASE, "q": latest}, timeout=5
        ).json()
        series = answer["results"][0].get("series") or []
        return sum(s["values"][0][1] for s in series) if series else None
    answer = httpx.get(
        f"{server.url}/api/v1/query", params={"query": f"sum({EVENTS})"}, timeout=5
    ).json()
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _post_webhooks(dev_env: DevStatus, count: int) -> None:
    auth = {"Authorization": f"Bearer {dev_env.webhook_token}"}
    image = f"{dev_env.registry}/e2e/observability-{uuid.uuid4().hex[:8]}"
    for patch in range(count):
        response = httpx.post(
            f"{dev_env.api_url}/webhook/native",
            json={"image": f"{image}:1.0.{patch}"},
            headers=auth,
            timeout=30,
        )
        assert response.status_code < 300, response.text


def _caught_up(kind: str, server: Server, dev_env: DevStatus) -> float:
    total = _headwind_total(dev_env)
    wait_for(
        lambda: _backend_total(kind, server),
        lambda held: held == total,
        what=f"{kind} to hold Headwind's {EVENTS} ({total:g})",
        timeout=30,
        interval=0.5,
    )
    return total


def _observability(dev_env: DevStatus, url: str) -> str:
    """The page from an API app built for this backend; its lifespan probes the backend."""
    settings = Settings.model_validate(
        {
            "temporal_address": dev_env.temporal_address,
            "temporal_namespace": dev_env.temporal_namespace,
            "kubeconfig": dev_env.kubeconfig,
            "metrics_backend_url": url,
            "metrics_backend_database": DATABASE,
        }
    )
    app = create_app(settings)

    async def read() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://headwind") as http:
                return await http.get("/observability")

    response = asyncio.run(read())
    assert response.status_code == 200, response.text
    return response.text


def _card(page: str, metric: str) -> tuple[str, int, float]:
    """A headline's shown value, its chart's number of points and highest value."""
    found = re.search(
        rf'data-metric="{metric}">.*?data-testid="headline-value">([^<]*)<.*?'
        r'data-points="(\d+)" data-peak="([0-9.]+)"',
        page,
        re.S,
    )
    assert found is not None, f"no chart for {metric}"
    return found.group(1), int(found.group(2)), float(found.group(3))


BACKENDS = [
    pytest.param("prometheus", "Prometheus", id="prometheus-scraping"),
    pytest.param("victoriametrics", "VictoriaMetrics", id="victoriametrics-scraping"),
    pytest.param("influxdb", "InfluxDB", id="influxdb-from-remote-write"),
]


@pytest.mark.parametrize(("kind", "name"), BACKENDS)
def test_the_page_charts_real_webhook_events(
    request: pytest.FixtureRequest, dev_env: DevStatus, kind: str, name: str
) -> None:
    fixture = {"prometheus": "prometheus", "victoriametrics": "victoria_metrics"}
    if kind == "influxdb":
        request.getfixturevalue("prometheus")  # InfluxDB hears only what Prometheus writes it
    server: Server = request.getfixturevalue(fixture.get(kind, kind))

    _post_webhooks(dev_env, 1)  # the series exists before the deliveries counted below
    before = _caught_up(kind, server, dev_env)
    _post_webhooks(dev_env, POSTED)
    after = _caught_up(kind, server, dev_env)
    assert after >= before + POSTED

    page = _observability(dev_env, server.url)

    note = re.search(r'data-testid="metrics-source"[^>]*>([^<]*)<', page)
    assert note is not None
    assert f'data-testid="metrics-source" data-backend="{kind}"' in page, note.group(1)
    assert note.group(1).startswith(f"From {name}"), note.group(1)
    shown, points, peak = _card(page, EVENTS)
    assert int(shown.replace(",", "")) >= POSTED
    assert points >= 1
    assert peak >= 1
    pending, pending_points, _ = _card(page, "headwind_updates_pending")
    assert pending.isdigit()
    assert pending_points >= 1


def test_an_unreachable_backend_leaves_the_live_snapshot(dev_env: DevStatus) -> None:
    nowhere = f"http://127.0.0.1:{metrics_backends.free_port()}"
    page = _observability(dev_env, nowhere)
    assert 'data-testid="metrics-source" data-backend="none"' in page
    assert f"at {nowhere} cannot be used" in page
    assert 'data-testid="chart"' not in page
    assert page.count('data-testid="headline"') == 6
