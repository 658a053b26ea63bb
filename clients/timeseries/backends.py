"""The HTTP client of a metrics backend: what it is, whether it answers, one metric over time.

A `Connection` holds one httpx client for the backend's base URL, with the configured basic
auth and a deadline on every call. `probe` confirms the configured kind (or, for `auto`,
finds out which kind answers) through each one's own health endpoint — Prometheus `/-/ready`,
VictoriaMetrics `/health`, InfluxDB `/ping` (and, for InfluxDB, that the database exists) —
and never raises: a failed probe is a `Probe` saying why. `read` asks for one metric over a
`Span` and raises `BackendError` for anything that is not an answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from clients.timeseries import answers, queries
from clients.timeseries.answers import Point
from clients.timeseries.queries import Kind, Metric, Span
from headwind.settings import MetricsBackend, Settings

__all__ = ["NAMES", "BackendError", "Connection", "Probe", "Reading", "connect"]

NAMES = {
    MetricsBackend.PROMETHEUS: "Prometheus",
    MetricsBackend.VICTORIAMETRICS: "VictoriaMetrics",
    MetricsBackend.INFLUXDB: "InfluxDB",
}
"""How each backend is named to people."""


class BackendError(Exception):
    """The backend could not be reached, refused, or answered something that is no answer."""


@dataclass(frozen=True)
class Probe:
    """What probing a backend found."""

    url: str
    backend: MetricsBackend | None
    """The kind configured or found; None when `auto` found nothing it knows."""
    ok: bool
    detail: str
    """The version it reported when `ok`, else why it cannot be used."""

    @property
    def name(self) -> str:
        return (
            NAMES.get(self.backend, "The metrics backend")
            if self.backend
            else "The metrics backend"
        )


@dataclass(frozen=True)
class Reading:
    """One metric over a span: the headline value and the chart's points."""

    value: float | None
    """A counter's increase over the span, a gauge's last value; None when the backend
    holds no series of the metric in the span."""
    points: tuple[Point, ...]


