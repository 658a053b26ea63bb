"""The starter against a real Temporal dev server: deadlines, no worker, workflows that ended badly.

The update workflow runs on a worker with an in-memory cluster behind the activities' real
names (`tests.workflows.fakes`), so each test can stop the worker, call the starter while no
worker runs, and start one again to see what was recorded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import slots
from clients.temporal import attributes, operations
from headwind import naming, search_attributes
from headwind.models import (
    ApprovalIn,
    Phase,
    Proposal,
    RejectIn,
    RollbackRequest,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from tests.workflows.fakes import FakeCluster, FakeWorkload
from worker import serving

TEMPORAL = Path(sys.prefix) / "bin" / "temporal"
SHORT = operations.Deadlines(call=3, worker=2)
"""Deadlines a test can afford to wait out."""


@pytest.fixture(scope="module")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL),
        data_converter=pydantic_data_converter,
        search_attributes=attributes.ALL,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@workflow.defn(name="FailsAtOnce", sandboxed=False)
class FailsAtOnce:
    """Stands in for an update workflow that failed (an unhandled, non-retryable error)."""

    @workflow.run
    async def run(self, proposal: Proposal) -> None:
        raise ApplicationError("broken on purpose", non_retryable=True)


class Site:
    """One task queue, one in-memory cluster, and a worker that can be stopped and started."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.cluster = FakeCluster()
        self.task_queue = f"ops-{uuid.uuid4().hex}"
        self.workload = WorkloadRef(
            kind=WorkloadKind.DEPLOYMENT, namespace="team", name=f"web-{uuid.uuid4().hex[:8]}"
        )
        self.cluster.workloads[FakeCluster.key(self.workload, "app")] = FakeWorkload(
            image="registry.local/web:1.0.0"
        )

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
            async with (
                Worker(
                    self.client,
                    task_queue=self.task_queue,
                    workflows=[*serving.WORKFLOWS, FailsAtOnce],
                    activities=[*self.cluster.activities(), *slots.ACTIVITIES],
                    activity_executor=executor,
                    workflow_runner=serving.workflow_runner(),
                ),
                serving.build_slot_worker(self.client, task_queue=self.task_queue),
            ):
                yield

    def proposal(self, tag: str) -> Proposal:
        return Proposal(workload=self.workload, container="app", tag=tag)

    def name(self, tag: str) -> str:
        return naming.request_name(self.workload, "app", tag)

    async def propose(self, tag: str) -> str:
        await operations.propose(self.client, self.proposal(tag), task_queue=self.task_queue)
        return self.name(tag)

    async def wait_phase(self, name: str, phase: Phase, timeout: float = 30) -> UpdateStatus:
        async with asyncio.timeout(timeout):
            while True:
                status = await operations.get_status(self.client, "team", name)
                if status.phase == phase:
                    return status
                await asyncio.sleep(0.2)

    async def pending(self, tag: str) -> str:
        """Propose `tag` and leave it Pending with no worker running."""
        async with self.worker():
            name = await self.propose(tag)
            await self.wait_phase(name, Phase.PENDING)
        return name


@pytest.fixture
def site(temporal_env: WorkflowEnvironment) -> Site:
    return Site(temporal_env.client)


Decide = Callable[[Client, str, str], Awaitable[UpdateStatus]]


async def _approve(client: Client, namespace: str, name: str) -> UpdateStatus:
    body = ApprovalIn(approver="alice")
    return await operations.approve(client, namespace, name, body, deadlines=SHORT)


async def _reject(client: Client, namespace: str, name: str) -> UpdateStatus:
    body = RejectIn(approver="alice")
    return await operations.reject(client, namespace, name, body, deadlines=SHORT)


DECISIONS = [
    pytest.param(
        _approve,
        Phase.COMPLETED,
        "approved_by",
        id="approve without a worker: recorded, applied when a worker returns",
    ),
    pytest.param(
        _reject,
        Phase.REJECTED,
        "rejected_by",
        id="reject without a worker: recorded, rejected when a worker returns",
    ),
]


@pytest.mark.parametrize(("decide", "final", "who"), DECISIONS)
async def test_a_decision_no_worker_takes_is_recorded_and_carried_out_later(
    site: Site, decide: Decide, final: Phase, who: str
) -> None:
    name = await site.pending("1.1.0")
    with pytest.raises(operations.DeadlineExceededError, match="recorded") as raised:
        await decide(site.client, "team", name)
    assert raised.value.recorded
    assert site.cluster.applies == []
    async with site.worker():
        status = await site.wait_phase(name, final)
    assert getattr(status, who) == "alice"
    assert len(site.cluster.applies) == (1 if final == Phase.COMPLETED else 0)


