"""The update workflow end to end: REST API → Temporal → real apiserver with kwok nodes.

Every test creates annotated workloads in a namespace of its own, proposes candidates through
Headwind's REST API (the entry point detectors share) and checks what the cluster, the
UpdateRequest mirror, the API and its metrics say afterwards.
"""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus
from prometheus_client.parser import text_string_to_metric_families

from headwind import naming
from tests.e2e import manifests
from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

REPO = "127.0.0.1:5000/e2e/web"
ANNOTATIONS = {"headwind.sh/policy": "minor", "headwind.sh/min-update-interval": "0"}


@pytest.fixture(scope="module")
def api(dev_env: DevStatus) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_env.api_url, timeout=120) as client:
        yield client


def _metrics(api: httpx.Client, namespace: str | None = None) -> dict[str, float]:
    """Each sample of the live /metrics, summed over the workloads of `namespace` if given.

    Counters are labelled by namespace, and every test has a namespace of its own: a test
    checks what its own scenario counted, whichever tests ran before it.
    """
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(api.get("/metrics").text):
        for sample in family.samples:
            if namespace is None or sample.labels.get("namespace") == namespace:
                sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
    return sums


def _wait_counted(api: httpx.Client, namespace: str, *counters: str) -> None:
    """Waits until each counter has counted this namespace's workloads.

    The activity that counts may finish after the phase the test waited for is visible.
    """
    wait_for(
        lambda: _metrics(api, namespace),
        lambda sums: all(sums.get(name, 0) > 0 for name in counters),
        what=f"{', '.join(counters)} to count namespace {namespace}",
        timeout=30,
        interval=0.5,
    )


def _annotated(manifest: dict[str, Any], **annotations: str) -> dict[str, Any]:
    manifest["metadata"]["annotations"] = {**ANNOTATIONS, **annotations}
    return manifest


def _create(kube: Kube, namespace: str, manifest: dict[str, Any]) -> None:
    kind = manifest["kind"]
    if kind == "Deployment":
        kube.apps.create_namespaced_deployment(namespace, manifest)
    elif kind == "StatefulSet":
        kube.apps.create_namespaced_stateful_set(namespace, manifest)
    elif kind == "DaemonSet":
        kube.apps.create_namespaced_daemon_set(namespace, manifest)
    elif kind == "CronJob":
        kube.batch.create_namespaced_cron_job(namespace, manifest)
    else:
        raise AssertionError(kind)


def _raw(kube: Kube, kind: str, namespace: str, name: str) -> dict[str, Any]:
    """The object as JSON (camelCase keys), as `kubectl get -o json` shows it."""
    readers = {
        "Deployment": kube.apps.read_namespaced_deployment,
        "StatefulSet": kube.apps.read_namespaced_stateful_set,
        "DaemonSet": kube.apps.read_namespaced_daemon_set,
        "CronJob": kube.batch.read_namespaced_cron_job,
    }
    if kind == "HelmRelease":
        obj = kube.custom.get_namespaced_custom_object(
            "helm.toolkit.fluxcd.io", "v2", namespace, "helmreleases", name
        )
    else:
        obj = readers[kind](name=name, namespace=namespace)
    body: dict[str, Any] = kube.client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
    return body


def _image(kube: Kube, kind: str, namespace: str, name: str) -> str:
    obj = _raw(kube, kind, namespace, name)
    if kind == "CronJob":
        spec = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    else:
        spec = obj["spec"]["template"]["spec"]
    return str(spec["containers"][0]["image"])


def _propose(api: httpx.Client, kind: str, namespace: str, name: str, tag: str) -> str:
    response = api.post(
        "/api/v1/updates",
        json={"kind": kind, "namespace": namespace, "name": name, "container": "main", "tag": tag},
    )
    assert response.status_code == 202, response.text
    request_name: str = response.json()["request_name"]
    return request_name


