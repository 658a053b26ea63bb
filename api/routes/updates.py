"""Update requests: propose, list (a page at a time), count, inspect, approve, reject.

Every route knows its caller (`api.auth`); the four that act are audited (`api.audit`), and in
`token` auth mode each needs `patch` on the workload it acts on, each read `get`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api import audit, auth, errors
from api.audit import Attempt
from api.auth import CurrentUserDep, ReviewerDep
from api.bodies import RestRoute
from api.deps import ClusterDep, ServicesDep, UpdatesDep
from api.validation import (
    SUBDOMAIN_PATTERN,
    TAG_PATTERN,
    Actor,
    ContainerName,
    KindField,
    KindFilter,
    NamespaceField,
    NamespaceFilter,
    NamespacePath,
    PhaseFilter,
    Reason,
    RequestNamePath,
    require_in_scope,
)
from clients.temporal import listing, operations
from headwind import validation, workloads
from headwind.models import (
    ApprovalIn,
    Proposal,
    RejectIn,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.settings import AuthMode

router = APIRouter(prefix="/api/v1/updates", tags=["updates"], route_class=RestRoute)


class ProposalIn(BaseModel):
    """A candidate tag for one workload container."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "Deployment",
                    "namespace": "shop",
                    "name": "web",
                    "container": "web",
                    "tag": "1.1.0",
                }
            ]
        },
    )

    kind: KindField
    namespace: NamespaceField
    name: str = Field(
        max_length=validation.SUBDOMAIN_MAX_LENGTH,
        description="DNS-1123 subdomain (at most 52 characters for a CronJob).",
        json_schema_extra={"pattern": SUBDOMAIN_PATTERN},
    )
    container: ContainerName
    tag: str = Field(
        max_length=validation.TAG_MAX_LENGTH,
        description="An OCI tag; a chart version (which may hold `+`) for a HelmRelease.",
        json_schema_extra={"pattern": TAG_PATTERN},
    )
    digest: str | None = Field(
        default=None, max_length=200, pattern=r"^[a-z0-9]+:[a-f0-9]{32,128}$"
    )
    proposed_by: Actor | None = None

    @field_validator("name")
    @classmethod
    def _name_follows_its_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None:  # the kind is invalid and reported; hold the name to the loosest rule
            return validation.dns1123_subdomain(value)
        return validation.workload_name(kind, value)

    @field_validator("tag")
    @classmethod
    def _tag_follows_its_kind(cls, value: str, info: ValidationInfo) -> str:
        return validation.tag(info.data.get("kind") or WorkloadKind.DEPLOYMENT, value)


class ApprovalBody(BaseModel):
    """Body of an approval (optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"approver": "alice"}]}
    )

    approver: Actor | None = None


class RejectionBody(BaseModel):
    """Body of a rejection (optional)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"approver": "alice", "reason": "breaks checkout"}]},
    )

    approver: Actor | None = None
    reason: Reason | None = None


def _in_scope(namespace: NamespacePath, services: ServicesDep) -> None:
    require_in_scope(services.settings, namespace)


_IN_SCOPE = [Depends(_in_scope)]
_ERRORS = (401, 403)

ProposeAttempt = Annotated[Attempt, Depends(audit.auditing("propose"))]
ApproveAttempt = Annotated[Attempt, Depends(audit.auditing("approve"))]
RejectAttempt = Annotated[Attempt, Depends(audit.auditing("reject"))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors.responses(400, 401, 403, 404, 413, 415, 422, 503, 504),
)
async def propose(
    body: ProposalIn,
    services: ServicesDep,
    updates: UpdatesDep,
    cluster: ClusterDep,
    attempt: ProposeAttempt,
    reviewer: ReviewerDep,
) -> operations.ProposalAccepted:
    """Propose a candidate tag; the same candidate proposed again joins the same workflow."""
    workload = WorkloadRef(kind=body.kind, namespace=body.namespace, name=body.name)
    attempt.workload, attempt.container, attempt.tag = workload, body.container, body.tag
    with audit.audited(attempt):
        proposed_by = audit.acting_as(attempt, body.proposed_by, ("body", "proposed_by"))
        require_in_scope(services.settings, body.namespace)
        await auth.require(reviewer, attempt.user, "patch", workload)
        obj = await cluster.workload(workload)
        if obj is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{workload} does not exist")
        if workloads.find(workload.kind, obj, body.container) is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"{workload} has no container {body.container!r}"
            )
        proposal = Proposal(
            workload=workload,
            container=body.container,
            tag=body.tag,
            digest=body.digest,
            source="manual",
            proposed_by=proposed_by,
        )
        accepted = await updates.propose(proposal)
    audit.record(attempt, "accepted")
    return accepted