async def test_a_decision_on_a_request_that_is_not_pending_is_refused_without_a_worker(
    site: Site,
) -> None:
    name = await site.pending("1.1.0")
    handle = site.client.get_workflow_handle(naming.update_workflow_id("team", name))
    await handle.terminate("operator")
    with pytest.raises(operations.WrongPhaseError, match="Failed, not Pending"):
        await operations.approve(site.client, "team", name, ApprovalIn(), deadlines=SHORT)


async def test_status_without_a_worker_is_the_recorded_phase(site: Site) -> None:
    name = await site.pending("1.1.0")
    status = await operations.get_status(site.client, "team", name, deadlines=SHORT)
    assert (status.phase, status.running, status.tag) == (Phase.PENDING, True, "1.1.0")
    assert status.workload == site.workload
    assert "no worker answered" in status.message


async def _terminated(site: Site, name: str) -> None:
    async with site.worker():
        await site.propose("1.1.0")
        await site.wait_phase(name, Phase.PENDING)
        handle = site.client.get_workflow_handle(naming.update_workflow_id("team", name))
        await handle.terminate("operator")


async def _start_as(site: Site, name: str, workflow_type: str, **options: Any) -> None:
    proposal = site.proposal("1.1.0")
    pairs = [
        SearchAttributePair(attributes.key(attribute), value)
        for attribute, value in search_attributes.for_proposal(proposal)
    ]
    handle = await site.client.start_workflow(
        workflow_type,
        proposal,
        id=naming.update_workflow_id("team", name),
        task_queue=site.task_queue,
        search_attributes=TypedSearchAttributes(pairs),
        **options,
    )
    with contextlib.suppress(Exception):
        await handle.result()


async def _timed_out(site: Site, name: str) -> None:
    # No worker: the workflow never runs and Temporal times it out.
    await _start_as(site, name, "Update", execution_timeout=timedelta(seconds=1))


async def _failed(site: Site, name: str) -> None:
    async with site.worker():
        await _start_as(site, name, "FailsAtOnce")


ENDINGS = [
    pytest.param(_terminated, "terminated", "while Pending", id="terminated while Pending"),
    pytest.param(_timed_out, "timed-out", "while Evaluating", id="timed out before it ran"),
    pytest.param(_failed, "failed", "while Evaluating", id="failed with an error"),
]


@pytest.mark.parametrize(("end", "how", "where"), ENDINGS)
async def test_status_of_a_workflow_that_did_not_end_by_itself_is_failed(
    site: Site, end: Callable[[Site, str], Awaitable[None]], how: str, where: str
) -> None:
    name = site.name("1.1.0")
    await end(site, name)
    status = await operations.get_status(site.client, "team", name, deadlines=SHORT)
    assert (status.phase, status.reason, status.running) == (Phase.FAILED, how, False)
    assert where in status.message
    assert status.workload == site.workload


async def test_rollback_no_worker_finishes_is_started_and_reported(site: Site) -> None:
    request = RollbackRequest(workload=site.workload, container="app")
    with pytest.raises(operations.DeadlineExceededError, match="runs when a worker does") as e:
        await operations.rollback(
            site.client, request, task_queue=site.task_queue, request_id="r1", deadlines=SHORT
        )
    assert e.value.recorded
    workflow_id = naming.rollback_workflow_id(site.workload, "app", "r1")
    description = await site.client.get_workflow_handle(workflow_id).describe()
    assert description.status is not None
    assert description.status.name == "RUNNING"


async def test_a_temporal_that_went_away_is_reported_in_time() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL),
        data_converter=pydantic_data_converter,
        search_attributes=attributes.ALL,
        dev_server_log_level="error",
    )
    client = env.client
    await env.shutdown()
    proposal = Proposal(
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="team", name="web"),
        container="app",
        tag="1.1.0",
    )
    async with asyncio.timeout(SHORT.call + 5):
        with pytest.raises((operations.DeadlineExceededError, operations.TemporalUnavailableError)):
            await operations.propose(client, proposal, task_queue="q", deadlines=SHORT)
        with pytest.raises((operations.DeadlineExceededError, operations.TemporalUnavailableError)):
            await operations.get_status(client, "team", "web-app", deadlines=SHORT)
        assert not await operations.ping(client, deadlines=SHORT)
