"""`headwind run`, `headwind worker`, `headwind api`: the long-running processes."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
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


def _fewer_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas before the process starts its threads.

    glibc gives threads that allocate at once arenas of their own (up to eight per core), and
    memory freed in an arena mostly stays with the process: after a burst of updates, the
    worker's thread pool held tens of MiB that way. Without glibc (musl), nothing to do.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # from glibc's malloc.h
    mallopt(m_arena_max, arenas)


def _serve(main: Coroutine[Any, Any, None]) -> None:
    _fewer_malloc_arenas()
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