def _status(api: httpx.Client, namespace: str, request: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/updates/{namespace}/{request}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait_phase(
    api: httpx.Client, namespace: str, request: str, phase: str, timeout: float = 60
) -> dict[str, Any]:
    return wait_for(
        lambda: _status(api, namespace, request),
        lambda s: s["phase"] == phase,
        what=f"{namespace}/{request} to reach {phase}",
        timeout=timeout,
        interval=0.5,
    )


def _request_cr(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    cr: dict[str, Any] = kube.custom.get_namespaced_custom_object(
        "headwind.sh", "v1alpha1", namespace, "updaterequests", name
    )
    return cr


def _rolled_out(kube: Kube, namespace: str, name: str, image: str) -> bool:
    d = kube.apps.read_namespaced_deployment(namespace=namespace, name=name)
    s = d.status
    return bool(
        d.spec.template.spec.containers[0].image == image
        and s.observed_generation == d.metadata.generation
        and s.updated_replicas == d.spec.replicas
        and s.ready_replicas == d.spec.replicas
        and s.replicas == d.spec.replicas
    )


def test_auto_update_is_patched_and_rolls_out(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 2),
            **{"headwind.sh/require-approval": "false"},
        ),
    )
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    status = _wait_phase(api, namespace, request, "Completed")
    assert status["new_image"] == f"{REPO}:1.1.0"
    wait_for(
        lambda: _rolled_out(kube, namespace, "web", f"{REPO}:1.1.0"),
        bool,
        what="the rollout to 1.1.0",
        timeout=90,
    )
    annotations = _raw(kube, "Deployment", namespace, "web")["metadata"]["annotations"]
    history = json.loads(annotations["headwind.sh/update-history"])
    assert history[0]["image"] == f"{REPO}:1.1.0"
    assert history[0]["previousImage"] == f"{REPO}:1.0.0"
    assert "headwind.sh/last-update" in annotations
    _wait_counted(api, namespace, "headwind_updates_applied_total")


