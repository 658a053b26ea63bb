"""The starter: client-side operations on update workflows, for the API, the CLI and detectors.

One place turns "propose this tag", "approve that request", "list pending updates", "roll
back" into Temporal calls, and Temporal's errors into a few exceptions the callers map to their
own vocabulary (HTTP 404/409/503/504, CLI exit codes). Workflows are addressed by their
registered names (`headwind.names`), so this module loads no workflow code and the poll
activity can use it too.

Every proposal, whichever path found it (REST, CLI, webhook, poll), goes through `propose`:
the same candidate lands on one deterministic workflow ID and coalesces.

Listing lives in `listing`, on the same deadlines.

Every call has a deadline (`Deadlines`): a caller is never left waiting on a Temporal server
that does not answer or on a worker that is not running. What can be answered without a worker
is: a status is read from the workflow's search attributes when no worker answers the query,
and an approval or rejection that no worker takes in time is recorded by the workflow's
signal, which it acts on when a worker returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
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
    TERMINAL_PHASES,
    ApprovalIn,
    Phase,
    Proposal,
    RejectIn,
    RollbackRequest,
    RollbackResult,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)

__all__ = [
    "DEADLINES",
    "DeadlineExceededError",
    "Deadlines",
    "NotFoundError",
    "ProposalAccepted",
    "TemporalUnavailableError",
    "WrongPhaseError",
    "approve",
    "get_status",
    "ping",
    "propose",
    "reject",
    "rollback",
]


class NotFoundError(LookupError):
    """No such update request."""


class WrongPhaseError(RuntimeError):
    """The request is not in a phase that allows the action (HTTP 409)."""


class TemporalUnavailableError(ConnectionError):
    """Temporal's frontend cannot be reached (HTTP 503)."""


class DeadlineExceededError(TimeoutError):
    """Temporal, or the worker that must act, did not answer in time (HTTP 504).

    `recorded` says whether the request was nonetheless kept durably (an approval sent as a
    signal, a rollback workflow started): then it takes effect once a worker runs.
    """

    def __init__(self, message: str, *, recorded: bool = False) -> None:
        super().__init__(message)
        self.recorded = recorded


@dataclass(frozen=True)
class Deadlines:
    """How long each kind of call may take, in seconds."""

    call: float = 10.0
    """One exchange with Temporal's frontend that needs no worker: start, describe, signal,
    list, and a status query (after which the status is read from search attributes)."""
    worker: float = 30.0
    """An exchange a worker must complete: an approval until the workload is patched, a
    rejection, a manual rollback. Past it, the caller is told what was recorded."""


DEADLINES = Deadlines()


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProposalAccepted(_Out):
    """Where a proposal went: the update workflow and the UpdateRequest name it answers to."""

    workflow_id: str
    run_id: str | None
    request_name: str
    namespace: str


@contextlib.asynccontextmanager
async def _bounded(what: str, seconds: float) -> AsyncIterator[None]:
    """Run the body within `seconds`; Temporal's transport errors become our two exceptions."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except (TimeoutError, RPCTimeoutOrCancelledError) as exc:
        raise DeadlineExceededError(f"Temporal did not {what} within {seconds:g}s") from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise DeadlineExceededError(f"Temporal did not {what} within {seconds:g}s") from exc
        if exc.status == RPCStatusCode.UNAVAILABLE:
            raise TemporalUnavailableError(f"Temporal is unavailable: {exc.message}") from exc
        raise


def _rpc(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


async def ping(client: Client, *, deadlines: Deadlines = DEADLINES) -> bool:
    """Whether Temporal's frontend answers a health check in time."""
    try:
        async with asyncio.timeout(deadlines.call):
            return await client.service_client.check_health(timeout=_rpc(deadlines.call))
    except (TimeoutError, RPCError):
        return False


async def propose(
    client: Client, proposal: Proposal, *, task_queue: str, deadlines: Deadlines = DEADLINES
) -> ProposalAccepted:
    """Start (or join) the update workflow of this candidate; duplicates coalesce.

    "Use existing" joins a running workflow of the same candidate; "allow duplicate" lets a
    candidate that ended (skipped, stale, expired) be proposed again later. A deadline passed
    leaves it unknown whether the workflow started; proposing again is safe.
    """
    w = proposal.workload
    name = naming.request_name(w, proposal.container, proposal.tag)
    workflow_id = naming.update_workflow_id(w.namespace, name)
    pairs = [
        SearchAttributePair(attributes.key(attribute), value)
        for attribute, value in search_attributes.for_proposal(proposal)
    ]
    async with _bounded("start the update workflow", deadlines.call):
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
            rpc_timeout=_rpc(deadlines.call),
            # When this process also runs a worker on the task queue (`headwind run`), the
            # server hands the first workflow task back in the answer: no task queue poll.
            request_eager_start=True,
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


