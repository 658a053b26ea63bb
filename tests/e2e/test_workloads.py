"""Workloads really roll out on the local control plane: real controllers, kwok kubelets.

These are the behaviours Headwind's health checks will judge later, so each is proved here
first: rollouts complete, and the image-tag endings `-crashloop`, `-pullfail` and
`-neverready` (or `.crashloop`, ...) produce the pod states a broken release produces on a
real cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

IMAGE = "127.0.0.1:5000/e2e/web"
"""Images are never pulled (kwok), so the registry need not hold them."""


def _pods(kube: Kube, namespace: str, app: str) -> list[Any]:
    return list(kube.core.list_namespaced_pod(namespace, label_selector=f"app={app}").items)


def _is_ready(pod: Any) -> bool:
    conditions = pod.status.conditions or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _deployment_complete(deployment: Any, replicas: int) -> bool:
    status = deployment.status
    return bool(
        status.observed_generation == deployment.metadata.generation
        and status.replicas == replicas
        and status.updated_replicas == replicas
        and status.ready_replicas == replicas
        and status.available_replicas == replicas
    )


def test_apiserver_reports_the_pinned_version(kube: Kube, dev_env: DevStatus) -> None:
    assert dev_env.kubernetes_version, "the build recorded no version (versions.json)"
    assert kube.version.get_code().git_version == dev_env.kubernetes_version


def test_fake_nodes_are_ready(kube: Kube, dev_env: DevStatus) -> None:
    nodes = kube.core.list_node(label_selector="type=kwok").items
    ready = {node.metadata.name for node in nodes if _is_ready(node)}
    assert len(dev_env.nodes) >= 3
    assert ready == set(dev_env.nodes)


def test_deployment_becomes_fully_available(kube: Kube, namespace: str, dev_env: DevStatus) -> None:
    apps = kube.apps
    apps.create_namespaced_deployment(namespace, manifests.deployment("web", f"{IMAGE}:1.0.0"))

    wait_for(
        lambda: apps.read_namespaced_deployment("web", namespace),
        lambda deployment: _deployment_complete(deployment, 3),
        what="3 available replicas",
    )
    pods = _pods(kube, namespace, "web")
    assert len(pods) == 3
    assert all(pod.status.phase == "Running" and _is_ready(pod) for pod in pods)
    assert {pod.spec.node_name for pod in pods} <= set(dev_env.nodes)


def test_rolling_update_to_a_new_image_completes(kube: Kube, namespace: str) -> None:
    apps = kube.apps
    apps.create_namespaced_deployment(namespace, manifests.deployment("web", f"{IMAGE}:1.0.0"))
    wait_for(
        lambda: apps.read_namespaced_deployment("web", namespace),
        lambda deployment: _deployment_complete(deployment, 3),
        what="the first rollout",
    )

    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "main", "image": f"{IMAGE}:1.1.0"}]}}
        }
    }
    apps.patch_namespaced_deployment("web", namespace, patch)

    wait_for(
        lambda: apps.read_namespaced_deployment("web", namespace),
        lambda deployment: _deployment_complete(deployment, 3),
        what="the rolling update to 1.1.0",
    )
    pods = wait_for(
        lambda: _pods(kube, namespace, "web"),
        lambda pods: len(pods) == 3,
        what="old pods to go",
    )
    assert {pod.spec.containers[0].image for pod in pods} == {f"{IMAGE}:1.1.0"}
    assert all(_is_ready(pod) for pod in pods)


def _main_status(pod: Any) -> Any:
    statuses = pod.status.container_statuses or []
    return statuses[0] if statuses else None


def _waiting_reason(pod: Any) -> str | None:
    status = _main_status(pod)
    if status is None or status.state is None or status.state.waiting is None:
        return None
    return str(status.state.waiting.reason)


def _expect_crashloop(observe: Callable[[], Any]) -> None:
    first = wait_for(
        observe,
        lambda pod: pod is not None and _waiting_reason(pod) == "CrashLoopBackOff",
        what="CrashLoopBackOff",
    )
    restarts = _main_status(first).restart_count
    assert restarts >= 1
    assert first.status.phase == "Running"
    assert not _is_ready(first)
    assert _main_status(first).last_state.terminated.exit_code == 1
    # The count must keep rising, as a kubelet's does, or health checks could not see a crash loop.
    wait_for(
        observe,
        lambda pod: _main_status(pod).restart_count > restarts,
        what=f"restartCount to rise above {restarts}",
        timeout=30,
    )


def _expect_pullfail(observe: Callable[[], Any]) -> None:
    pod = wait_for(
        observe,
        lambda pod: pod is not None and _waiting_reason(pod) == "ImagePullBackOff",
        what="ImagePullBackOff",
    )
    assert pod.status.phase == "Pending"
    assert _main_status(pod).restart_count == 0
    assert not _is_ready(pod)


def _expect_neverready(observe: Callable[[], Any]) -> None:
    pod = wait_for(
        observe,
        lambda pod: pod is not None and pod.status.phase == "Running",
        what="the pod to run",
    )
    status = _main_status(pod)
    assert status.state.running is not None
    assert status.ready is False
    assert status.restart_count == 0
    assert not _is_ready(pod)


@dataclass(frozen=True)
class Unhealthy:
    suffix: str
    expect: Callable[[Callable[[], Any]], None]


@pytest.mark.parametrize(
    "case",
    [
        Unhealthy("crashloop", _expect_crashloop),
        # The prerelease form a semver policy with `prerelease: true` accepts.
        Unhealthy("rc.crashloop", _expect_crashloop),
        Unhealthy("pullfail", _expect_pullfail),
        Unhealthy("neverready", _expect_neverready),
    ],
    ids=lambda case: case.suffix,
)
def test_image_tag_suffix_makes_pods_unhealthy(kube: Kube, namespace: str, case: Unhealthy) -> None:
    apps = kube.apps
    image = f"{IMAGE}:2.0.0-{case.suffix}"
    apps.create_namespaced_deployment(namespace, manifests.deployment("web", image, replicas=1))

    def observe() -> Any:
        pods = _pods(kube, namespace, "web")
        return pods[0] if pods else None

    case.expect(observe)
    deployment = apps.read_namespaced_deployment("web", namespace)
    assert not deployment.status.available_replicas


def _statefulset_rolled_out(statefulset: Any) -> bool:
    status = statefulset.status
    return bool(
        status.observed_generation == statefulset.metadata.generation
        and status.ready_replicas == statefulset.spec.replicas
        and status.updated_replicas == statefulset.spec.replicas
        and status.current_revision == status.update_revision
    )


def _daemonset_rolled_out(daemonset: Any) -> bool:
    status = daemonset.status
    return bool(
        status.observed_generation == daemonset.metadata.generation
        and status.desired_number_scheduled >= 3
        and status.number_ready == status.desired_number_scheduled
        and status.updated_number_scheduled == status.desired_number_scheduled
        and not status.number_unavailable
    )


@dataclass(frozen=True)
class Workload:
    kind: str
    manifest: Callable[[str, str], dict[str, Any]]
    create: Callable[[Any, str, dict[str, Any]], Any]
    read: Callable[[Any, str, str], Any]
    patch: Callable[[Any, str, str, dict[str, Any]], Any]
    rolled_out: Callable[[Any], bool]


WORKLOADS = [
    Workload(
        "StatefulSet",
        manifests.statefulset,
        lambda apps, ns, body: apps.create_namespaced_stateful_set(ns, body),
        lambda apps, ns, name: apps.read_namespaced_stateful_set(name, ns),
        lambda apps, ns, name, body: apps.patch_namespaced_stateful_set(name, ns, body),
        _statefulset_rolled_out,
    ),
    Workload(
        "DaemonSet",
        manifests.daemonset,
        lambda apps, ns, body: apps.create_namespaced_daemon_set(ns, body),
        lambda apps, ns, name: apps.read_namespaced_daemon_set(name, ns),
        lambda apps, ns, name, body: apps.patch_namespaced_daemon_set(name, ns, body),
        _daemonset_rolled_out,
    ),
]


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda workload: workload.kind)
def test_workload_rolls_out_and_updates(kube: Kube, namespace: str, workload: Workload) -> None:
    apps = kube.apps
    workload.create(apps, namespace, workload.manifest("web", f"{IMAGE}:1.0.0"))
    wait_for(
        lambda: workload.read(apps, namespace, "web"),
        workload.rolled_out,
        what=f"the {workload.kind} to roll out",
    )

    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "main", "image": f"{IMAGE}:1.1.0"}]}}
        }
    }
    workload.patch(apps, namespace, "web", patch)
    wait_for(
        lambda: workload.read(apps, namespace, "web"),
        workload.rolled_out,
        what=f"the {workload.kind} to roll out 1.1.0",
        timeout=90,
    )
    pods = wait_for(
        lambda: _pods(kube, namespace, "web"),
        lambda pods: {pod.spec.containers[0].image for pod in pods} == {f"{IMAGE}:1.1.0"},
        what="every pod to run 1.1.0",
    )
    assert all(_is_ready(pod) for pod in pods)


def test_job_from_a_cronjob_completes(kube: Kube, namespace: str) -> None:
    batch = kube.batch
    manifest = manifests.cronjob("nightly", f"{IMAGE}:1.0.0")
    cronjob = batch.create_namespaced_cron_job(namespace, manifest)
    # What `kubectl create job --from=cronjob/nightly` does: the CronJob's template, owned by it.
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "nightly-manual",
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": "nightly",
                    "uid": cronjob.metadata.uid,
                    "controller": True,
                }
            ],
        },
        "spec": manifest["spec"]["jobTemplate"]["spec"],
    }
    batch.create_namespaced_job(namespace, job)

    finished = wait_for(
        lambda: batch.read_namespaced_job("nightly-manual", namespace),
        lambda job: bool(job.status.succeeded) or bool(job.status.failed),
        what="the Job to finish",
    )
    assert finished.status.succeeded == 1
    conditions = {c.type: c.status for c in finished.status.conditions or []}
    assert conditions.get("Complete") == "True"
