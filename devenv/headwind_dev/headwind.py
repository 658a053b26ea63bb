"""Headwind's own processes in the local environment.

`PROCESSES` lists them, each a `headwind <command>` started from the checkout's virtual
environment. `process_env` is the one place that tells them where everything is; its names are
those of Headwind's settings.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from headwind_dev import kubectl, processes, settings, temporal
from headwind_dev.components import Component

__all__ = ["PROCESSES", "HeadwindProcess", "components", "process_env"]


@dataclass(frozen=True)
class HeadwindProcess:
    """One long-running `headwind <command> ...` process."""

    name: str
    """Component name: log file `<state>/logs/<name>.log`, PID file, `status` entry."""
    args: Callable[[settings.DevSettings], tuple[str, ...]]
    """Arguments after `headwind`."""
    health_path: str | None = None
    """Polled on the API URL until it answers 200 (None: started is ready)."""
    depends_on: tuple[str, ...] = ("temporal", "crds", "nodes")


PROCESSES: tuple[HeadwindProcess, ...] = (
    # Worker and API in one process (`headwind run`): one metrics registry behind /metrics.
    HeadwindProcess(
        name="headwind",
        args=lambda config: ("run", "--host", "127.0.0.1", "--port", str(config.ports.api)),
        # Ready: Temporal and the apiserver answer and the image index has synced, so a
        # webhook sent right after `dev up` is matched rather than answered 503.
        health_path="/readyz",
    ),
)


def process_env(config: settings.DevSettings) -> dict[str, str]:
    """What Headwind's processes are told about the environment (names of `headwind.settings`)."""
    credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
    return {
        "KUBECONFIG": str(config.layout.kubeconfig),
        "HEADWIND_KUBECONFIG": str(config.layout.kubeconfig),
        "HEADWIND_TEMPORAL_ADDRESS": f"127.0.0.1:{config.ports.temporal}",
        "HEADWIND_TEMPORAL_NAMESPACE": temporal.NAMESPACE,
        "HEADWIND_TEMPORAL_UI_URL": f"http://127.0.0.1:{config.ports.temporal_ui}",
        # Its own port per environment, so a second `dev up` (the e2e fixture's) can run.
        "HEADWIND_TEMPORAL_METRICS_PORT": str(config.ports.worker_metrics),
        "HEADWIND_WEBHOOK_REGISTRY_TOKEN": credentials.registry_webhook_token,
        "HEADWIND_WEBHOOK_TOKEN": credentials.webhook_token,
        # Small pages, so that polling a registry that paginates (Distribution v3, as the e2e
        # tests run one) follows `Link` headers; Debian's 2.8 ignores `n` and sends all tags.
        "HEADWIND_REGISTRY_TAGS_PAGE_SIZE": "50",
    }


def _headwind_argv() -> tuple[str, ...]:
    script = Path(sysconfig.get_path("scripts")) / "headwind"
    if os.access(script, os.X_OK):
        return (str(script),)
    return (sys.executable, "-c", "from worker.cli import main; main()")


def _spec(config: settings.DevSettings, entry: HeadwindProcess) -> processes.ProcessSpec:
    return processes.ProcessSpec(
        name=entry.name,
        argv=(*_headwind_argv(), *entry.args(config)),
        env=process_env(config),
        stop_timeout=20,
    )


def _component(config: settings.DevSettings, entry: HeadwindProcess) -> Component:
    def ready() -> None:
        if entry.health_path is not None:
            kubectl.get_health(config.api_url + entry.health_path)

    return Component(
        name=entry.name,
        depends_on=entry.depends_on,
        process=lambda: _spec(config, entry),
        ready=ready,
        url=config.api_url if entry.health_path else None,
    )


def components(config: settings.DevSettings) -> list[Component]:
    return [_component(config, entry) for entry in PROCESSES]
