"""Throwaway metrics backends on loopback: Debian's Prometheus, VictoriaMetrics and InfluxDB.

Each runs as a process of the test (never the packages' system services), on free ports, with
its data in a temporary directory, and is stopped when its context ends. Prometheus and
VictoriaMetrics scrape a target every second; InfluxDB receives what a Prometheus sends it
with `remote_write`, the way InfluxDB 1.x takes Prometheus metrics.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.registries import binary, free_port

__all__ = [
    "Server",
    "free_port",
    "running_influxdb",
    "running_prometheus",
    "running_victoria_metrics",
]

SCRAPE_INTERVAL = "1s"


@dataclass(frozen=True)
class Server:
    url: str
    log: Path


def _scrape_config(target: str) -> dict[str, object]:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "scrape_timeout": SCRAPE_INTERVAL},
        "scrape_configs": [{"job_name": "headwind", "static_configs": [{"targets": [target]}]}],
    }


@contextlib.contextmanager
def _process(
    name: str, argv: list[str], log: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + 30
        while not _answers(ready):
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{name} was not ready within 30 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(ready: Callable[[], bool]) -> bool:
    try:
        return ready()
    except httpx.TransportError:
        return False


def _status(url: str) -> int:
    return httpx.get(url, timeout=1).status_code


@contextlib.contextmanager
def running_prometheus(
    root: Path, target: str, *, remote_write: str | None = None
) -> Iterator[Server]:
    """Prometheus scraping `target` (`host:port`), and writing to `remote_write` if given."""
    root.mkdir(parents=True)
    config = _scrape_config(target)
    if remote_write is not None:
        config["remote_write"] = [
            {
                "url": remote_write,
                "queue_config": {"batch_send_deadline": "1s"},
                # InfluxDB 1.x reads samples, not the metadata Prometheus also sends.
                "metadata_config": {"send": False},
            }
        ]
    (root / "prometheus.yml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{free_port()}"
    argv = [
        binary("prometheus"),
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={root / 'data'}",
        f"--web.listen-address={url.removeprefix('http://')}",
    ]
    log = root / "prometheus.log"
    with _process("prometheus", argv, log, lambda: _status(f"{url}/-/ready") == 200):
        yield Server(url, log)


@contextlib.contextmanager
def running_victoria_metrics(root: Path, target: str) -> Iterator[Server]:
    """VictoriaMetrics scraping `target` itself (`-promscrape.config`)."""
    root.mkdir(parents=True)
    (root / "scrape.yml").write_text(yaml.safe_dump(_scrape_config(target)))
    url = f"http://127.0.0.1:{free_port()}"
    argv = [
        binary("victoria-metrics"),
        f"-promscrape.config={root / 'scrape.yml'}",
        f"-storageDataPath={root / 'data'}",
        f"-httpListenAddr={url.removeprefix('http://')}",
        # Show samples a second after they arrive instead of 30: the test waits for them.
        "-search.latencyOffset=1s",
        "-loggerLevel=WARN",
    ]
    log = root / "victoria-metrics.log"
    with _process("victoria-metrics", argv, log, lambda: _status(f"{url}/health") == 200):
        yield Server(url, log)


@contextlib.contextmanager
def running_influxdb(root: Path, database: str) -> Iterator[Server]:
    """InfluxDB 1.x with `database` created, receiving Prometheus `remote_write`."""
    root.mkdir(parents=True)
    http, rpc = free_port(), free_port()
    (root / "influxdb.conf").write_text(
        "reporting-disabled = true\n"
        f'bind-address = "127.0.0.1:{rpc}"\n'
        f'[meta]\n  dir = "{root / "meta"}"\n'
        f'[data]\n  dir = "{root / "data"}"\n  wal-dir = "{root / "wal"}"\n'
        "  query-log-enabled = false\n"
        "[monitor]\n  store-enabled = false\n"
        f'[http]\n  bind-address = "127.0.0.1:{http}"\n  log-enabled = false\n'
    )
    url = f"http://127.0.0.1:{http}"
    argv = [binary("influxd"), "run", "-config", str(root / "influxdb.conf")]
    log = root / "influxdb.log"
    with _process("influxd", argv, log, lambda: _status(f"{url}/ping") == 204):
        created = httpx.post(f"{url}/query", data={"q": f'CREATE DATABASE "{database}"'})
        assert created.status_code == 200, created.text
        yield Server(url, log)
