"""The starter: client-side operations on update workflows, for the API, the CLI and detectors.

One place turns "propose this tag", "approve that request", "list pending updates", "roll
back" into Temporal calls, and Temporal's errors into two exceptions the callers map to their
own vocabulary (HTTP 404/409, CLI exit codes). Workflows are addressed by their registered
names (`headwind.names`), so this module loads no workflow code and the poll activity can use
it too.

Every proposal, whichever path found it (REST, CLI, webhook, poll), goes through `propose`:
the same candidate lands on one deterministic workflow ID and coalesces.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from clients.temporal import attributes
from headwind import names, naming, search_attributes
from headwind.models import (
    ApprovalIn,
    Phase,
    Proposal,
    RejectIn,
    RollbackRequest,
    RollbackResult,
    UpdateStatus,
    WorkloadKind,
)

__all__ = [
    "NotFoundError",
    "ProposalAccepted",
    "UpdateSummary",
    "WrongPhaseError",
    "approve",
    "get_status",
    "list_updates",
    "propose",
    "reject",
    "rollback",
]


class NotFoundError(LookupError):
    """No such update request."""


class WrongPhaseError(RuntimeError):
    """The request is not in a phase that allows the action (HTTP 409)."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProposalAccepted(_Out):
    """Where a proposal went: the update workflow and the UpdateRequest name it answers to."""

    workflow_id: str
    run_id: str | None
    request_name: str
    namespace: str


class UpdateSummary(_Out):
    """One update as Temporal visibility lists it (no worker needed)."""

    workflow_id: str
    request_name: str
    namespace: str
    kind: str
    name: str
    container: str
    tag: str
    repository: str | None
    phase: str
    started_at: datetime | None
    closed_at: datetime | None
    running: bool


async def propose(client: Client, proposal: Proposal, *, task_queue: str) -> ProposalAccepted:
    """Start (or join) the update workflow of this candidate; duplicates coalesce.

    "Use existing" joins a running workflow of the same candidate; "allow duplicate" lets a
    candidate that ended (skipped, stale, expired) be proposed again later.
    """
    w = proposal.workload
    name = naming.request_name(w, proposal.container, proposal.tag)
    workflow_id = naming.update_workflow_id(w.namespace, name)
    pairs = [
        SearchAttributePair(attributes.key(attribute), value)
        for attribute, value in search_attributes.for_proposal(proposal)
    ]
    handle = await client.start_workflow(
        names.UPDATE_WORKFLOW,
        proposal,
        id=workflow_id,
        task_queue=task_queue,
        result_type=UpdateStatus,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes(pairs),
        static_summary=f"{w} `{proposal.container}` → {proposal.tag}",
        static_details=(
            f"Proposed by {proposal.proposed_by or proposal.source} via {proposal.source}.\n\n"
            f"UpdateRequest `{w.namespace}/{name}`."
        ),
    )
    return ProposalAccepted(
        workflow_id=workflow_id,
        run_id=handle.result_run_id,
        request_name=name,
        namespace=w.namespace,
    )


def _handle(client: Client, namespace: str, name: str) -> WorkflowHandle[Any, UpdateStatus]:
    return client.get_workflow_handle(
        naming.update_workflow_id(namespace, name), result_type=UpdateStatus
    )


async def get_status(client: Client, namespace: str, name: str) -> UpdateStatus:
    """The live status of a running request, or the final one of a finished request."""
    handle = _handle(client, namespace, name)
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFoundError(f"no update request {namespace}/{name}") from exc
        raise
    if description.status == WorkflowExecutionStatus.RUNNING:
        status: UpdateStatus = await handle.query(names.STATUS, result_type=UpdateStatus)
        return status
    try:
        final = await handle.result()
        return final.model_copy(update={"running": False})
    except WorkflowFailureError as exc:
        raise WrongPhaseError(f"update request {namespace}/{name} ended with an error") from exc


async def _decide(
    client: Client, namespace: str, name: str, update: str, body: ApprovalIn | RejectIn
) -> UpdateStatus:
    handle = _handle(client, namespace, name)
    try:
        status: UpdateStatus = await handle.execute_update(update, body, result_type=UpdateStatus)
        return status
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == names.WRONG_PHASE:
            raise WrongPhaseError(cause.message) from exc
        raise
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        status = await get_status(client, namespace, name)  # NotFoundError when truly unknown
        raise WrongPhaseError(
            f"cannot {update}: the update is {status.phase.value}, not Pending"
        ) from exc


async def approve(client: Client, namespace: str, name: str, body: ApprovalIn) -> UpdateStatus:
    """Approve; returns once the workload is patched (or found stale)."""
    return await _decide(client, namespace, name, names.APPROVE, body)


async def reject(client: Client, namespace: str, name: str, body: RejectIn) -> UpdateStatus:
    """Reject; the tag is never proposed again for this container."""
    return await _decide(client, namespace, name, names.REJECT, body)


def _query(
    namespace: str | None, phase: str | None, kind: str | None, extra: Sequence[str] = ()
) -> str:
    clauses = [f'WorkflowType = "{names.UPDATE_WORKFLOW}"']
    for attribute, value in (
        (attributes.NAMESPACE, namespace),
        (attributes.PHASE, phase),
        (attributes.KIND, kind),
    ):
        if value:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            clauses.append(f'{attribute.name} = "{escaped}"')
    clauses.extend(extra)
    return " AND ".join(clauses)


async def list_updates(
    client: Client,
    *,
    namespace: str | None = None,
    phase: str | None = None,
    kind: str | None = None,
    limit: int = 500,
) -> list[UpdateSummary]:
    """Updates from Temporal visibility, pending first, then newest first."""
    if kind:
        kind = WorkloadKind.parse(kind).value
    if phase:
        phase = Phase(phase).value if phase in Phase._value2member_map_ else phase
    found: list[UpdateSummary] = []
    async for execution in client.list_workflows(_query(namespace, phase, kind), limit=limit):
        attrs = execution.typed_search_attributes
        request = execution.id.rsplit("/", 1)[-1]
        found.append(
            UpdateSummary(
                workflow_id=execution.id,
                request_name=request,
                namespace=attrs.get(attributes.NAMESPACE) or "",
                kind=attrs.get(attributes.KIND) or "",
                name=attrs.get(attributes.NAME) or "",
                container=attrs.get(attributes.CONTAINER) or "",
                tag=attrs.get(attributes.CANDIDATE_TAG) or "",
                repository=attrs.get(attributes.IMAGE_REPOSITORY),
                phase=attrs.get(attributes.PHASE) or "",
                started_at=execution.start_time,
                closed_at=execution.close_time,
                running=execution.status == WorkflowExecutionStatus.RUNNING,
            )
        )
    found.sort(key=lambda u: u.started_at.timestamp() if u.started_at else 0, reverse=True)
    found.sort(key=lambda u: u.phase != Phase.PENDING.value)
    return found


async def rollback(
    client: Client, request: RollbackRequest, *, task_queue: str, request_id: str | None = None
) -> RollbackResult:
    """Run a manual rollback to its end; the same `request_id` never rolls back twice."""
    workflow_id = naming.rollback_workflow_id(
        request.workload, request.container, request_id or uuid.uuid4().hex
    )
    result: RollbackResult = await client.execute_workflow(
        names.ROLLBACK_WORKFLOW,
        request,
        result_type=RollbackResult,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Rollback of {request.workload} `{request.container}`",
    )
    return result
