"""A manual rollback: durable, audited, and serialised with updates of the same container.

It takes the container's slot (winning over an update that only waits or is pending), reads
where to go back to, writes it in one conditional patch, and remembers the abandoned tag as
failed so that detection does not immediately propose it again.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from headwind import names, naming
    from headwind.models import (
        ApplyInput,
        ApplyResult,
        RememberInput,
        RollbackPlan,
        RollbackRequest,
        RollbackResult,
        SlotGrant,
        SlotRequest,
    )
    from workflows import common

__all__ = ["RollbackWorkflow"]


@workflow.defn(name=names.ROLLBACK_WORKFLOW)
class RollbackWorkflow:
    def __init__(self) -> None:
        self._grant: SlotGrant | None = None

    @workflow.signal(name=names.SLOT_PING)
    def slot_ping(self) -> None:
        """The container's slot checks that this rollback still runs; nothing to do."""

    @workflow.signal(name=names.SLOT_GRANTED)
    def slot_granted(self, grant: SlotGrant) -> None:
        if self._grant is None:
            self._grant = grant

    @workflow.run
    async def run(self, request: RollbackRequest) -> RollbackResult:
        me = workflow.info().workflow_id
        slot = workflow.get_external_workflow_handle(
            naming.slot_workflow_id(request.workload, request.container)
        )
        result = RollbackResult(
            workflow_id=me,
            workload=request.workload,
            container=request.container,
            rolled_back=False,
            message="",
            requested_by=request.requested_by,
        )
        workflow.set_current_details("Waiting for the container's slot")
        await common.act(
            names.REQUEST_SLOT,
            SlotRequest(
                workflow_id=me,
                slot_id=naming.slot_workflow_id(request.workload, request.container),
                tag=request.to or "previous",
                policy="force",
                preempt=True,
            ),
            type(None),
        )
        await workflow.wait_condition(lambda: self._grant is not None)
        if self._grant is not None and not self._grant.granted:
            message = f"another change of this container won: {self._grant.superseded_by}"
            return result.model_copy(update={"message": message})
        # Released on every way out but eviction and termination (see the update workflow):
        # an activity that failed for good must not keep the container.
        try:
            outcome = await self._roll_back(request, slot, result)
        except ActivityError as error:
            outcome = result.model_copy(update={"message": f"failed: {error.cause or error}"})
        await slot.signal(names.SLOT_RELEASE, me)
        return outcome

    async def _roll_back(
        self,
        request: RollbackRequest,
        slot: workflow.ExternalWorkflowHandle[object],
        result: RollbackResult,
    ) -> RollbackResult:
        me = workflow.info().workflow_id
        await slot.signal(names.SLOT_BUSY, me)
        plan: RollbackPlan = await common.act(names.PLAN_ROLLBACK, request, RollbackPlan)
        if not plan.possible:
            return result.model_copy(update={"message": plan.message})
        workflow.set_current_details(f"Rolling back to {plan.target_image}")
        applied: ApplyResult = await common.act(
            names.APPLY,
            ApplyInput(
                workload=request.workload,
                container=request.container,
                expected_image=plan.current_image,
                new_image=plan.target_image,
                workflow_id=me,
                action="rollback",
                actor=request.requested_by,
                manual=True,
                reason="manual rollback",
            ),
            ApplyResult,
        )
        if applied.applied:
            await common.act(
                names.REMEMBER_TAG,
                RememberInput(
                    workload=request.workload,
                    container=request.container,
                    tag=plan.abandoned_tag,
                    why="failed",
                ),
                type(None),
            )
        return result.model_copy(
            update={
                "rolled_back": applied.applied,
                "message": applied.message,
                "from_image": plan.current_image,
                "to_image": plan.target_image,
            }
        )