def test_approval_path_mirrors_the_request(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(kube, namespace, _annotated(manifests.deployment("web", f"{REPO}:1.0.0", 1)))
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Pending")
    cr = wait_for(
        lambda: _request_cr(kube, namespace, request),
        lambda c: c.get("status", {}).get("phase") == "Pending",
        what="the CR",
    )
    assert cr["spec"]["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert cr["spec"]["containerName"] == "main"
    assert cr["spec"]["currentImage"] == f"{REPO}:1.0.0"
    assert cr["spec"]["newImage"] == f"{REPO}:1.1.0"
    assert cr["spec"]["policy"] == "minor"
    assert cr["spec"]["workflowId"] == naming.update_workflow_id(namespace, request)
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.0"
    wait_for(
        lambda: _metrics(api).get("headwind_updates_pending", 0),
        lambda pending: pending >= 1,
        what="headwind_updates_pending to count the request (read from Temporal)",
        timeout=30,
    )

    response = api.post(
        f"/api/v1/updates/{namespace}/{request}/approve", json={"approver": "alice"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["approved_by"] == "alice"
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.1.0"
    cr = wait_for(
        lambda: _request_cr(kube, namespace, request),
        lambda c: c.get("status", {}).get("phase") == "Completed",
        what="CR Completed",
    )
    assert cr["status"]["approvedBy"] == "alice"
    assert cr["status"]["approvedAt"]
    _wait_counted(api, namespace, "headwind_updates_approved_total")


def test_reject_is_remembered(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(kube, namespace, _annotated(manifests.deployment("web", f"{REPO}:1.0.0", 1)))
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Pending")
    response = api.post(
        f"/api/v1/updates/{namespace}/{request}/reject",
        json={"approver": "bob", "reason": "known bug"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == "Rejected"
    wait_for(
        lambda: _status(api, namespace, request),
        lambda s: not s["running"],
        what="the rejected workflow to close",
    )

    again = _propose(api, "Deployment", namespace, "web", "1.1.0")
    skipped = _wait_phase(api, namespace, again, "Skipped")
    assert skipped["reason"] == "rejected-earlier"
    newer = _propose(api, "Deployment", namespace, "web", "1.2.0")
    _wait_phase(api, namespace, newer, "Pending")
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.0"
    _wait_counted(api, namespace, "headwind_updates_rejected_total")


def test_expired_request_refuses_approval(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 1),
            **{"headwind.sh/approval-timeout": "2s"},
        ),
    )
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Expired", timeout=30)
    response = api.post(f"/api/v1/updates/{namespace}/{request}/approve", json={})
    assert response.status_code == 409, response.text
    assert "Expired" in response.json()["detail"]
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.0"


def test_unknown_request_is_404_and_bad_body_422(api: httpx.Client) -> None:
    assert api.post("/api/v1/updates/nowhere/nothing/approve", json={}).status_code == 404
    assert api.get("/api/v1/updates/nowhere/nothing").status_code == 404
    bad = api.post("/api/v1/updates", json={"kind": "Pod", "namespace": "x", "name": "y"})
    assert bad.status_code == 422


def test_min_update_interval_defers(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 1),
            **{"headwind.sh/require-approval": "false", "headwind.sh/min-update-interval": "8s"},
        ),
    )
    first = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, first, "Completed")
    second = _propose(api, "Deployment", namespace, "web", "1.2.0")
    _wait_phase(api, namespace, second, "Waiting", timeout=10)
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.1.0"
    _wait_phase(api, namespace, second, "Completed", timeout=30)
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.2.0"
    _wait_counted(api, namespace, "headwind_updates_skipped_interval_total")


def test_newer_candidate_supersedes(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(kube, namespace, _annotated(manifests.deployment("web", f"{REPO}:1.0.0", 1)))
    old = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, old, "Pending")
    new = _propose(api, "Deployment", namespace, "web", "1.2.0")
    _wait_phase(api, namespace, old, "Superseded")
    _wait_phase(api, namespace, new, "Pending")
    wait_for(
        lambda: _request_cr(kube, namespace, old),
        lambda c: c.get("status", {}).get("phase") == "Superseded",
        what="old CR Superseded",
    )


def test_changed_image_makes_request_stale(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(kube, namespace, _annotated(manifests.deployment("web", f"{REPO}:1.0.0", 1)))
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Pending")
    kube.apps.patch_namespaced_deployment(
        "web",
        namespace,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "main", "image": f"{REPO}:1.0.1"}]}}
            }
        },
    )
    response = api.post(f"/api/v1/updates/{namespace}/{request}/approve", json={})
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == "Stale"
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.1"


def test_crashloop_rolls_back_and_is_not_proposed_again(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 2),
            **{
                # `all` ignores variants: the kwok failure suffixes (-crashloop) are variants.
                "headwind.sh/policy": "all",
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": "true",
                "headwind.sh/rollback-timeout": "90s",
                "headwind.sh/health-check-retries": "2",
            },
        ),
    )
    wait_for(
        lambda: _rolled_out(kube, namespace, "web", f"{REPO}:1.0.0"),
        bool,
        what="the first rollout",
        timeout=90,
    )
    request = _propose(api, "Deployment", namespace, "web", "1.1.0-crashloop")
    status = _wait_phase(api, namespace, request, "RolledBack", timeout=120)
    assert "CrashLoopBackOff" in status["message"] or "restarted" in status["message"]
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.0"
    annotations = _raw(kube, "Deployment", namespace, "web")["metadata"]["annotations"]
    assert json.loads(annotations["headwind.sh/failed-tags"]) == {"main": ["1.1.0-crashloop"]}
    # The workflow reports its terminal phase a moment before it closes; a proposal of the
    # same candidate in that moment joins the closing run, so wait until it has closed.
    wait_for(
        lambda: _status(api, namespace, request),
        lambda s: not s["running"],
        what="the rolled-back workflow to close",
    )
    again = _propose(api, "Deployment", namespace, "web", "1.1.0-crashloop")
    assert _wait_phase(api, namespace, again, "Skipped")["reason"] == "failed-earlier"
    _wait_counted(
        api,
        namespace,
        "headwind_deployment_health_checks_total",
        "headwind_deployment_health_failures_total",
        "headwind_rollbacks_total",
        "headwind_rollbacks_automatic_total",
        "headwind_updates_failed_total",
    )


