"""Update requests: propose, list, inspect, approve, reject.

Every route knows its caller (`api.auth`); the four that act are audited (`api.audit`), and in
`token` auth mode each needs `patch` on the workload it acts on, each read `get`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
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
from clients.temporal import operations
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
    summaries: list[operations.UpdateSummary], user: auth.User, reviewer: auth.Reviewer
) -> list[operations.UpdateSummary]:
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


@router.get("", responses=errors.responses(401, 403, 422, 503, 504))
async def list_updates(
    services: ServicesDep,
    updates: UpdatesDep,
    user: CurrentUserDep,
    reviewer: ReviewerDep,
    namespace: NamespaceFilter = None,
    phase: PhaseFilter = None,
    kind: KindFilter = None,
) -> list[operations.UpdateSummary]:
    """List update requests, pending first; filter by namespace, phase and kind.

    In `token` auth mode only the workloads the caller may `get` are listed."""
    if namespace is not None:
        require_in_scope(services.settings, namespace)
    found = await updates.list_updates(
        namespace=namespace, phase=phase, kind=kind, namespaces=services.settings.watch_namespaces
    )
    return await visible(found, user, reviewer)


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
