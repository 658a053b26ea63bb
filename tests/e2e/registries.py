"""Throwaway CNCF Distribution registries on loopback, for e2e tests that need their own.

Debian's `docker-registry` (Distribution 2.8), anonymous or behind htpasswd basic auth, and
Distribution v3 (`scripts/build-distribution`, cached), the only one that paginates tag lists.
Storage in a temporary directory; stopped when the context ends.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from clients import oci

__all__ = [
    "Registry",
    "binary",
    "distribution_v3",
    "free_port",
    "htpasswd",
    "running_registry",
    "wait_until_serving",
]


@dataclass
class Registry:
    """A running registry: its `host:port`, its log and, if private, its credentials."""

    address: str
    log: Path
    credentials: oci.Credentials | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binary(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        pytest.fail(f"`{name}` is not installed: run scripts/install-system-deps")
    return found


def htpasswd(path: Path, credentials: oci.Credentials) -> None:
    line = subprocess.run(
        [binary("htpasswd"), "-Bbn", credentials.username, credentials.password],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path.write_text(line + "\n")


@contextlib.contextmanager
def running_registry(
    root: Path, credentials: oci.Credentials | None, executable: str | None = None
) -> Iterator[Registry]:
    root.mkdir(parents=True)
    address = f"127.0.0.1:{free_port()}"
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": address, "secret": "e2e-only"},
    }
    if credentials is not None:
        htpasswd(root / "htpasswd", credentials)
        config["auth"] = {"htpasswd": {"realm": "headwind-e2e", "path": str(root / "htpasswd")}}
    (root / "config.yml").write_text(yaml.safe_dump(config))
    log = root / "registry.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [executable or binary("docker-registry"), "serve", str(root / "config.yml")],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until_serving(address, process, log)
        yield Registry(address, log, credentials)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(address: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"docker-registry exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://{address}/v2/", timeout=1).status_code in (200, 401):
                return
        time.sleep(0.1)
    pytest.fail(f"docker-registry did not answer on {address} within 20 s:\n{log.read_text()}")


def distribution_v3() -> str:
    """The Distribution v3 binary, built once per machine into the cache."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "build-distribution"
    built = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    if built.returncode != 0:
        pytest.fail(f"scripts/build-distribution failed:\n{built.stderr}")
    return built.stdout.strip().splitlines()[-1]