def test_concurrent_approvals_patch_once(api: httpx.Client, kube: Kube, namespace: str) -> None:
    _create(kube, namespace, _annotated(manifests.deployment("web", f"{REPO}:1.0.0", 1)))
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Pending")
    generation = _raw(kube, "Deployment", namespace, "web")["metadata"]["generation"]

    def approve(i: int) -> int:
        response = api.post(
            f"/api/v1/updates/{namespace}/{request}/approve", json={"approver": f"user-{i}"}
        )
        return response.status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(approve, range(10)))
    assert sorted(codes) == [200] + [409] * 9
    obj = _raw(kube, "Deployment", namespace, "web")
    assert obj["metadata"]["generation"] == generation + 1
    history = json.loads(obj["metadata"]["annotations"]["headwind.sh/update-history"])
    assert len(history) == 1


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("StatefulSet", lambda: manifests.statefulset("app", f"{REPO}:1.0.0", 2)),
        ("DaemonSet", lambda: manifests.daemonset("app", f"{REPO}:1.0.0")),
        ("CronJob", lambda: manifests.cronjob("app", f"{REPO}:1.0.0")),
    ],
    ids=["statefulset", "daemonset", "cronjob"],
)
def test_other_kinds_are_updated(
    api: httpx.Client, kube: Kube, namespace: str, kind: str, make: Any
) -> None:
    rollback = "false" if kind == "CronJob" else "true"
    _create(
        kube,
        namespace,
        _annotated(
            make(),
            **{
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": rollback,
                "headwind.sh/rollback-timeout": "90s",
            },
        ),
    )
    request = _propose(api, kind, namespace, "app", "1.1.0")
    status = _wait_phase(api, namespace, request, "Completed", timeout=120)
    assert _image(kube, kind, namespace, "app") == f"{REPO}:1.1.0", status


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"], ids=["statefulset", "daemonset"])
def test_other_kinds_roll_back(api: httpx.Client, kube: Kube, namespace: str, kind: str) -> None:
    make = manifests.statefulset if kind == "StatefulSet" else manifests.daemonset
    manifest = make("app", f"{REPO}:1.0.0")
    _create(
        kube,
        namespace,
        _annotated(
            manifest,
            **{
                # `all` ignores variants: the kwok failure suffixes (-crashloop) are variants.
                "headwind.sh/policy": "all",
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": "true",
                "headwind.sh/rollback-timeout": "90s",
                "headwind.sh/health-check-retries": "2",
            },
        ),
    )
    request = _propose(api, kind, namespace, "app", "1.1.0-pullfail")
    _wait_phase(api, namespace, request, "RolledBack", timeout=150)
    assert _image(kube, kind, namespace, "app") == f"{REPO}:1.0.0"


def _helm_release(annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "annotations": {**ANNOTATIONS, **annotations}},
        "spec": {
            "interval": "5m",
            "chart": {
                "spec": {
                    "chart": "podinfo",
                    "version": "6.5.0",
                    "sourceRef": {"kind": "HelmRepository", "name": "charts"},
                }
            },
        },
    }


def _propose_chart(api: httpx.Client, namespace: str, version: str) -> str:
    response = api.post(
        "/api/v1/updates",
        json={
            "kind": "HelmRelease",
            "namespace": namespace,
            "name": "podinfo",
            "container": "chart",
            "tag": version,
        },
    )
    assert response.status_code == 202, response.text
    request: str = response.json()["request_name"]
    return request


