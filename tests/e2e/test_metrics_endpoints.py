"""The Temporal SDK's own metrics endpoint serves what the Grafana dashboard queries."""

from __future__ import annotations

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

TEMPORAL_SDK_METRICS = (
    "temporal_workflow_task_execution_latency_bucket",
    "temporal_workflow_task_schedule_to_start_latency_bucket",
    "temporal_activity_execution_latency_bucket",
    "temporal_activity_execution_failed",
)
"""Series of the SDK endpoint (`HEADWIND_TEMPORAL_METRICS_PORT`) that deploy/grafana uses."""


def test_the_sdk_endpoint_serves_the_dashboard_series(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    manifest = manifests.deployment("web", "127.0.0.1:5000/e2e/sdk-metrics:1.0.0", 1)
    manifest["metadata"]["annotations"] = {"headwind.sh/policy": "minor"}
    kube.apps.create_namespaced_deployment(namespace, manifest)
    body = {"kind": "Deployment", "namespace": namespace, "name": "web", "container": "main"}
    proposed = httpx.post(f"{dev_env.api_url}/api/v1/updates", json={**body, "tag": "1.1.0"})
    assert proposed.status_code == 202, proposed.text
    url = f"http://127.0.0.1:{dev_env.ports['worker_metrics']}/metrics"

    def missing() -> set[str]:
        text = httpx.get(url, timeout=10).text
        return {name for name in TEMPORAL_SDK_METRICS if name not in text}

    # `activity_execution_failed` appears once any activity failed; the others at once.
    left = wait_for(missing, lambda m: m <= {"temporal_activity_execution_failed"}, what=url)
    assert left <= {"temporal_activity_execution_failed"}
