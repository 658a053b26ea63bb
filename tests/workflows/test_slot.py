"""The container slot's Workflow Update: answered in the call, once per request however often
it is asked (a local activity that timed out asks again while the first call still waits)."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from headwind import names, naming
from headwind.models import SlotGrant, SlotRequest
from worker import serving


def _ask(
    env: WorkflowEnvironment, task_queue: str, request: SlotRequest
) -> asyncio.Task[SlotGrant]:
    start: WithStartWorkflowOperation[object, object] = WithStartWorkflowOperation(
        names.CONTAINER_SLOT_WORKFLOW,
        None,
        id=request.slot_id,
        task_queue=naming.slot_task_queue(task_queue),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return asyncio.ensure_future(
        env.client.execute_update_with_start_workflow(
            names.SLOT_ACQUIRE, request, start_workflow_operation=start, result_type=SlotGrant
        )
    )


async def test_the_same_request_asked_three_times_at_once_gets_one_answer_each(
    temporal_env: WorkflowEnvironment,
) -> None:
    task_queue = f"test-{uuid.uuid4().hex}"
    slot_id = f"headwind-slot/Deployment/team/web-{uuid.uuid4().hex[:8]}/app"
    holder = SlotRequest(workflow_id="update-1", slot_id=slot_id, tag="1.1.0", policy="minor")
    async with serving.build_slot_worker(temporal_env.client, task_queue=task_queue):
        asked = [_ask(temporal_env, task_queue, holder) for _ in range(3)]
        answers = await asyncio.wait_for(asyncio.gather(*asked), timeout=30)
        assert [a.granted for a in answers] == [True, True, True]
        # Asked again later, after the answers were handed out: still the holder.
        again = await asyncio.wait_for(_ask(temporal_env, task_queue, holder), timeout=30)
        assert again.granted
        await temporal_env.client.get_workflow_handle(slot_id).terminate()