def _flux_reports(kube: Kube, namespace: str, status: str, reason: str) -> None:
    """Play Flux's helm-controller: set the release's Ready condition for its generation."""
    generation = _raw(kube, "HelmRelease", namespace, "podinfo")["metadata"]["generation"]
    condition = {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": f"Helm upgrade {reason}",
        "observedGeneration": generation,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    kube.custom.patch_namespaced_custom_object_status(
        "helm.toolkit.fluxcd.io",
        "v2",
        namespace,
        "helmreleases",
        "podinfo",
        {"status": {"observedGeneration": generation, "conditions": [condition]}},
    )


def test_helmrelease_chart_version_is_updated(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    kube.custom.create_namespaced_custom_object(
        "helm.toolkit.fluxcd.io",
        "v2",
        namespace,
        "helmreleases",
        _helm_release({"headwind.sh/require-approval": "false"}),
    )
    _wait_phase(api, namespace, _propose_chart(api, namespace, "6.6.0"), "Completed")
    obj = _raw(kube, "HelmRelease", namespace, "podinfo")
    assert obj["spec"]["chart"]["spec"]["version"] == "6.6.0"


def test_helmrelease_upgrade_failure_rolls_back(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    kube.custom.create_namespaced_custom_object(
        "helm.toolkit.fluxcd.io",
        "v2",
        namespace,
        "helmreleases",
        _helm_release(
            {
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": "true",
                "headwind.sh/rollback-timeout": "60s",
                "headwind.sh/health-check-retries": "2",
            }
        ),
    )
    request = _propose_chart(api, namespace, "6.6.0")
    _wait_phase(api, namespace, request, "Monitoring")
    _flux_reports(kube, namespace, "False", "UpgradeFailed")
    final = _wait_phase(api, namespace, request, "RolledBack", timeout=60)
    assert "UpgradeFailed" in final["message"]
    obj = _raw(kube, "HelmRelease", namespace, "podinfo")
    assert obj["spec"]["chart"]["spec"]["version"] == "6.5.0"
    failed = json.loads(obj["metadata"]["annotations"]["headwind.sh/failed-tags"])
    assert failed == {"chart": ["6.6.0"]}


def test_manual_rollback_right_after_first_update(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 1),
            **{"headwind.sh/require-approval": "false"},
        ),
    )
    request = _propose(api, "Deployment", namespace, "web", "1.1.0")
    _wait_phase(api, namespace, request, "Completed")
    response = api.post(
        f"/api/v1/workloads/deployment/{namespace}/web/rollback",
        json={"container": "main", "requested_by": "carol"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["to_image"] == f"{REPO}:1.0.0"
    assert _image(kube, "Deployment", namespace, "web") == f"{REPO}:1.0.0"
    history = api.get(f"/api/v1/workloads/deployment/{namespace}/web/history").json()
    assert [h["kind"] for h in history] == ["rollback", "update"]
    assert history[0]["by"] == "carol"
    _wait_counted(api, namespace, "headwind_rollbacks_total", "headwind_rollbacks_manual_total")


def test_rollback_that_cannot_be_written_fails(
    api: httpx.Client, kube: Kube, namespace: str
) -> None:
    _create(
        kube,
        namespace,
        _annotated(
            manifests.deployment("web", f"{REPO}:1.0.0", 1),
            **{
                "headwind.sh/policy": "all",
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": "true",
                "headwind.sh/rollback-timeout": "60s",
                "headwind.sh/health-check-retries": "2",
            },
        ),
    )
    request = _propose(api, "Deployment", namespace, "web", "1.1.0-crashloop")
    _wait_phase(api, namespace, request, "Monitoring")
    kube.apps.delete_namespaced_deployment("web", namespace)
    final = _wait_phase(api, namespace, request, "Failed", timeout=90)
    assert final["reason"] == "rollback-failed"
    assert "deleted" in final["message"]
    _wait_counted(
        api, namespace, "headwind_rollbacks_failed_total", "headwind_updates_failed_total"
    )
