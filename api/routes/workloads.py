"""Workloads: what the detector watches, manual rollback, and the update history.

The listing reads the in-memory image index the detector keeps, never the cluster, so it is
also how to check what a webhook would match (`?image=nginx`) and why a container is not
considered (annotation problems, unreadable images, `headwind.sh/images`). `…/explain` answers
"why was this not updated?" with the registry's tags judged by the policy engine.

Every route knows its caller (`api.auth`); in `token` auth mode reads need `get` on the
workload and a rollback `patch`, and a listing shows only what the caller may `get`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api import audit, auth, errors
from api import explaining as explain_tags
from api.audit import Attempt
from api.auth import CurrentUserDep, ReviewerDep
from api.backends import Cluster
from api.bodies import RestRoute
from api.deps import ClusterDep, ServicesDep, TagsDep, UpdatesDep
from api.validation import (
    Actor,
    ContainerName,
    KindFilter,
    NamespaceFilter,
    require_in_scope,
    workload_path,
)
from headwind import annotations, explaining, images, records, validation, workloads
from headwind.index import WatchedWorkload
from headwind.models import RollbackRequest, RollbackResult, WorkloadKind, WorkloadRef

router = APIRouter(prefix="/api/v1/workloads", tags=["workloads"], route_class=RestRoute)


class RollbackIn(BaseModel):
    """Which container to roll back, and optionally to what (default: the previous image)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"container": "web", "requested_by": "carol"}]},
    )

    container: ContainerName
    to: str | None = Field(default=None, max_length=validation.REFERENCE_MAX_LENGTH)
    """A tag (a chart version for a HelmRelease) or a whole image reference."""
    requested_by: Actor | None = None
    override: bool = False
    """Allow a `to` the container's recorded history never ran (same repository only); the
    audit record says so."""


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


@router.get("", responses=errors.responses(401, 422, 503))
async def list_watched(
    services: ServicesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
    namespace: NamespaceFilter = None,
    kind: KindFilter = None,
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
    wanted_kind = WorkloadKind(kind) if kind else None
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
        and (await auth.may(reviewer, user, "get", w.workload, whole_kind=True))[0]
    ]
    return WatchedList(synced=index.synced, count=len(selected), workloads=selected)


WorkloadDep = Annotated[WorkloadRef, Depends(workload_path)]


def _in_scope(workload: WorkloadDep, services: ServicesDep) -> None:
    require_in_scope(services.settings, workload.namespace)


async def _existing(workload: WorkloadRef, cluster: Cluster) -> dict[str, Any]:
    obj = await cluster.workload(workload)
    if obj is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{workload} does not exist")
    return obj


def _watched(workload: WorkloadRef, services: ServicesDep) -> WatchedWorkload:
    found = services.index.get(workload)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"{workload} is not watched: it does not exist, carries no headwind.sh/ annotation, "
            "or is outside HEADWIND_WATCH_NAMESPACES",
        )
    return found


@router.get("/{kind}/{namespace}/{name}", responses=errors.responses(401, 403, 404, 422, 503))
async def get_watched(
    workload: WorkloadDep, services: ServicesDep, user: CurrentUserDep, reviewer: ReviewerDep
) -> WatchedPublic:
    """One watched workload; 404 when the detector does not watch it (not annotated, or absent)."""
    await auth.require(reviewer, user, "get", workload)
    return _public(_watched(workload, services))


@router.get(
    "/{kind}/{namespace}/{name}/explain", responses=errors.responses(401, 403, 404, 422, 503)
)
async def explain(
    workload: WorkloadDep,
    services: ServicesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
    tags: TagsDep,
) -> explaining.Explanation:
    """Why the workload was not updated: every registry tag (chart version) of each container,
    judged by its policy, the chosen one marked, remembered rejected and failed tags shown.

    Tags are listed now, with the workload's pull secrets; a registry that cannot be read is
    reported per container (`reason: registry-error`), not as an error of the request."""
    await auth.require(reviewer, user, "get", workload)
    return await explain_tags.explain(_watched(workload, services), tags)


RollbackAttempt = Annotated[Attempt, Depends(audit.auditing("rollback"))]


@router.post(
    "/{kind}/{namespace}/{name}/rollback",
    responses=errors.responses(400, 401, 403, 404, 409, 413, 415, 422, 503, 504),
)
async def rollback(
    workload: WorkloadDep,
    body: RollbackIn,
    updates: UpdatesDep,
    cluster: ClusterDep,
    attempt: RollbackAttempt,
    reviewer: ReviewerDep,
    services: ServicesDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    ] = None,
) -> RollbackResult:
    """Roll a container back (durably); the abandoned tag is not proposed again."""
    attempt.workload, attempt.container, attempt.tag = workload, body.container, body.to
    attempt.extra["override"] = body.override
    with audit.audited(attempt):
        require_in_scope(services.settings, workload.namespace)
        requested_by = audit.acting_as(attempt, body.requested_by, ("body", "requested_by"))
        try:
            to = validation.rollback_target(workload.kind, body.to) if body.to else None
        except ValueError as exc:
            raise errors.invalid(("body", "to"), str(exc)) from None
        await auth.require(reviewer, attempt.user, "patch", workload)
        obj = await _existing(workload, cluster)
        if workloads.find(workload.kind, obj, body.container) is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"{workload} has no container {body.container!r}"
            )
        request = RollbackRequest(
            workload=workload,
            container=body.container,
            to=to,
            requested_by=requested_by,
            override=body.override,
        )
        result = await updates.rollback(request, idempotency_key)
        attempt.extra["to_image"] = result.to_image
        if not result.rolled_back:
            raise HTTPException(status.HTTP_409_CONFLICT, result.message)
    audit.record(attempt, "rolled-back", result.message)
    return result


@router.get(
    "/{kind}/{namespace}/{name}/history",
    dependencies=[Depends(_in_scope)],
    responses=errors.responses(401, 403, 404, 422, 503),
)
async def history(
    workload: WorkloadDep, cluster: ClusterDep, user: CurrentUserDep, reviewer: ReviewerDep
) -> list[records.HistoryEntry]:
    """The update history annotation of a workload, newest first."""
    await auth.require(reviewer, user, "get", workload)
    obj = await _existing(workload, cluster)
    raw = workloads.annotations_of(obj).get(annotations.UPDATE_HISTORY)
    entries, _ = records.parse_history(raw)
    return list(entries)
