"""`headwind run`, `headwind worker`, `headwind api`: the long-running processes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import typer
import uvloop

from headwind.settings import Settings, SettingsError, get_settings
from worker import logs, serving, tracing

__all__ = ["api", "run", "worker"]


def _settings(host: str | None = None, port: int | None = None) -> Settings:
    try:
        settings = get_settings()
    except SettingsError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(2) from exc
    changes: dict[str, object] = {}
    if host is not None:
        changes["api_host"] = host
    if port is not None:
        changes["api_port"] = port
    settings = settings.model_copy(update=changes)
    logs.configure(settings)
    tracing.configure()
    return settings


def _serve(main: Coroutine[Any, Any, None]) -> None:
    # uvloop: the event loop every webhook, API call and Temporal poll of the process runs on;
    # its sockets and callbacks cost a fraction of the standard loop's.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def run(
    host: str | None = typer.Option(None, help="API listen address (HEADWIND_API_HOST)."),
    port: int | None = typer.Option(None, help="API port (HEADWIND_API_PORT)."),
) -> None:
    """Run the Temporal worker and the API in one process (the embedded default)."""
    _serve(serving.run(_settings(host, port), worker=True, api=True, worker_metrics_port=None))


def worker(
    metrics_port: int | None = typer.Option(
        None,
        help="Port of this worker's own /metrics (0 turns it off). Default:"
        " HEADWIND_WORKER_METRICS_PORT, else 9102.",
    ),
) -> None:
    """Run only the Temporal worker (scale it out with replicas)."""
    settings = _settings()
    port = settings.worker_metrics_port if metrics_port is None else metrics_port
    _serve(serving.run(settings, worker=True, api=False, worker_metrics_port=port or None))


def api(
    host: str | None = typer.Option(None, help="Listen address (HEADWIND_API_HOST)."),
    port: int | None = typer.Option(None, help="Port (HEADWIND_API_PORT)."),
) -> None:
    """Run only the API (stateless; scale it out with replicas)."""
    _serve(serving.run(_settings(host, port), worker=False, api=True, worker_metrics_port=None))