async def visible(
    summaries: list[listing.UpdateSummary], user: auth.User, reviewer: auth.Reviewer
) -> list[listing.UpdateSummary]:
    """The summaries of workloads `user` may `get` (every one outside `token` mode)."""
    if user.mode is not AuthMode.TOKEN:
        return summaries
    allowed: dict[tuple[str, str], bool] = {}
    shown = []
    for summary in summaries:
        key = (summary.kind, summary.namespace)
        if key not in allowed:
            try:
                kind = WorkloadKind.parse(summary.kind)
            except ValueError:
                allowed[key] = False
                continue
            ref = WorkloadRef(kind=kind, namespace=summary.namespace, name=summary.name)
            allowed[key] = (await auth.may(reviewer, user, "get", ref, whole_kind=True))[0]
        if allowed[key]:
            shown.append(summary)
    return shown


LimitQuery = Annotated[
    int,
    Query(
        ge=1,
        le=listing.MAX_LIMIT,
        description="Updates per page (the last page may hold fewer; in `token` auth mode a "
        "page may hold fewer too, the ones the caller may not read left out).",
    ),
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=listing.CURSOR_MAX_LENGTH,
        description="Where the page starts: the `cursor` of the previous answer's "
        '`Link: <…>; rel="next"` (opaque; valid with the same filters only).',
    ),
]
TextQuery = Annotated[
    str | None,
    Query(
        max_length=listing.TEXT_MAX_LENGTH,
        description="The start of a workload name, container, candidate tag or image "
        "repository; `namespace/name`; or an image reference (`nginx`, `ghcr.io/org/app:1.2`).",
    ),
]


def filters_of(
    services: ServicesDep,
    namespace: str | None,
    phase: str | None,
    kind: str | None,
    text: str | None,
) -> listing.Filters:
    """The listing's filters, checked (422 naming `q` when the search text is not plain)."""
    if namespace is not None:
        require_in_scope(services.settings, namespace)
    try:
        return listing.Filters(
            namespace=namespace,
            phase=phase,
            kind=kind,
            text=text,
            namespaces=services.settings.watch_namespaces,
        ).checked()
    except ValueError as exc:
        raise errors.invalid(("query", "q"), str(exc)) from None


def cursor_of(text: str | None, filters: listing.Filters) -> listing.Cursor | None:
    """The cursor a request sent, or a 422 before anything reaches Temporal."""
    if not text:
        return None
    try:
        return listing.Cursor.decode(text, filters)
    except listing.InvalidCursorError as exc:
        raise errors.invalid(("query", "cursor"), str(exc)) from None


async def _readable(
    filters: listing.Filters, user: auth.User, reviewer: auth.Reviewer
) -> listing.Filters | None:
    """In `token` mode with a namespace, the filters confined to the kinds `user` may `get`
    there (None: none), so that pages come back full; otherwise the filters as they are."""
    if user.mode is not AuthMode.TOKEN or filters.namespace is None:
        return filters
    kinds = [WorkloadKind(filters.kind)] if filters.kind else list(WorkloadKind)
    allowed = []
    for kind in kinds:
        ref = WorkloadRef(kind=kind, namespace=filters.namespace, name="-")
        if (await auth.may(reviewer, user, "get", ref, whole_kind=True))[0]:
            allowed.append(kind.value)
    return replace(filters, kinds=tuple(allowed)) if allowed else None


async def list_page(
    updates: UpdatesDep,
    user: auth.User,
    reviewer: auth.Reviewer,
    filters: listing.Filters,
    *,
    limit: int,
    cursor: str | None,
) -> listing.Page:
    """One page of the listing, only what `user` may read; the cursor is checked first."""
    readable = await _readable(filters, user, reviewer)
    if readable is None:
        cursor_of(cursor, filters)
        return listing.Page(items=[], next=None)
    page = await updates.list_updates(readable, limit=limit, cursor=cursor_of(cursor, readable))
    return replace(page, items=await visible(page.items, user, reviewer))


async def phase_counts(
    updates: UpdatesDep, user: auth.User, reviewer: auth.Reviewer, filters: listing.Filters
) -> listing.Counts | None:
    """Counts per phase of what `user` may read; None in `token` mode without a namespace
    (counting there would reveal updates of namespaces the caller may not read)."""
    if user.mode is AuthMode.TOKEN and filters.namespace is None:
        return None
    readable = await _readable(filters, user, reviewer)
    if readable is None:
        return listing.Counts(total=0, phases={})
    return await updates.count_updates(readable)