async def _describe(
    handle: WorkflowHandle[Any, UpdateStatus], namespace: str, name: str, deadlines: Deadlines
) -> WorkflowExecutionDescription:
    try:
        async with _bounded("describe the update workflow", deadlines.call):
            return await handle.describe(rpc_timeout=_rpc(deadlines.call))
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFoundError(f"no update request {namespace}/{name}") from exc
        raise


_ENDED_HOW = {
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed-out",
    WorkflowExecutionStatus.CANCELED: "canceled",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued-as-new",
}


def _from_attributes(
    description: WorkflowExecutionDescription, namespace: str, name: str
) -> UpdateStatus:
    """The status as the workflow's search attributes last recorded it (no worker needed).

    A workflow that was terminated, timed out or failed never reached a terminal phase of its
    own: it is reported `Failed`, the reason saying how it ended and the message in which
    phase.
    """
    attrs = description.typed_search_attributes
    recorded = attrs.get(attributes.PHASE) or ""
    last = Phase(recorded) if recorded in Phase._value2member_map_ else Phase.EVALUATING
    running = description.status == WorkflowExecutionStatus.RUNNING
    # `propose` sets the workload's attributes when it starts the workflow: always present.
    workload = WorkloadRef(
        kind=WorkloadKind(attrs.get(attributes.KIND) or WorkloadKind.DEPLOYMENT.value),
        namespace=attrs.get(attributes.NAMESPACE) or namespace,
        name=attrs.get(attributes.NAME) or name,
    )
    if running:
        phase, reason = last, ""
        message = (
            f"no worker answered; {last.value} is the phase Temporal last recorded"
            if recorded
            else "no worker answered, and the workflow has recorded no phase yet"
        )
    elif last in TERMINAL_PHASES:
        phase, reason, message = last, "", f"ended {last.value}"
    else:
        how = _ENDED_HOW.get(description.status or WorkflowExecutionStatus.FAILED, "failed")
        phase, reason = Phase.FAILED, how
        message = f"the update workflow {how} while {last.value}"
    return UpdateStatus(
        workflow_id=description.id,
        request_name=name,
        workload=workload,
        container=attrs.get(attributes.CONTAINER) or "",
        tag=attrs.get(attributes.CANDIDATE_TAG) or "",
        phase=phase,
        reason=reason,
        message=message,
        running=running,
    )


async def get_status(
    client: Client, namespace: str, name: str, *, deadlines: Deadlines = DEADLINES
) -> UpdateStatus:
    """The live status of a running request, or the final one of a finished request.

    Without a worker to answer the status query, the phase recorded in the workflow's search
    attributes; for a workflow that did not end by itself (terminated, timed out, failed), a
    `Failed` status saying so.
    """
    handle = _handle(client, namespace, name)
    description = await _describe(handle, namespace, name, deadlines)
    if description.status == WorkflowExecutionStatus.RUNNING:
        try:
            async with _bounded("answer the status query", deadlines.call):
                status: UpdateStatus = await handle.query(
                    names.STATUS, result_type=UpdateStatus, rpc_timeout=_rpc(deadlines.call)
                )
                return status
        except (DeadlineExceededError, TemporalUnavailableError, WorkflowQueryFailedError):
            return _from_attributes(description, namespace, name)
        except RPCError:  # the query was refused (no poller, closed meanwhile): still readable
            return _from_attributes(description, namespace, name)
    if description.status == WorkflowExecutionStatus.COMPLETED:
        try:
            async with _bounded("return the workflow's result", deadlines.call):
                final = await handle.result(rpc_timeout=_rpc(deadlines.call))
            return final.model_copy(update={"running": False})
        except WorkflowFailureError:
            pass
    return _from_attributes(description, namespace, name)


