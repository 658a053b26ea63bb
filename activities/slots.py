"""Asking a container's slot workflow for a turn (signal-with-start needs a client).

Workflow code can signal a running workflow but cannot start one, so the request goes through
this activity, which uses the worker's own Temporal client.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy

from activities import names
from headwind.models import SlotRequest
from headwind.naming import TASK_QUEUE

__all__ = ["request_slot"]

SLOT_WORKFLOW = "ContainerSlot"


@activity.defn(name=names.REQUEST_SLOT)
async def request_slot(request: SlotRequest) -> None:
    """Signal the slot workflow, starting it when it is not running."""
    await activity.client().start_workflow(
        SLOT_WORKFLOW,
        None,
        id=request.slot_id,
        task_queue=activity.info().task_queue or TASK_QUEUE,
        start_signal="request",
        start_signal_args=[request],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"Slot of {request.slot_id.removeprefix('headwind-slot/')}",
    )
