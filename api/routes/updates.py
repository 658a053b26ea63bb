"""Update requests: propose, list, inspect, approve, reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.deps import ServicesDep
from clients.temporal import operations
from headwind.models import ApprovalIn, Proposal, RejectIn, UpdateStatus, WorkloadKind, WorkloadRef

router = APIRouter(prefix="/api/v1/updates", tags=["updates"])


class ProposalIn(BaseModel):
    """A candidate tag for one workload container."""

    model_config = ConfigDict(extra="forbid")

    kind: WorkloadKind
    namespace: str = Field(min_length=1, max_length=63)
    name: str = Field(min_length=1, max_length=253)
    container: str = Field(min_length=1, max_length=253)
    tag: str = Field(min_length=1, max_length=128, pattern=r"^[\w][\w.+-]{0,127}$")
    digest: str | None = Field(default=None, pattern=r"^[a-z0-9]+:[a-f0-9]{32,}$")
    proposed_by: str | None = None


def _not_found(exc: operations.NotFoundError) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def propose(body: ProposalIn, services: ServicesDep) -> operations.ProposalAccepted:
    """Propose a candidate tag; the same candidate proposed again joins the same workflow."""
    proposal = Proposal(
        workload=WorkloadRef(kind=body.kind, namespace=body.namespace, name=body.name),
        container=body.container,
        tag=body.tag,
        digest=body.digest,
        source="manual",
        proposed_by=body.proposed_by,
    )
    return await operations.propose(
        services.temporal, proposal, task_queue=services.settings.temporal_task_queue
    )


@router.get("")
async def list_updates(
    services: ServicesDep,
    namespace: Annotated[str | None, Query(max_length=63)] = None,
    phase: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
) -> list[operations.UpdateSummary]:
    """List update requests, pending first; filter by namespace, phase and kind."""
    try:
        return await operations.list_updates(
            services.temporal, namespace=namespace, phase=phase, kind=kind
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@router.get("/{namespace}/{name}")
async def get_update(namespace: str, name: str, services: ServicesDep) -> UpdateStatus:
    """One update request with its timeline."""
    try:
        return await operations.get_status(services.temporal, namespace, name)
    except operations.NotFoundError as exc:
        raise _not_found(exc) from exc


async def _decide(
    action: str,
    namespace: str,
    name: str,
    services: ServicesDep,
    body: ApprovalIn | RejectIn,
) -> UpdateStatus:
    """Approve or reject through the workflow's Update, audit-logging every outcome."""
    target = f"{namespace}/{name}"
    reason = body.reason if isinstance(body, RejectIn) else None
    try:
        if isinstance(body, RejectIn):
            result = await operations.reject(services.temporal, namespace, name, body)
        else:
            result = await operations.approve(services.temporal, namespace, name, body)
    except operations.NotFoundError as exc:
        audit.record(action, actor=body.approver, target=target, outcome="not-found")
        raise _not_found(exc) from exc
    except operations.WrongPhaseError as exc:
        audit.record(action, actor=body.approver, target=target, outcome="refused")
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    audit.record(
        action, actor=body.approver, target=target, outcome=result.phase.value, reason=reason
    )
    return result


@router.post("/{namespace}/{name}/approve")
async def approve(
    namespace: str, name: str, services: ServicesDep, body: ApprovalIn | None = None
) -> UpdateStatus:
    """Approve a pending request; answers once the workload is patched."""
    return await _decide("approve", namespace, name, services, body or ApprovalIn())


@router.post("/{namespace}/{name}/reject")
async def reject(
    namespace: str, name: str, services: ServicesDep, body: RejectIn | None = None
) -> UpdateStatus:
    """Reject a pending request; its tag is never proposed again for that container."""
    return await _decide("reject", namespace, name, services, body or RejectIn())
