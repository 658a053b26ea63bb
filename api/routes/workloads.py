"""Workloads: what the detector watches, manual rollback, and the update history.

The listing reads the in-memory image index the detector keeps, never the cluster, so it is
also how to check what a webhook would match (`?image=nginx`) and why a container is not
considered (annotation problems, unreadable images, `headwind.sh/images`).
"""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.deps import ServicesDep
from clients.kube.client import NotFound, resource_path
from clients.temporal import operations
from headwind import annotations, images, records
from headwind.index import WatchedWorkload
from headwind.models import RollbackRequest, RollbackResult, WorkloadKind, WorkloadRef

router = APIRouter(prefix="/api/v1/workloads", tags=["workloads"])


class RollbackIn(BaseModel):
    """Which container to roll back, and optionally to what (default: the previous image)."""

    model_config = ConfigDict(extra="forbid")

    container: str = Field(min_length=1, max_length=253)
    to: str | None = Field(default=None, max_length=512)
    requested_by: str | None = None


class WatchedContainer(BaseModel):
    """One container (or a HelmRelease's chart) of a watched workload."""

    name: str
    image: str
    """The reference as written (`chart:version` for a HelmRelease)."""
    repository: str | None
    """The key registry events are matched by; None when the image could not be read."""
    tag: str | None
    digest: str | None
    tracked: bool
    """Selected by `headwind.sh/images` (all containers when it is not set)."""
    note: str | None = None
    """Why registry events cannot reach this container, if they cannot."""


class WatchedPublic(BaseModel):
    """A workload the detector watches, as its image index holds it."""

    kind: WorkloadKind
    namespace: str
    name: str
    policy: str
    pattern: str | None
    event_source: str
    require_approval: bool
    images: list[str]
    """`headwind.sh/images`; empty tracks every container."""
    containers: list[WatchedContainer]
    problems: list[annotations.AnnotationProblem]
    """Annotation values Headwind could not use, and the safe values it uses instead."""


class WatchedList(BaseModel):
    """The watched workloads, and whether the index is complete yet."""

    synced: bool
    """False until every watched collection has been listed once after start."""
    count: int
    workloads: list[WatchedPublic]


def _public(watched: WatchedWorkload) -> WatchedPublic:
    parsed = watched.annotations
    containers = [
        WatchedContainer(
            name=sub.container,
            image=sub.image,
            repository=sub.repository,
            tag=sub.tag or None,
            digest=sub.digest,
            tracked=annotations.tracks(parsed, sub.container, sub.image),
        )
        for sub in watched.subscribers
    ]
    containers += [
        WatchedContainer(
            name=skip.container,
            image=skip.image,
            repository=None,
            tag=None,
            digest=None,
            tracked=False,
            note=skip.reason,
        )
        for skip in watched.unindexed
    ]
    return WatchedPublic(
        kind=watched.workload.kind,
        namespace=watched.workload.namespace,
        name=watched.workload.name,
        policy=str(parsed.policy),
        pattern=parsed.pattern,
        event_source=parsed.event_source.value,
        require_approval=parsed.require_approval,
        images=list(parsed.images),
        containers=containers,
        problems=list(watched.problems),
    )


def _repository_of(image: str) -> str:
    try:
        return images.parse(image).repository_key
    except images.ImageReferenceError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@router.get("")
def list_watched(
    services: ServicesDep,
    namespace: Annotated[str | None, Query(max_length=63)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    image: Annotated[
        str | None, Query(max_length=512, description="only workloads running this repository")
    ] = None,
    repository: Annotated[
        str | None,
        Query(max_length=512, description="an index key as is (`helm:<ns>/<source>/<chart>`)"),
    ] = None,
) -> WatchedList:
    """Watched workloads with their containers, policy and annotation problems (from the index)."""
    index = services.index
    wanted_kind = _kind(kind) if kind else None
    key = repository or (_repository_of(image) if image else None)
    if key is not None:
        refs = {sub.workload for sub in index.lookup(key)}
        found = [w for ref in sorted(refs, key=str) if (w := index.get(ref)) is not None]
    else:
        found = index.watched()
    selected = [
        _public(w)
        for w in found
        if (namespace is None or w.workload.namespace == namespace)
        and (wanted_kind is None or w.workload.kind == wanted_kind)
    ]
    return WatchedList(synced=index.synced, count=len(selected), workloads=selected)


@router.get("/{kind}/{namespace}/{name}")
def get_watched(kind: str, namespace: str, name: str, services: ServicesDep) -> WatchedPublic:
    """One watched workload; 404 when the detector does not watch it (not annotated, or absent)."""
    workload = _workload(kind, namespace, name)
    found = services.index.get(workload)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"{workload} is not watched: it does not exist, carries no headwind.sh/ annotation, "
            "or is outside HEADWIND_WATCH_NAMESPACES",
        )
    return _public(found)


def _kind(text: str) -> WorkloadKind:
    try:
        return WorkloadKind.parse(text)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _workload(kind: str, namespace: str, name: str) -> WorkloadRef:
    try:
        return WorkloadRef(kind=WorkloadKind.parse(kind), namespace=namespace, name=name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.post("/{kind}/{namespace}/{name}/rollback")
async def rollback(
    kind: str,
    namespace: str,
    name: str,
    body: RollbackIn,
    services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> RollbackResult:
    """Roll a container back (durably); the abandoned tag is not proposed again."""
    workload = _workload(kind, namespace, name)
    request = RollbackRequest(
        workload=workload, container=body.container, to=body.to, requested_by=body.requested_by
    )
    result = await operations.rollback(
        services.temporal,
        request,
        task_queue=services.settings.temporal_task_queue,
        request_id=idempotency_key,
    )
    audit.record(
        "rollback",
        actor=body.requested_by,
        target=f"{workload}/{body.container}",
        outcome="rolled-back" if result.rolled_back else "refused",
        to=result.to_image,
        message=result.message,
    )
    if not result.rolled_back:
        raise HTTPException(status.HTTP_409_CONFLICT, result.message)
    return result


@router.get("/{kind}/{namespace}/{name}/history")
def history(
    kind: str, namespace: str, name: str, services: ServicesDep
) -> list[records.HistoryEntry]:
    """The update history annotation of a workload, newest first."""
    workload = _workload(kind, namespace, name)
    if services.kube is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no Kubernetes connection")
    try:
        obj = services.kube.get(resource_path(workload.kind, namespace, name))
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{workload} does not exist") from exc
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(annotations.UPDATE_HISTORY)
    entries, _ = records.parse_history(raw)
    return list(entries)