async def _decide(
    client: Client,
    namespace: str,
    name: str,
    update: str,
    signal: str,
    body: ApprovalIn | RejectIn,
    deadlines: Deadlines,
) -> UpdateStatus:
    verb = "approve" if update == names.APPROVE else "reject"
    handle = _handle(client, namespace, name)
    accepted: WorkflowUpdateHandle[UpdateStatus] | None = None
    try:
        async with asyncio.timeout(deadlines.worker):
            accepted = await handle.start_update(
                update,
                body,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                result_type=UpdateStatus,
                rpc_timeout=_rpc(deadlines.worker),
            )
            status: UpdateStatus = await accepted.result()
            return status
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == names.WRONG_PHASE:
            raise WrongPhaseError(cause.message) from exc
        raise
    except (TimeoutError, RPCTimeoutOrCancelledError) as exc:
        if accepted is not None:
            raise DeadlineExceededError(
                f"the {verb} was accepted, but the worker did not finish within "
                f"{deadlines.worker:g}s; follow it with GET /api/v1/updates/{namespace}/{name}",
                recorded=True,
            ) from exc
        await _record_by_signal(handle, namespace, name, verb, signal, body, deadlines)
        raise DeadlineExceededError(
            f"no worker took the {verb} within {deadlines.worker:g}s; it is recorded and takes "
            "effect when a worker runs",
            recorded=True,
        ) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNAVAILABLE:
            raise TemporalUnavailableError(f"Temporal is unavailable: {exc.message}") from exc
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        status = await get_status(client, namespace, name, deadlines=deadlines)
        raise WrongPhaseError(
            f"cannot {verb}: the update is {status.phase.value}, not Pending"
        ) from exc


async def _record_by_signal(
    handle: WorkflowHandle[Any, UpdateStatus],
    namespace: str,
    name: str,
    verb: str,
    signal: str,
    body: ApprovalIn | RejectIn,
    deadlines: Deadlines,
) -> None:
    """Send the decision as the workflow's signal, if the request waits for one.

    The workflow applies the signal only while it is Pending and undecided, so a decision that
    also arrives through the Update (held by the server until a worker returns) counts once.
    """
    description = await _describe(handle, namespace, name, deadlines)
    current = _from_attributes(description, namespace, name)
    if not current.running or current.phase != Phase.PENDING:
        raise WrongPhaseError(f"cannot {verb}: the update is {current.phase.value}, not Pending")
    async with _bounded(f"record the {verb}", deadlines.call):
        await handle.signal(signal, body, rpc_timeout=_rpc(deadlines.call))


async def approve(
    client: Client,
    namespace: str,
    name: str,
    body: ApprovalIn,
    *,
    deadlines: Deadlines = DEADLINES,
) -> UpdateStatus:
    """Approve; returns once the workload is patched (or found stale)."""
    return await _decide(
        client, namespace, name, names.APPROVE, names.APPROVE_SIGNAL, body, deadlines
    )


async def reject(
    client: Client,
    namespace: str,
    name: str,
    body: RejectIn,
    *,
    deadlines: Deadlines = DEADLINES,
) -> UpdateStatus:
    """Reject; the tag is never proposed again for this container."""
    return await _decide(
        client, namespace, name, names.REJECT, names.REJECT_SIGNAL, body, deadlines
    )


async def rollback(
    client: Client,
    request: RollbackRequest,
    *,
    task_queue: str,
    request_id: str | None = None,
    deadlines: Deadlines = DEADLINES,
) -> RollbackResult:
    """Run a manual rollback to its end; the same `request_id` never rolls back twice.

    The workflow is started first (durable), then awaited: past the worker deadline the caller
    learns it was started and will run once a worker does.
    """
    workflow_id = naming.rollback_workflow_id(
        request.workload, request.container, request_id or uuid.uuid4().hex
    )
    async with _bounded("start the rollback workflow", deadlines.call):
        handle = await client.start_workflow(
            names.ROLLBACK_WORKFLOW,
            request,
            result_type=RollbackResult,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Rollback of {request.workload} `{request.container}`",
            rpc_timeout=_rpc(deadlines.call),
        )
    try:
        async with asyncio.timeout(deadlines.worker):
            result: RollbackResult = await handle.result()
            return result
    except (TimeoutError, RPCTimeoutOrCancelledError) as exc:
        raise DeadlineExceededError(
            f"the rollback started as workflow {workflow_id}, but no worker finished it within "
            f"{deadlines.worker:g}s; it runs when a worker does (repeat the request with the "
            "same Idempotency-Key to wait for it again)",
            recorded=True,
        ) from exc
