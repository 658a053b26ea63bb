"""Update requests: propose, list, inspect, approve, reject."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api import audit, errors
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


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors.responses(400, 403, 404, 413, 415, 422, 503, 504),
)
async def propose(
    body: ProposalIn, services: ServicesDep, updates: UpdatesDep, cluster: ClusterDep
) -> operations.ProposalAccepted:
    """Propose a candidate tag; the same candidate proposed again joins the same workflow."""
    require_in_scope(services.settings, body.namespace)
    workload = WorkloadRef(kind=body.kind, namespace=body.namespace, name=body.name)
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
        proposed_by=body.proposed_by,
    )
    return await updates.propose(proposal)


@router.get("", responses=errors.responses(403, 422, 503, 504))
async def list_updates(
    services: ServicesDep,
    updates: UpdatesDep,
    namespace: NamespaceFilter = None,
    phase: PhaseFilter = None,
    kind: KindFilter = None,
) -> list[operations.UpdateSummary]:
    """List update requests, pending first; filter by namespace, phase and kind."""
    if namespace is not None:
        require_in_scope(services.settings, namespace)
    return await updates.list_updates(
        namespace=namespace, phase=phase, kind=kind, namespaces=services.settings.watch_namespaces
    )


@router.get(
    "/{namespace}/{name}",
    dependencies=_IN_SCOPE,
    responses=errors.responses(403, 404, 422, 503, 504),
)
async def get_update(
    namespace: NamespacePath, name: RequestNamePath, updates: UpdatesDep
) -> UpdateStatus:
    """One update request with its timeline (its last recorded phase when no worker answers)."""
    try:
        return await updates.status(namespace, name)
    except operations.NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


_DECISION_ERRORS = errors.responses(400, 403, 404, 409, 413, 415, 422, 503, 504)


async def _decide(
    action: str,
    target: str,
    body: ApprovalIn | RejectIn,
    decide: Callable[[], Awaitable[UpdateStatus]],
) -> UpdateStatus:
    """Approve or reject through the workflow's Update, audit-logging every outcome."""
    reason = body.reason if isinstance(body, RejectIn) else None
    try:
        result = await decide()
    except operations.NotFoundError as exc:
        audit.record(action, actor=body.approver, target=target, outcome="not-found")
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except operations.WrongPhaseError as exc:
        audit.record(action, actor=body.approver, target=target, outcome="refused")
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except operations.DeadlineExceededError as exc:
        outcome = "recorded" if exc.recorded else "timed-out"
        audit.record(action, actor=body.approver, target=target, outcome=outcome, reason=reason)
        raise
    audit.record(
        action, actor=body.approver, target=target, outcome=result.phase.value, reason=reason
    )
    return result


@router.post("/{namespace}/{name}/approve", dependencies=_IN_SCOPE, responses=_DECISION_ERRORS)
async def approve(
    namespace: NamespacePath,
    name: RequestNamePath,
    updates: UpdatesDep,
    body: ApprovalBody | None = None,
) -> UpdateStatus:
    """Approve a pending request; answers once the workload is patched.

    With no worker to act within the deadline the answer is 504, and the approval is recorded:
    it takes effect when a worker runs.
    """
    approval = ApprovalIn(approver=body.approver if body else None)
    return await _decide(
        "approve",
        f"{namespace}/{name}",
        approval,
        lambda: updates.approve(namespace, name, approval),
    )


@router.post("/{namespace}/{name}/reject", dependencies=_IN_SCOPE, responses=_DECISION_ERRORS)
async def reject(
    namespace: NamespacePath,
    name: RequestNamePath,
    updates: UpdatesDep,
    body: RejectionBody | None = None,
) -> UpdateStatus:
    """Reject a pending request; its tag is never proposed again for that container."""
    rejection = RejectIn(
        approver=body.approver if body else None, reason=body.reason if body else None
    )
    return await _decide(
        "reject",
        f"{namespace}/{name}",
        rejection,
        lambda: updates.reject(namespace, name, rejection),
    )