@router.get("", responses=errors.responses(401, 403, 422, 503, 504))
async def list_updates(
    request: Request,
    response: Response,
    services: ServicesDep,
    updates: UpdatesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
    namespace: NamespaceFilter = None,
    phase: PhaseFilter = None,
    kind: KindFilter = None,
    q: TextQuery = None,
    limit: LimitQuery = listing.DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[listing.UpdateSummary]:
    """List update requests, pending first, a page at a time; filter by namespace, phase,
    kind and search text.

    When more follow, `Link: </api/v1/updates?…&cursor=…>; rel="next"` is the next page.
    In `token` auth mode only the workloads the caller may `get` are listed."""
    filters = filters_of(services, namespace, phase, kind, q)
    page = await list_page(updates, user, reviewer, filters, limit=limit, cursor=cursor)
    if page.next is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        target = f"{request.url.path}?{urlencode([*params, ('cursor', page.next.encode())])}"
        response.headers["Link"] = f'<{target}>; rel="next"'
    return page.items


class CountsOut(BaseModel):
    """How many update requests the filters select: in all, and per phase (phases with any)."""

    total: int
    phases: dict[str, int]


@router.get("/counts", responses=errors.responses(401, 403, 422, 503, 504))
async def count_updates(
    services: ServicesDep,
    updates: UpdatesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
    namespace: NamespaceFilter = None,
    kind: KindFilter = None,
    q: TextQuery = None,
) -> CountsOut:
    """Count update requests per phase; filter by namespace, kind and search text.

    In `token` auth mode a namespace is required, and only kinds the caller may `get` count."""
    filters = filters_of(services, namespace, None, kind, q)
    counts = await phase_counts(updates, user, reviewer, filters)
    if counts is None:
        raise errors.invalid(
            ("query", "namespace"), "in token auth mode, counting needs a namespace"
        )
    return CountsOut(total=counts.total, phases=counts.phases)


async def _status(updates: UpdatesDep, namespace: str, name: str) -> UpdateStatus:
    try:
        return await updates.status(namespace, name)
    except operations.NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.get(
    "/{namespace}/{name}",
    dependencies=_IN_SCOPE,
    responses=errors.responses(401, 403, 404, 422, 503, 504),
)
async def get_update(
    namespace: NamespacePath,
    name: RequestNamePath,
    updates: UpdatesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
) -> UpdateStatus:
    """One update request with its timeline (its last recorded phase when no worker answers)."""
    found = await _status(updates, namespace, name)
    await auth.require(reviewer, user, "get", found.workload)
    return found


_DECISION_ERRORS = errors.responses(400, 401, 403, 404, 409, 413, 415, 422, 503, 504)


async def _decide(
    attempt: Attempt,
    services: ServicesDep,
    namespace: str,
    name: str,
    updates: UpdatesDep,
    reviewer: auth.Reviewer,
    decide: Callable[[], Awaitable[UpdateStatus]],
    reason: str | None = None,
) -> UpdateStatus:
    """Approve or reject through the workflow's Update, audit-logging every outcome."""
    attempt.extra["request"] = f"{namespace}/{name}"
    with audit.audited(attempt):
        require_in_scope(services.settings, namespace)
        if attempt.user.mode is AuthMode.TOKEN:
            # Which workload the request changes decides who may decide it.
            current = await _status(updates, namespace, name)
            attempt.workload, attempt.container = current.workload, current.container
            attempt.tag = current.tag
            await auth.require(reviewer, attempt.user, "patch", current.workload)
        try:
            result = await decide()
        except operations.NotFoundError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        except operations.WrongPhaseError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    attempt.workload, attempt.container, attempt.tag = result.workload, result.container, result.tag
    audit.record(attempt, result.phase.value, reason)
    return result


@router.post("/{namespace}/{name}/approve", responses=_DECISION_ERRORS)
async def approve(
    namespace: NamespacePath,
    name: RequestNamePath,
    updates: UpdatesDep,
    attempt: ApproveAttempt,
    reviewer: ReviewerDep,
    services: ServicesDep,
    body: ApprovalBody | None = None,
) -> UpdateStatus:
    """Approve a pending request; answers once the workload is patched.

    With no worker to act within the deadline the answer is 504, and the approval is recorded:
    it takes effect when a worker runs. The approver recorded is the authenticated caller (in
    `none` auth mode, the body's `approver` label, else `anonymous`).
    """
    with audit.audited(attempt):
        approver = audit.acting_as(attempt, body.approver if body else None, ("body", "approver"))
    approval = ApprovalIn(approver=approver)
    return await _decide(
        attempt,
        services,
        namespace,
        name,
        updates,
        reviewer,
        lambda: updates.approve(namespace, name, approval),
    )


@router.post("/{namespace}/{name}/reject", responses=_DECISION_ERRORS)
async def reject(
    namespace: NamespacePath,
    name: RequestNamePath,
    updates: UpdatesDep,
    attempt: RejectAttempt,
    reviewer: ReviewerDep,
    services: ServicesDep,
    body: RejectionBody | None = None,
) -> UpdateStatus:
    """Reject a pending request; its tag is never proposed again for that container."""
    reason = body.reason if body else None
    with audit.audited(attempt):
        approver = audit.acting_as(attempt, body.approver if body else None, ("body", "approver"))
    rejection = RejectIn(approver=approver, reason=reason)
    return await _decide(
        attempt,
        services,
        namespace,
        name,
        updates,
        reviewer,
        lambda: updates.reject(namespace, name, rejection),
        reason,
    )
