"""Two Headwind replicas: both index and answer webhooks, yet a candidate becomes one proposal.

A second `headwind run` joins the environment's own process on the same task queue and the
same Lease. The pushed tag then reaches Headwind three ways (the registry's notification to
the first replica, the same push announced to the second replica's webhook, and the leader's
polling schedule), and the test checks that exactly one update request exists for it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli
from tests.e2e.polling import wait_for
from tests.e2e.test_durability import Headwind

pytestmark = pytest.mark.e2e


@pytest.fixture
def second_replica(dev_env: DevStatus, tmp_path: Path) -> Iterator[Headwind]:
    replica = Headwind(dev_env, tmp_path / "replica.log")
    replica.env.pop("HEADWIND_TEMPORAL_TASK_QUEUE")  # the environment's queue: a real replica
    replica.env["HEADWIND_WEBHOOK_TOKEN"] = dev_env.webhook_token
    replica.env["HEADWIND_WEBHOOK_REGISTRY_TOKEN"] = dev_env.registry_webhook_token
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


def _indexed(url: str, namespace: str) -> list[Any]:
    body = httpx.get(f"{url}/api/v1/workloads", params={"namespace": namespace}, timeout=10).json()
    workloads: list[Any] = body["workloads"]
    return workloads


def _indexer(url: str, namespace: str) -> Callable[[], list[Any]]:
    return lambda: _indexed(url, namespace)


def _updates(url: str, namespace: str) -> list[Any]:
    found: list[Any] = httpx.get(
        f"{url}/api/v1/updates", params={"namespace": namespace}, timeout=30
    ).json()
    return found


def test_two_replicas_make_one_proposal(
    dev_env: DevStatus, kube: Kube, namespace: str, second_replica: Headwind
) -> None:
    image = f"{dev_env.registry}/{namespace}/web"
    manifest = manifests.deployment("web", f"{image}:1.0.0", 1)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "minor",
        "headwind.sh/event-source": "both",
        "headwind.sh/polling-interval": "5s",
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)
    for url in (dev_env.api_url, second_replica.url):
        wait_for(_indexer(url, namespace), bool, what=f"{url} to index web")

    pushed = subprocess.run(
        [*headwind_cli(), "dev", "push", f"{image}:1.1.0"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HEADWIND_STATE_DIR": dev_env.state_dir},
        timeout=60,
    )
    assert pushed.returncode == 0, pushed.stderr
    announced = httpx.post(
        f"{second_replica.url}/webhook/native",
        json={"image": f"{image}:1.1.0"},
        headers={"Authorization": f"Bearer {dev_env.webhook_token}"},
        timeout=30,
    )
    assert announced.status_code == 202, announced.text
    assert announced.json()["proposed"] == 1

    updates = wait_for(
        lambda: _updates(dev_env.api_url, namespace),
        lambda found: any(u["phase"] == "Pending" for u in found),
        what="the update request to be pending",
        timeout=60,
    )
    # Duplicates would come later: let the 5 s polling schedule fire again, then count.
    time.sleep(8)
    updates = _updates(dev_env.api_url, namespace)
    assert [(u["tag"], u["phase"]) for u in updates] == [("1.1.0", "Pending")]
    requests = kube.custom.list_namespaced_custom_object(
        "headwind.sh", "v1alpha1", namespace, "updaterequests"
    )["items"]
    assert len(requests) == 1
