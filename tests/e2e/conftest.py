"""Session fixtures: one real local environment (`headwind dev`) for every e2e test.

By default the session starts its own environment with `headwind dev up --detach` in a fresh
state directory on free loopback ports (so it never collides with a developer's running
`headwind dev up`) and stops it with `headwind dev down` at the end. Set
`HEADWIND_E2E_STATE_DIR` to the state directory of a running environment to reuse it instead:
much faster while iterating, and it is left running.

Every test gets the environment's status as a typed `DevStatus`, plus clients built from it:
Kubernetes API clients (tests may use the kubernetes package freely), a Temporal client, and
a namespace of its own that is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from headwind_dev.settings import PORT_ENV_PREFIX, Ports
from headwind_dev.status import DevStatus
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from temporalio.client import Client

REUSE_ENV = "HEADWIND_E2E_STATE_DIR"
UP_TIMEOUT = float(os.environ.get("HEADWIND_E2E_UP_TIMEOUT", "3600"))
"""Seconds `dev up` may take: a cold cache builds Kubernetes first (tens of minutes on 2 cores)."""


def headwind_cli() -> list[str]:
    """The `headwind` entry point of the interpreter running the tests."""
    script = Path(sysconfig.get_path("scripts")) / "headwind"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from worker.cli import main; main()"]


def read_status(state_dir: Path) -> DevStatus:
    result = subprocess.run(
        [*headwind_cli(), "dev", "status", "--json", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if not result.stdout.strip():
        pytest.fail(f"`headwind dev status` printed nothing: {result.stderr}")
    return DevStatus.model_validate_json(result.stdout)


def _free_ports(names: tuple[str, ...]) -> dict[str, int]:
    # All sockets stay open until every port is chosen, so no two names get the same port.
    with contextlib.ExitStack() as stack:
        ports = {}
        for name in names:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports[name] = sock.getsockname()[1]
        return ports


@pytest.fixture(scope="session")
def dev_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStatus]:
    """The running environment's status (started for this session unless reused)."""
    reused = os.environ.get(REUSE_ENV)
    if reused:
        status = read_status(Path(reused))
        if not status.running:
            stopped = [name for name, process in status.processes.items() if not process.running]
            pytest.fail(f"{REUSE_ENV}={reused}: not running: {', '.join(stopped)}")
        yield status
        return

    state_dir = tmp_path_factory.mktemp("headwind-dev")
    env = dict(os.environ)
    env.pop("HEADWIND_STATE_DIR", None)
    for name, port in _free_ports(Ports.names()).items():
        env[PORT_ENV_PREFIX + name.upper()] = str(port)
    log = state_dir.parent / "dev-up.log"
    try:
        with log.open("w") as output:
            result = subprocess.run(
                [*headwind_cli(), "dev", "up", "--detach", "--state-dir", str(state_dir)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=UP_TIMEOUT,
                check=False,
            )
        if result.returncode != 0:
            logs = state_dir / "logs"
            pytest.fail(f"`headwind dev up` failed (logs in {logs}):\n{log.read_text()}")
        yield read_status(state_dir)
    finally:
        subprocess.run(
            [*headwind_cli(), "dev", "down", "--state-dir", str(state_dir)],
            capture_output=True,
            check=False,
            timeout=180,
        )


@dataclass(frozen=True)
class Kube:
    """The Kubernetes API groups the tests use, authenticated as the environment's admin.

    Typed `Any` on purpose: the kubernetes package annotates every field of every object as
    optional and every body as a model class, while tests pass plain manifests (dicts, as
    users write them) and read fields the API server always sets.
    """

    client: k8s.ApiClient
    core: Any
    apps: Any
    batch: Any
    authentication: Any
    apiextensions: Any
    custom: Any
    version: Any


@pytest.fixture(scope="session")
def kube(dev_env: DevStatus) -> Iterator[Kube]:
    """Kubernetes clients from the environment's admin kubeconfig."""
    api = k8s_config.new_client_from_config(config_file=dev_env.kubeconfig)  # type: ignore[no-untyped-call]
    try:
        yield Kube(
            client=api,
            core=k8s.CoreV1Api(api),
            apps=k8s.AppsV1Api(api),
            batch=k8s.BatchV1Api(api),
            authentication=k8s.AuthenticationV1Api(api),
            apiextensions=k8s.ApiextensionsV1Api(api),
            custom=k8s.CustomObjectsApi(api),
            version=k8s.VersionApi(api),
        )
    finally:
        api.close()


@pytest.fixture
def namespace(kube: Kube, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of the test's own, deleted afterwards (without waiting for it to go)."""
    slug = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"e2e-{slug}-{secrets.token_hex(3)}"
    kube.core.create_namespace({"metadata": {"name": name}})
    try:
        yield name
    finally:
        kube.core.delete_namespace(name)


@pytest.fixture(scope="session")
async def temporal_client(dev_env: DevStatus) -> Client:
    """A client of the environment's Temporal server, in its namespace."""
    return await Client.connect(dev_env.temporal_address, namespace=dev_env.temporal_namespace)


def restart_component(dev_env: DevStatus, name: str, signum: int, *, pause: float = 0) -> None:
    """Stop one process of the environment with `signum`, then `dev up` starts it again."""
    pid = read_status(Path(dev_env.state_dir)).processes[name].pid
    assert pid is not None, f"{name} is not running"
    os.kill(pid, signum)
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"{name} (pid {pid}) did not stop"
        time.sleep(0.2)
    time.sleep(pause)
    restarted = subprocess.run(
        [*headwind_cli(), "dev", "up", "--detach", "--state-dir", dev_env.state_dir],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert restarted.returncode == 0, restarted.stderr
