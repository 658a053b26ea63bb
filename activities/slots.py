"""The container slot's activities: asking for a turn, giving it back, ordering two candidates.

Workflow code can signal a running workflow but cannot start one or wait for another's answer
in the same step, so a request for the slot goes through an activity with the worker's own
Temporal client. `acquire_slot` (a Workflow Update, starting the slot when it does not run)
returns the slot's answer at once; `request_slot` (signal-with-start, the answer by signal) is
what updates started before it still call. Which of two candidates is newer is the policy
engine's question; it runs in `is_newer` (a local activity of the slot workflow), so a change
to ordering rules never changes what replaying a slot does.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from headwind import names, ordering
from headwind.models import OrderingInput, SlotGrant, SlotRelease, SlotRequest
from headwind.naming import TASK_QUEUE, slot_task_queue

__all__ = ["ACTIVITIES", "acquire_slot", "is_newer", "release_slot", "request_slot"]


def _summary(slot_id: str) -> str:
    return f"Slot of {slot_id.removeprefix('headwind-slot/')}"


@activity.defn(name=names.REQUEST_SLOT)
async def request_slot(request: SlotRequest) -> None:
    """Signal the slot workflow, starting it when it is not running."""
    await activity.client().start_workflow(
        names.CONTAINER_SLOT_WORKFLOW,
        None,
        id=request.slot_id,
        task_queue=activity.info().task_queue or TASK_QUEUE,
        start_signal=names.SLOT_REQUEST,
        start_signal_args=[request],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=_summary(request.slot_id),
    )


@activity.defn(name=names.ACQUIRE_SLOT)
async def acquire_slot(request: SlotRequest) -> SlotGrant:
    """Ask the slot (starting it when it is not running) and return its answer.

    Asking again for the same update is answered the same way, so a retry is harmless. A
    slot this starts runs on the slots' own task queue (`naming.slot_task_queue`); one that
    an update of an earlier version started on the main queue is asked where it runs.
    """
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        names.CONTAINER_SLOT_WORKFLOW,
        None,
        id=request.slot_id,
        task_queue=slot_task_queue(activity.info().task_queue or TASK_QUEUE),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=_summary(request.slot_id),
    )
    grant: SlotGrant = await activity.client().execute_update_with_start_workflow(
        names.SLOT_ACQUIRE,
        request,
        start_workflow_operation=start,
        result_type=SlotGrant,
    )
    return grant


@activity.defn(name=names.RELEASE_SLOT)
async def release_slot(release: SlotRelease) -> None:
    """Tell the slot its holder is done; a slot that no longer runs has nothing to free."""
    handle = activity.client().get_workflow_handle(release.slot_id)
    try:
        await handle.signal(names.SLOT_RELEASE, release.workflow_id)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise


@activity.defn(name=names.IS_NEWER)
async def is_newer(request: OrderingInput) -> bool:
    """True when the policy would choose `candidate` over `than` (a manual rollback always wins)."""
    return request.candidate.preempt or ordering.is_newer(request.candidate, request.than)


ACTIVITIES = (request_slot, acquire_slot, release_slot, is_newer)
"""Every activity of the slot, as a worker registers them."""
