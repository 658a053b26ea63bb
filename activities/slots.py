"""The container slot's activities: asking for a turn, and ordering two candidates.

Workflow code can signal a running workflow but cannot start one, so a request for the slot
goes through `request_slot`, which uses the worker's own Temporal client. Which of two
candidates is newer is the policy engine's question; it runs in `is_newer` (a local activity of
the slot workflow), so a change to ordering rules never changes what replaying a slot does.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy

from headwind import names, ordering
from headwind.models import OrderingInput, SlotRequest
from headwind.naming import TASK_QUEUE

__all__ = ["is_newer", "request_slot"]


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
        static_summary=f"Slot of {request.slot_id.removeprefix('headwind-slot/')}",
    )


@activity.defn(name=names.IS_NEWER)
def is_newer(request: OrderingInput) -> bool:
    """True when the policy would choose `candidate` over `than` (a manual rollback always wins)."""
    return request.candidate.preempt or ordering.is_newer(request.candidate, request.than)
