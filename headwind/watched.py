"""What a watched Kubernetes object means to the image index: its subscribers and problems.

The watcher hands every annotated Deployment, StatefulSet, DaemonSet, CronJob and HelmRelease
here as plain JSON; this module decides whether the object is watched at all, which of its
containers a registry event can reach (and under which repository key), and which annotation
values it could not use. Pure, so the rules for five kinds are unit-tested without a cluster.

Decisions written down here (and in docs/configuration.md):

- A workload is watched when it carries at least one `headwind.sh/` key that its *owner*
  writes (or a misspelt one, so the misspelling is reported). Keys only Headwind writes
  (`update-history`, ...) do not count: a workload whose owner removed every Headwind
  annotation drops out of the index even though its history stays on it.
- Init containers are indexed only when `headwind.sh/images` names them (by container name
  or repository). They are opt-in and no other annotation exists for it; naming a
  container is the owner saying "this one too", and an image shared by an init container and
  the main container (a migration step) follows the main container only if asked.
- A HelmRelease's chart is keyed `helm:<source namespace>/<source name>/<chart>`: a chart
  name alone is no identity (two HelmRepositories may publish `podinfo`), just as an image
  name alone is not. The source namespace defaults to the release's namespace, as
  Flux does.
"""

from collections.abc import Mapping
from typing import Any

from headwind import annotations, images, workloads
from headwind.index import Subscriber, Unindexed, WatchedWorkload
from headwind.models import WorkloadKind, WorkloadRef

__all__ = ["chart_repository_key", "from_object", "is_opted_in", "workload_ref"]


def is_opted_in(values: Mapping[str, Any] | None) -> bool:
    """Whether the owner wrote any `headwind.sh/` annotation (misspelt ones included)."""
    return any(
        isinstance(key, str)
        and key.startswith(annotations.PREFIX)
        and key not in annotations.WRITTEN_KEYS
        for key in (values or {})
    )


def chart_repository_key(namespace: str, source: str, chart: str) -> str:
    """The index key of a chart served by the HelmRepository `namespace/source`."""
    return f"helm:{namespace}/{source}/{chart}"


def workload_ref(kind: WorkloadKind, obj: Mapping[str, Any]) -> WorkloadRef | None:
    """The object's kind, namespace and name; None for an object without them."""
    metadata = _metadata(obj)
    namespace, name = metadata.get("namespace"), metadata.get("name")
    if not isinstance(namespace, str) or not isinstance(name, str) or not namespace or not name:
        return None
    return WorkloadRef(kind=kind, namespace=namespace, name=name)


def from_object(kind: WorkloadKind, obj: Mapping[str, Any]) -> WatchedWorkload | None:
    """The index entry of an object, or None when its owner has not opted it in."""
    metadata = _metadata(obj)
    raw = metadata.get("annotations")
    values = raw if isinstance(raw, Mapping) else {}
    ref = workload_ref(kind, obj)
    if ref is None or not is_opted_in(values):
        return None
    parsed, problems = annotations.parse({str(k): str(v) for k, v in values.items()})
    if kind == WorkloadKind.HELMRELEASE:
        subscribers, unindexed = _chart(ref, obj, parsed)
    else:
        subscribers, unindexed = _containers(ref, obj, parsed)
    return WatchedWorkload(
        workload=ref,
        uid=str(metadata.get("uid") or ""),
        generation=_int(metadata.get("generation")),
        resource_version=str(metadata.get("resourceVersion") or ""),
        annotations=parsed,
        problems=tuple(problems),
        subscribers=tuple(subscribers),
        unindexed=tuple(unindexed),
    )


def _containers(
    ref: WorkloadRef, obj: Mapping[str, Any], parsed: annotations.WorkloadAnnotations
) -> tuple[list[Subscriber], list[Unindexed]]:
    subscribers: list[Subscriber] = []
    unindexed: list[Unindexed] = []
    for spot in workloads.spots(ref.kind, obj, include_init=True):
        if spot.init and not (parsed.images and annotations.tracks(parsed, spot.name, spot.image)):
            continue
        try:
            image = images.parse(spot.image)
        except images.ImageReferenceError as error:
            unindexed.append(Unindexed(spot.name, spot.image, str(error)))
            continue
        subscribers.append(
            Subscriber(
                workload=ref,
                container=spot.name,
                image=spot.image,
                repository=image.repository_key,
                tag=image.effective_tag or "",
                digest=image.digest,
                annotations=parsed,
            )
        )
    return subscribers, unindexed


def _chart(
    ref: WorkloadRef, obj: Mapping[str, Any], parsed: annotations.WorkloadAnnotations
) -> tuple[list[Subscriber], list[Unindexed]]:
    spec = _dig(obj, "spec", "chart", "spec")
    if not spec:
        why = (
            "uses spec.chartRef, which Headwind does not update"
            if _dig(obj, "spec", "chartRef")
            else "has no spec.chart.spec"
        )
        return [], [Unindexed(workloads.HELM_CONTAINER, "", f"the HelmRelease {why}")]
    found = workloads.find(ref.kind, obj, workloads.HELM_CONTAINER)
    source = _dig(spec, "sourceRef")
    chart, source_name = str(spec.get("chart") or ""), str(source.get("name") or "")
    if found is None or not source_name:
        missing = "spec.chart.spec.chart" if found is None else "spec.chart.spec.sourceRef.name"
        image = found.image if found else ""
        return [], [Unindexed(workloads.HELM_CONTAINER, image, f"{missing} is missing")]
    source_namespace = str(source.get("namespace") or ref.namespace)
    subscriber = Subscriber(
        workload=ref,
        container=workloads.HELM_CONTAINER,
        image=found.image,
        repository=chart_repository_key(source_namespace, source_name, chart),
        tag=found.value,
        digest=None,
        annotations=parsed,
    )
    return [subscriber], []


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _dig(obj: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
