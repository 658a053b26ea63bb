"""Where each kind keeps its images, how to change one, and how to judge its rollout.

Pure functions over Kubernetes objects as plain JSON dicts, so the rules for five kinds are
unit-tested without a cluster; the activities only fetch objects and send the patches built here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwind import images
from headwind.models import HealthState, WorkloadKind

__all__ = [
    "FAILURE_REASONS",
    "HELM_CONTAINER",
    "RESTARTED_AT",
    "ContainerSpot",
    "annotation_ops",
    "annotations_of",
    "find",
    "generation",
    "judge_health",
    "pinned_digest",
    "pod_selector",
    "pod_spec",
    "replace_ops",
    "repository_of",
    "restart_ops",
    "retag",
    "spots",
    "tag_of",
    "value_for",
]

Obj = Mapping[str, Any]

HELM_CONTAINER = "chart"
"""The pseudo-container name of a HelmRelease's chart."""

RESTARTED_AT = "headwind.sh/restarted-at"
"""Pod-template annotation that rolls a workload out when its image reference stays the same
(a `force` update to a new digest of the same tag), as `kubectl rollout restart` does with
`kubectl.kubernetes.io/restartedAt`."""

FAILURE_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "InvalidImageName",
        "RunContainerError",
    }
)
"""Waiting reasons of a new pod that mean the new version does not work."""

_POD_SPEC = {
    WorkloadKind.DEPLOYMENT: ("spec", "template", "spec"),
    WorkloadKind.STATEFULSET: ("spec", "template", "spec"),
    WorkloadKind.DAEMONSET: ("spec", "template", "spec"),
    WorkloadKind.CRONJOB: ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True)
class ContainerSpot:
    """One changeable image: the container's name, its current image, and where it lives."""

    name: str
    image: str
    """The image reference; for a HelmRelease `chart:version`."""
    pointer: str
    """JSON Pointer (RFC 6901) of the field to patch."""
    value: str
    """The field's current value (the image, or the chart version)."""
    init: bool = False


def _dig(obj: Obj, path: Sequence[str]) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def spots(kind: WorkloadKind, obj: Obj, *, include_init: bool = False) -> list[ContainerSpot]:
    """Every image Headwind could change in this object."""
    if kind == WorkloadKind.HELMRELEASE:
        chart = _dig(obj, ("spec", "chart", "spec"))
        if not isinstance(chart, Mapping) or not chart.get("chart"):
            return []
        version = str(chart.get("version") or "")
        return [
            ContainerSpot(
                name=HELM_CONTAINER,
                image=f"{chart['chart']}:{version}",
                pointer="/spec/chart/spec/version",
                value=version,
            )
        ]
    path = _POD_SPEC[kind]
    pod_spec = _dig(obj, path)
    if not isinstance(pod_spec, Mapping):
        return []
    base = "/" + "/".join(path)
    found: list[ContainerSpot] = []
    groups = [("containers", False)] + ([("initContainers", True)] if include_init else [])
    for field, init in groups:
        for index, container in enumerate(pod_spec.get(field) or []):
            image = str(container.get("image", ""))
            found.append(
                ContainerSpot(
                    name=str(container.get("name", "")),
                    image=image,
                    pointer=f"{base}/{field}/{index}/image",
                    value=image,
                    init=init,
                )
            )
    return found


def pod_spec(kind: WorkloadKind, obj: Obj) -> Mapping[str, Any] | None:
    """The pod spec of a workload (its imagePullSecrets, serviceAccountName); None for charts."""
    if kind == WorkloadKind.HELMRELEASE:
        return None
    found = _dig(obj, _POD_SPEC[kind])
    return found if isinstance(found, Mapping) else None


def restart_ops(kind: WorkloadKind, obj: Obj, at: str) -> list[dict[str, Any]]:
    """JSON Patch that sets `RESTARTED_AT` on the pod template: a new rollout, same images.

    Empty for a HelmRelease (it has no pod template; a chart has no digest to follow).
    """
    if kind == WorkloadKind.HELMRELEASE:
        return []
    template = _POD_SPEC[kind][:-1]
    ops: list[dict[str, Any]] = []
    metadata = _dig(obj, (*template, "metadata"))
    base = "/" + "/".join(template)
    if not isinstance(metadata, Mapping):
        ops.append({"op": "add", "path": f"{base}/metadata", "value": {}})
    if not isinstance(_dig(obj, (*template, "metadata", "annotations")), Mapping):
        ops.append({"op": "add", "path": f"{base}/metadata/annotations", "value": {}})
    ops.append(
        {"op": "add", "path": f"{base}/metadata/annotations/{_escape(RESTARTED_AT)}", "value": at}
    )
    return ops


