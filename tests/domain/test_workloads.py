"""Where images live per kind, the patches that change them, and rollout health judgement."""

from __future__ import annotations

from typing import Any

import pytest

from headwind import workloads
from headwind.models import HealthState, WorkloadKind

POD_SPEC = {
    "containers": [{"name": "app", "image": "nginx:1.25"}, {"name": "side", "image": "busybox:1"}],
    "initContainers": [{"name": "init", "image": "alpine:3.19"}],
}


def _workload(kind: WorkloadKind) -> dict[str, Any]:
    if kind == WorkloadKind.CRONJOB:
        return {"spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}}}
    if kind == WorkloadKind.HELMRELEASE:
        return {"spec": {"chart": {"spec": {"chart": "podinfo", "version": "6.5.0"}}}}
    return {"spec": {"template": {"spec": POD_SPEC}, "selector": {"matchLabels": {"app": "web"}}}}


@pytest.mark.parametrize(
    ("kind", "include_init", "expected"),
    [
        (
            WorkloadKind.DEPLOYMENT,
            False,
            [
                ("app", "/spec/template/spec/containers/0/image"),
                ("side", "/spec/template/spec/containers/1/image"),
            ],
        ),
        (
            WorkloadKind.STATEFULSET,
            True,
            [
                ("app", "/spec/template/spec/containers/0/image"),
                ("side", "/spec/template/spec/containers/1/image"),
                ("init", "/spec/template/spec/initContainers/0/image"),
            ],
        ),
        (
            WorkloadKind.CRONJOB,
            False,
            [
                ("app", "/spec/jobTemplate/spec/template/spec/containers/0/image"),
                ("side", "/spec/jobTemplate/spec/template/spec/containers/1/image"),
            ],
        ),
        (WorkloadKind.HELMRELEASE, False, [("chart", "/spec/chart/spec/version")]),
    ],
    ids=["deployment", "statefulset-with-init", "cronjob-job-template", "helmrelease-chart"],
)
def test_spots(kind: WorkloadKind, include_init: bool, expected: list[tuple[str, str]]) -> None:
    found = workloads.spots(kind, _workload(kind), include_init=include_init)
    assert [(s.name, s.pointer) for s in found] == expected


def test_helm_spot_reads_chart_and_version() -> None:
    spot = workloads.find(WorkloadKind.HELMRELEASE, _workload(WorkloadKind.HELMRELEASE), "chart")
    assert spot is not None
    assert (spot.image, spot.value) == ("podinfo:6.5.0", "6.5.0")
    ops = workloads.replace_ops(WorkloadKind.HELMRELEASE, spot, "podinfo:6.6.0")
    assert ops[1] == {"op": "replace", "path": "/spec/chart/spec/version", "value": "6.6.0"}


@pytest.mark.parametrize(
    ("obj", "expected_first"),
    [
        ({"metadata": {}}, {"op": "add", "path": "/metadata/annotations", "value": {}}),
        (
            {"metadata": {"annotations": {"a": "b"}}},
            {"op": "add", "path": "/metadata/annotations/headwind.sh~1last-update", "value": "t"},
        ),
    ],
    ids=["creates-missing-map", "escapes-slash-in-key"],
)
def test_annotation_ops(obj: dict[str, Any], expected_first: dict[str, Any]) -> None:
    assert workloads.annotation_ops(obj, {"headwind.sh/last-update": "t"})[0] == expected_first


def test_replace_ops_test_the_old_value_first() -> None:
    spot = workloads.find(WorkloadKind.DEPLOYMENT, _workload(WorkloadKind.DEPLOYMENT), "app")
    assert spot is not None
    assert workloads.replace_ops(WorkloadKind.DEPLOYMENT, spot, "nginx:1.26") == [
        {"op": "test", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.25"},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.26"},
    ]


def _pod(image: str, waiting: str | None = None, restarts: int = 0) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {
        "metadata": {"name": f"pod-{image}"},
        "spec": {"containers": [{"name": "app", "image": image}]},
        "status": {
            "containerStatuses": [{"name": "app", "state": state, "restartCount": restarts}]
        },
    }


def _deploy(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"generation": 2},
        "spec": {"replicas": 3},
        "status": {"observedGeneration": 2, **status},
    }


DONE = {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}

