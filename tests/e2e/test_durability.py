"""Durability: kill -9 of the Headwind process while it watches a rollout loses nothing.

The test runs its own `headwind run` process (worker + API) on a task queue of its own, so it
can kill it without disturbing the environment's process, then starts a new one and checks
that the workflow finishes as if nothing had happened, with the workload patched once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli, restart_component
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

REPO = "127.0.0.1:5000/e2e/durable"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Headwind:
    """A `headwind run` child process that can be killed and started again."""

    def __init__(self, dev_env: DevStatus, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "KUBECONFIG": dev_env.kubeconfig,
            "HEADWIND_KUBECONFIG": dev_env.kubeconfig,
            "HEADWIND_TEMPORAL_ADDRESS": dev_env.temporal_address,
            "HEADWIND_TEMPORAL_NAMESPACE": dev_env.temporal_namespace,
            "HEADWIND_TEMPORAL_TASK_QUEUE": f"e2e-durable-{uuid.uuid4().hex[:8]}",
            "HEADWIND_TEMPORAL_METRICS_PORT": str(_free_port()),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*headwind_cli(), "run", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._healthy, bool, what=f"headwind run on {self.url} (log {self.log})")

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def headwind(dev_env: DevStatus, tmp_path: Path) -> Iterator[Headwind]:
    process = Headwind(dev_env, tmp_path / "headwind.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _status(url: str, namespace: str, request: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(
        f"{url}/api/v1/updates/{namespace}/{request}", timeout=30
    ).json()
    return body


def test_kill_9_while_monitoring_resumes(headwind: Headwind, kube: Kube, namespace: str) -> None:
    manifest = manifests.deployment("web", f"{REPO}:1.0.0", 2)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "all",  # the kwok suffix -neverready is a variant
        "headwind.sh/require-approval": "false",
        "headwind.sh/auto-rollback": "true",
        "headwind.sh/rollback-timeout": "30s",
        "headwind.sh/min-update-interval": "0",
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)
    response = httpx.post(
        f"{headwind.url}/api/v1/updates",
        json={
            "kind": "Deployment",
            "namespace": namespace,
            "name": "web",
            "container": "main",
            "tag": "1.1.0-neverready",
        },
        timeout=30,
    )
    assert response.status_code == 202, response.text
    request = response.json()["request_name"]
    wait_for(
        lambda: _status(headwind.url, namespace, request),
        lambda s: s["phase"] == "Monitoring",
        what="the workflow to monitor the rollout",
    )

    headwind.kill()
    # The rollout goes on without Headwind: -neverready pods never become Ready.
    headwind.start()
    final = wait_for(
        lambda: _status(headwind.url, namespace, request),
        lambda s: s["phase"] in ("RolledBack", "Failed", "Completed"),
        what="the resumed workflow to finish",
        timeout=200,
        interval=1,
    )
    assert final["phase"] == "RolledBack", final
    deployment = kube.apps.read_namespaced_deployment("web", namespace)
    assert deployment.spec.template.spec.containers[0].image == f"{REPO}:1.0.0"
    history = json.loads(deployment.metadata.annotations["headwind.sh/update-history"])
    assert [entry["kind"] for entry in history] == ["rollback", "update"]


def test_pending_approval_survives_a_temporal_restart(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    manifest = manifests.deployment("web", f"{REPO}:1.0.0", 1)
    manifest["metadata"]["annotations"] = {"headwind.sh/policy": "minor"}
    kube.apps.create_namespaced_deployment(namespace, manifest)
    api = dev_env.api_url
    response = httpx.post(
        f"{api}/api/v1/updates",
        json={
            "kind": "Deployment",
            "namespace": namespace,
            "name": "web",
            "container": "main",
            "tag": "1.1.0",
        },
        timeout=30,
    )
    assert response.status_code == 202, response.text
    request = response.json()["request_name"]
    wait_for(
        lambda: _status(api, namespace, request),
        lambda s: s["phase"] == "Pending",
        what="the request to be pending",
    )

    restart_component(dev_env, "temporal", signal.SIGTERM)

    def approve() -> httpx.Response | None:
        try:
            return httpx.post(
                f"{api}/api/v1/updates/{namespace}/{request}/approve",
                json={"approver": "after-restart"},
                timeout=60,
            )
        except httpx.HTTPError:
            return None

    answer = wait_for(
        approve,
        lambda r: r is not None and r.status_code != 500,
        what="an approval after the restart",
        timeout=120,
        interval=2,
    )
    assert answer is not None
    assert answer.status_code == 200, answer.text
    assert answer.json()["phase"] == "Completed"
    deployment = kube.apps.read_namespaced_deployment("web", namespace)
    assert deployment.spec.template.spec.containers[0].image == f"{REPO}:1.1.0"