def find(
    kind: WorkloadKind, obj: Obj, container: str, *, include_init: bool = True
) -> ContainerSpot | None:
    for spot in spots(kind, obj, include_init=include_init):
        if spot.name == container:
            return spot
    return None


def value_for(kind: WorkloadKind, image: str) -> str:
    """The field value that makes `image` current: the image itself, or a chart's version."""
    if kind == WorkloadKind.HELMRELEASE:
        return tag_of(kind, image)
    return image


# A HelmRelease's "image" is `<chart source>:<version>`, not an image reference: these three
# read and change either kind of reference, so no caller splits one by hand.


def tag_of(kind: WorkloadKind, image: str) -> str:
    """The tag (or chart version) of a reference; "" for a digest-only image reference.

    A digest-only reference has no tag to compare: the policy then answers "not a version".
    """
    if kind == WorkloadKind.HELMRELEASE:
        return image.rpartition(":")[2]
    return images.parse(image).effective_tag or ""


def pinned_digest(kind: WorkloadKind, image: str) -> str | None:
    """The digest an image reference pins (`repo:tag@sha256:…`); charts pin none."""
    return None if kind == WorkloadKind.HELMRELEASE else images.parse(image).digest


def repository_of(kind: WorkloadKind, image: str) -> str:
    """The normalised repository key (an image) or the chart source (a HelmRelease)."""
    if kind == WorkloadKind.HELMRELEASE:
        return image.rpartition(":")[0]
    return images.parse(image).repository_key


def retag(kind: WorkloadKind, image: str, tag: str, digest: str | None = None) -> str:
    """The same repository (or chart) at another tag; `digest` pins an image reference."""
    if kind == WorkloadKind.HELMRELEASE:
        return f"{image.rpartition(':')[0]}:{tag}"
    return images.with_tag(image, tag, digest)


def replace_ops(kind: WorkloadKind, spot: ContainerSpot, new_image: str) -> list[dict[str, Any]]:
    """JSON Patch that changes the image only if it is still what was read (the `test`)."""
    return [
        {"op": "test", "path": spot.pointer, "value": spot.value},
        {"op": "replace", "path": spot.pointer, "value": value_for(kind, new_image)},
    ]


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def annotations_of(obj: Obj) -> dict[str, str]:
    """The object's annotations as strings (absent metadata or annotations: empty)."""
    raw = (obj.get("metadata") or {}).get("annotations") or {}
    return {str(k): str(v) for k, v in raw.items()}


def generation(obj: Obj) -> int:
    """`metadata.generation`: what a controller's `observedGeneration` is compared with."""
    return int((obj.get("metadata") or {}).get("generation") or 0)


def annotation_ops(obj: Obj, changes: Mapping[str, str]) -> list[dict[str, Any]]:
    """JSON Patch that sets annotations, creating the map when the object has none."""
    ops: list[dict[str, Any]] = []
    if not isinstance(_dig(obj, ("metadata", "annotations")), Mapping):
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    ops.extend(
        {"op": "add", "path": f"/metadata/annotations/{_escape(key)}", "value": value}
        for key, value in changes.items()
    )
    return ops


def pod_selector(kind: WorkloadKind, obj: Obj) -> str | None:
    """The label selector of the workload's pods, as `k=v,k2=v2` (None: no pods to judge)."""
    if kind in (WorkloadKind.CRONJOB, WorkloadKind.HELMRELEASE):
        return None
    labels = _dig(obj, ("spec", "selector", "matchLabels"))
    if not isinstance(labels, Mapping) or not labels:
        return None
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _condition(obj: Obj, kind: str) -> Mapping[str, Any] | None:
    for cond in _dig(obj, ("status", "conditions")) or []:
        if isinstance(cond, Mapping) and cond.get("type") == kind:
            return cond
    return None