HEALTH_CASES: list[
    tuple[str, WorkloadKind, dict[str, Any], list[dict[str, Any]], HealthState, str]
] = [
    (
        "deploy-complete",
        WorkloadKind.DEPLOYMENT,
        _deploy(**DONE),
        [_pod("new")],
        HealthState.HEALTHY,
        "complete",
    ),
    (
        "deploy-not-observed",
        WorkloadKind.DEPLOYMENT,
        {"spec": {"replicas": 1}, "status": {"observedGeneration": 1}},
        [],
        HealthState.PROGRESSING,
        "not observed",
    ),
    (
        "deploy-rolling",
        WorkloadKind.DEPLOYMENT,
        _deploy(replicas=4, updatedReplicas=2, readyReplicas=3),
        [_pod("new")],
        HealthState.PROGRESSING,
        "2/3 updated",
    ),
    (
        "deploy-crashloop",
        WorkloadKind.DEPLOYMENT,
        _deploy(),
        [_pod("new", "CrashLoopBackOff", 3)],
        HealthState.FAILING,
        "CrashLoopBackOff",
    ),
    (
        "deploy-pull-backoff",
        WorkloadKind.DEPLOYMENT,
        _deploy(),
        [_pod("new", "ImagePullBackOff")],
        HealthState.FAILING,
        "ImagePullBackOff",
    ),
    (
        "deploy-err-image-pull",
        WorkloadKind.DEPLOYMENT,
        _deploy(),
        [_pod("new", "ErrImagePull")],
        HealthState.FAILING,
        "ErrImagePull",
    ),
    (
        "deploy-config-error",
        WorkloadKind.DEPLOYMENT,
        _deploy(),
        [_pod("new", "CreateContainerConfigError")],
        HealthState.FAILING,
        "CreateContainerConfigError",
    ),
    (
        "deploy-restarts",
        WorkloadKind.DEPLOYMENT,
        _deploy(),
        [_pod("new", None, 2)],
        HealthState.FAILING,
        "restarted 2",
    ),
    (
        "old-pod-crashing-is-ignored",
        WorkloadKind.DEPLOYMENT,
        _deploy(**DONE),
        [_pod("old", "CrashLoopBackOff", 9)],
        HealthState.HEALTHY,
        "complete",
    ),
    (
        "deploy-deadline",
        WorkloadKind.DEPLOYMENT,
        _deploy(
            conditions=[
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
            ]
        ),
        [],
        HealthState.FAILING,
        "ProgressDeadlineExceeded",
    ),
    (
        "sts-revision-pending",
        WorkloadKind.STATEFULSET,
        _deploy(
            replicas=3, updatedReplicas=3, readyReplicas=3, currentRevision="a", updateRevision="b"
        ),
        [],
        HealthState.PROGRESSING,
        "rolling out",
    ),
    (
        "sts-complete",
        WorkloadKind.STATEFULSET,
        _deploy(
            replicas=3, updatedReplicas=3, readyReplicas=3, currentRevision="b", updateRevision="b"
        ),
        [],
        HealthState.HEALTHY,
        "complete",
    ),
    (
        "ds-complete",
        WorkloadKind.DAEMONSET,
        _deploy(
            desiredNumberScheduled=3, updatedNumberScheduled=3, numberReady=3, numberUnavailable=0
        ),
        [],
        HealthState.HEALTHY,
        "complete",
    ),
    (
        "ds-unavailable",
        WorkloadKind.DAEMONSET,
        _deploy(
            desiredNumberScheduled=3, updatedNumberScheduled=3, numberReady=2, numberUnavailable=1
        ),
        [],
        HealthState.PROGRESSING,
        "2/3 ready",
    ),
    ("cronjob-is-done-once-patched", WorkloadKind.CRONJOB, {}, [], HealthState.HEALTHY, "next Job"),
    (
        "helm-ready",
        WorkloadKind.HELMRELEASE,
        {"status": {"conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2}]}},
        [],
        HealthState.HEALTHY,
        "Ready",
    ),
    (
        "helm-upgrade-failed",
        WorkloadKind.HELMRELEASE,
        {
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "UpgradeFailed",
                        "observedGeneration": 2,
                    }
                ]
            }
        },
        [],
        HealthState.FAILING,
        "UpgradeFailed",
    ),
    (
        "helm-old-generation",
        WorkloadKind.HELMRELEASE,
        {"status": {"conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1}]}},
        [],
        HealthState.PROGRESSING,
        "not reconciled",
    ),
]


@pytest.mark.parametrize(
    ("kind", "obj", "pods", "state", "says"),
    [case[1:] for case in HEALTH_CASES],
    ids=[case[0] for case in HEALTH_CASES],
)
def test_judge_health(
    kind: WorkloadKind,
    obj: dict[str, Any],
    pods: list[dict[str, Any]],
    state: HealthState,
    says: str,
) -> None:
    got, message = workloads.judge_health(kind, obj, pods, "app", "new", generation=2)
    assert (got, says in message) == (state, True), message


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (WorkloadKind.DEPLOYMENT, "app=web"),
        (WorkloadKind.CRONJOB, None),
        (WorkloadKind.HELMRELEASE, None),
    ],
    ids=["deployment", "cronjob", "helmrelease"],
)
def test_pod_selector(kind: WorkloadKind, expected: str | None) -> None:
    assert workloads.pod_selector(kind, _workload(kind)) == expected
