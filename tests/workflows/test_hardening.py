"""No update wedges its container: what happens when an update ends without saying goodbye."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import slots
from headwind import naming
from headwind.models import Phase
from tests.workflows.fakes import FakeCluster
from tests.workflows.test_update_workflow import Harness
from worker import serving


@pytest.fixture
async def harness(temporal_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    cluster = FakeCluster()
    task_queue = f"test-{uuid.uuid4().hex}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            temporal_env.client,
            task_queue=task_queue,
            workflows=list(serving.WORKFLOWS),
            activities=[*cluster.activities(), slots.request_slot, slots.is_newer],
            activity_executor=executor,
            workflow_runner=serving.workflow_runner(),
        ):
            yield Harness(temporal_env.client, cluster, task_queue)


@pytest.mark.parametrize(
    "next_tag",
    [
        pytest.param("1.2.0", id="a newer candidate"),
        pytest.param("1.0.5", id="an older candidate (it would lose to a live holder)"),
    ],
)
async def test_a_terminated_holder_frees_its_container(harness: Harness, next_tag: str) -> None:
    harness.add(image="registry.local/web:1.0.0")
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    holder = harness.client.get_workflow_handle(
        naming.update_workflow_id("team", harness.name("1.1.0"))
    )
    await holder.terminate(reason="an operator gave up on it")

    await harness.propose(next_tag)
    status = await harness.wait_phase(next_tag, Phase.PENDING)
    assert status.waiting_for == "approval"