class Connection:
    """One backend at one URL; `backend` is `auto` until a probe identifies it."""

    def __init__(
        self,
        url: str,
        backend: MetricsBackend,
        *,
        database: str = "prometheus",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if backend is MetricsBackend.NONE:
            raise ValueError("no connection to a backend that is `none`")
        self.url = url.rstrip("/")
        self.backend: MetricsBackend = backend
        self.database = database
        auth = httpx.BasicAuth(username, password or "") if username is not None else None
        self._http = httpx.AsyncClient(
            base_url=self.url, auth=auth, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            return await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise BackendError(f"{self.url}{path}: {exc or type(exc).__name__}") from exc

    async def _json(self, path: str, params: dict[str, str]) -> Any:
        response = await self._get(path, params)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 and not isinstance(body, dict):
            raise BackendError(f"{self.url}{path} answered {response.status_code}")
        return body

    # --- what answers, and is it ready --------------------------------------------------------

    async def probe(self) -> Probe:
        """Identify (for `auto`) and check the backend; say why not instead of raising."""
        backend: MetricsBackend | None = (
            None if self.backend is MetricsBackend.AUTO else self.backend
        )
        try:
            if backend is None:
                backend = await self._identify()
            detail = await self._check(backend)
        except BackendError as exc:
            return Probe(self.url, backend, ok=False, detail=str(exc))
        self.backend = backend
        return Probe(self.url, backend, ok=True, detail=detail)

    async def _identify(self) -> MetricsBackend:
        ping = await self._get("/ping")
        if ping.status_code < 300 and "X-Influxdb-Version" in ping.headers:
            return MetricsBackend.INFLUXDB
        if (await self._get("/health")).status_code == 200:
            return MetricsBackend.VICTORIAMETRICS  # Prometheus has no /health
        ready = await self._get("/-/ready")
        if ready.status_code == 200:
            return MetricsBackend.PROMETHEUS
        raise BackendError(
            f"{self.url} answers neither as InfluxDB (/ping), VictoriaMetrics (/health) nor "
            f"Prometheus (/-/ready answered {ready.status_code}): set HEADWIND_METRICS_BACKEND"
        )

    async def _check(self, backend: MetricsBackend) -> str:
        if backend is MetricsBackend.INFLUXDB:
            ping = await self._get("/ping")
            if ping.status_code >= 300:
                raise BackendError(f"{self.url}/ping answered {ping.status_code}")
            try:
                answers.influx_result(
                    await self._json(
                        "/query", {"db": self.database, "q": "SHOW MEASUREMENTS LIMIT 1"}
                    )
                )
            except answers.AnswerError as exc:
                raise BackendError(f"database {self.database!r}: {exc}") from exc
            return str(ping.headers.get("X-Influxdb-Version", ""))
        if backend is MetricsBackend.VICTORIAMETRICS:
            health = await self._get("/health")
            if health.status_code != 200:
                raise BackendError(f"{self.url}/health answered {health.status_code}")
            return ""
        ready = await self._get("/-/ready")
        if ready.status_code != 200:
            raise BackendError(f"{self.url}/-/ready answered {ready.status_code}")
        info = await self._json("/api/v1/status/buildinfo", {})
        data = info.get("data") if isinstance(info, dict) else None
        return str(data.get("version", "")) if isinstance(data, dict) else ""

    # --- one metric over time -----------------------------------------------------------------

    async def read(self, metric: Metric, span: Span) -> Reading:
        """The metric over the span; raises `BackendError` unless the backend answered."""
        try:
            if self.backend is MetricsBackend.INFLUXDB:
                return await self._read_influx(metric, span)
            if self.backend is MetricsBackend.AUTO:
                raise BackendError("the backend has not been identified yet")
            return await self._read_promql(metric, span)
        except answers.AnswerError as exc:
            raise BackendError(f"{NAMES.get(self.backend, self.url)}: {exc}") from exc

    async def _read_promql(self, metric: Metric, span: Span) -> Reading:
        chart = self._json(
            "/api/v1/query_range",
            {
                "query": queries.promql_range(metric, span),
                "start": f"{span.start.timestamp():.3f}",
                "end": f"{span.end.timestamp():.3f}",
                "step": f"{span.step.total_seconds():g}",
                # VictoriaMetrics otherwise moves start and end onto multiples of the step
                # (for its cache), which leaves the newest samples out; Prometheus ignores it.
                "nocache": "1",
            },
        )
        total_query = queries.promql_total(metric, span)
        if total_query is None:
            points = answers.prometheus_points(await chart)
            return Reading(points[-1].value if points else None, tuple(points))
        total = self._json(
            "/api/v1/query", {"query": total_query, "time": f"{span.end.timestamp():.3f}"}
        )
        chart_body, total_body = await asyncio.gather(chart, total)
        points = answers.prometheus_points(chart_body)
        return Reading(answers.prometheus_value(total_body), tuple(points))

    async def _read_influx(self, metric: Metric, span: Span) -> Reading:
        body = await self._json(
            "/query",
            {"db": self.database, "q": queries.influxql(metric, span), "epoch": "s"},
        )
        points = answers.influx_points(body)
        if not points:
            return Reading(None, ())
        value = sum(p.value for p in points) if metric.kind is Kind.COUNTER else points[-1].value
        return Reading(value, tuple(points))


def connect(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Connection | None:
    """The configured backend's connection (not probed yet); None when there is none."""
    if settings.metrics_backend is MetricsBackend.NONE or settings.metrics_backend_url is None:
        return None
    password = settings.metrics_backend_password
    return Connection(
        settings.metrics_backend_url,
        settings.metrics_backend,
        database=settings.metrics_backend_database,
        username=settings.metrics_backend_username,
        password=password.get_secret_value() if password is not None else None,
        timeout=settings.metrics_backend_timeout.total_seconds(),
        transport=transport,
    )