def _new_pod_problem(pods: Sequence[Obj], container: str, new_image: str) -> str | None:
    """A failure signal from a pod of the new revision (one that runs `new_image`)."""
    for pod in pods:
        spec_images = {
            c.get("name"): c.get("image")
            for c in (_dig(pod, ("spec", "containers")) or [])
            + (_dig(pod, ("spec", "initContainers")) or [])
        }
        if spec_images.get(container) != new_image:
            continue
        statuses = (_dig(pod, ("status", "containerStatuses")) or []) + (
            _dig(pod, ("status", "initContainerStatuses")) or []
        )
        name = _dig(pod, ("metadata", "name"))
        for status in statuses:
            if status.get("name") != container:
                continue
            reason = _dig(status, ("state", "waiting", "reason"))
            if reason in FAILURE_REASONS:
                return f"pod {name}: {reason}"
            restarts = int(status.get("restartCount") or 0)
            if restarts > 0:
                return f"pod {name}: container restarted {restarts} times"
    return None


def judge_health(
    kind: WorkloadKind,
    obj: Obj,
    pods: Sequence[Obj],
    container: str,
    new_image: str,
    generation: int,
) -> tuple[HealthState, str]:
    """Judge only the new revision: is it rolled out, still rolling, or failing?"""
    if kind == WorkloadKind.CRONJOB:
        return HealthState.HEALTHY, "the job template is updated; the next Job uses it"
    status: Mapping[str, Any] = _dig(obj, ("status",)) or {}
    if kind == WorkloadKind.HELMRELEASE:
        return _judge_helm(obj, status, generation)
    observed = int(status.get("observedGeneration") or 0)
    if observed < generation:
        return HealthState.PROGRESSING, f"controller has not observed generation {generation} yet"
    problem = _new_pod_problem(pods, container, new_image)
    if problem:
        return HealthState.FAILING, problem
    if kind == WorkloadKind.DEPLOYMENT:
        progressing = _condition(obj, "Progressing")
        if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
            return HealthState.FAILING, "ProgressDeadlineExceeded: " + str(
                progressing.get("message", "")
            )
    return _judge_counts(kind, obj, status)


def _judge_counts(
    kind: WorkloadKind, obj: Obj, status: Mapping[str, Any]
) -> tuple[HealthState, str]:
    def count(key: str) -> int:
        return int(status.get(key) or 0)

    if kind == WorkloadKind.DAEMONSET:
        desired = count("desiredNumberScheduled")
        updated, ready = count("updatedNumberScheduled"), count("numberReady")
        done = updated == desired and ready == desired and count("numberUnavailable") == 0
        summary = f"{updated}/{desired} updated, {ready}/{desired} ready"
    else:
        wanted = _dig(obj, ("spec", "replicas"))
        desired = 1 if wanted is None else int(wanted)
        updated, ready = count("updatedReplicas"), count("readyReplicas")
        done = updated == desired and ready == desired and count("replicas") == desired
        if kind == WorkloadKind.DEPLOYMENT:
            done = done and count("availableReplicas") == desired
        else:
            done = done and status.get("updateRevision") == status.get("currentRevision")
        summary = f"{updated}/{desired} updated, {ready}/{desired} ready"
    if done:
        return HealthState.HEALTHY, f"rollout complete: {summary}"
    return HealthState.PROGRESSING, f"rolling out: {summary}"


_HELM_FAILURES = frozenset(
    {"InstallFailed", "UpgradeFailed", "RollbackFailed", "ArtifactFailed", "TestFailed"}
)


def _judge_helm(obj: Obj, status: Mapping[str, Any], generation: int) -> tuple[HealthState, str]:
    ready = _condition(obj, "Ready")
    if ready is None:
        return HealthState.PROGRESSING, "no Ready condition yet"
    observed = int(ready.get("observedGeneration") or status.get("observedGeneration") or 0)
    message = str(ready.get("message", ""))
    if observed < generation:
        return HealthState.PROGRESSING, f"Flux has not reconciled generation {generation} yet"
    if ready.get("status") == "True":
        return HealthState.HEALTHY, f"Ready: {message}"
    if ready.get("status") == "False" and ready.get("reason") in _HELM_FAILURES:
        return HealthState.FAILING, f"{ready.get('reason')}: {message}"
    return HealthState.PROGRESSING, f"Ready={ready.get('status')}: {message}"
