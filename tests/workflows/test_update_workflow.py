"""The update workflow's logic on a real Temporal server, with an in-memory cluster."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import slots
from clients.temporal import operations
from headwind import naming
from headwind.models import (
    ApprovalIn,
    HealthState,
    Phase,
    Proposal,
    RejectIn,
    RollbackRequest,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from tests.workflows import recording
from tests.workflows.fakes import FakeCluster, FakeWorkload
from worker import serving
from workflows.update import UpdateWorkflow


class Harness:
    def __init__(self, client: Client, cluster: FakeCluster, task_queue: str) -> None:
        self.client = client
        self.cluster = cluster
        self.task_queue = task_queue
        self.workload = WorkloadRef(
            kind=WorkloadKind.DEPLOYMENT, namespace="team", name=f"web-{uuid.uuid4().hex[:8]}"
        )

    def add(self, **settings: object) -> FakeWorkload:
        image = str(settings.pop("image", "registry.local/web:1.0.0"))
        fake = FakeWorkload(image=image, **settings)  # type: ignore[arg-type]
        self.cluster.workloads[FakeCluster.key(self.workload, "app")] = fake
        return fake

    async def propose(self, tag: str) -> operations.ProposalAccepted:
        proposal = Proposal(workload=self.workload, container="app", tag=tag)
        return await operations.propose(self.client, proposal, task_queue=self.task_queue)

    def name(self, tag: str) -> str:
        return naming.request_name(self.workload, "app", tag)

    async def status(self, tag: str) -> UpdateStatus:
        return await operations.get_status(self.client, "team", self.name(tag))

    async def wait_phase(self, tag: str, phase: Phase, timeout: float = 20) -> UpdateStatus:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status = await self.status(tag)
            if status.phase == phase:
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{tag}: still {status.phase}, wanted {phase}: {status}")
            await asyncio.sleep(0.2)

    async def final(self, tag: str) -> UpdateStatus:
        handle = self.client.get_workflow_handle_for(
            UpdateWorkflow.run, naming.update_workflow_id("team", self.name(tag))
        )
        status = await handle.result()
        await recording.record(handle, tag)
        return status

    async def record_slot(self) -> None:
        await recording.record(
            self.client.get_workflow_handle(naming.slot_workflow_id(self.workload, "app")), "slot"
        )


@pytest.fixture
async def harness(temporal_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    cluster = FakeCluster()
    task_queue = f"test-{uuid.uuid4().hex}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        async with (
            Worker(
                temporal_env.client,
                task_queue=task_queue,
                workflows=list(serving.WORKFLOWS),
                activities=[*cluster.activities(), *slots.ACTIVITIES],
                activity_executor=executor,
                workflow_runner=serving.workflow_runner(),
            ),
            serving.build_slot_worker(temporal_env.client, task_queue=task_queue),
        ):
            yield Harness(temporal_env.client, cluster, task_queue)


async def test_auto_update_applies_without_approval(harness: Harness) -> None:
    harness.add(require_approval=False)
    await harness.propose("1.1.0")
    final = await harness.final("1.1.0")
    assert final.phase == Phase.COMPLETED
    assert [a.new_image for a in harness.cluster.applies] == ["registry.local/web:1.1.0"]
    assert [n.event for n in harness.cluster.notifications] == [
        "update.detected",
        "update.completed",
    ]


async def test_a_newer_candidate_waits_for_an_update_that_applies_at_once(
    harness: Harness,
) -> None:
    # An update with nothing to wait for asks for the slot as "busy": a newer candidate that
    # arrives while it writes waits for it instead of telling it to stand down.
    harness.add(require_approval=False)
    harness.cluster.apply_gate = threading.Event()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.APPLYING)
    await harness.propose("1.2.0")
    deadline = asyncio.get_running_loop().time() + 20
    while "its turn" not in (await harness.status("1.2.0")).waiting_for:
        assert asyncio.get_running_loop().time() < deadline, "1.2.0 never waited for its turn"
        await asyncio.sleep(0.2)
    harness.cluster.apply_gate.set()
    assert (await harness.final("1.1.0")).phase == Phase.COMPLETED
    assert (await harness.final("1.2.0")).phase == Phase.COMPLETED
    assert [a.new_image for a in harness.cluster.applies] == [
        "registry.local/web:1.1.0",
        "registry.local/web:1.2.0",
    ]
    first = harness.client.get_workflow_handle(
        naming.update_workflow_id("team", harness.name("1.1.0"))
    )
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        async for e in first.fetch_history_events()
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    # Granted in the answer to its request, never told to stand down (pinged: it still runs).
    assert "slot_granted" not in signals


async def test_approval_applies_and_records_approver(harness: Harness) -> None:
    harness.add()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    assert harness.cluster.applies == []
    result = await operations.approve(
        harness.client, "team", harness.name("1.1.0"), ApprovalIn(approver="alice")
    )
    assert result.phase == Phase.COMPLETED
    assert result.approved_by == "alice"
    assert len(harness.cluster.applies) == 1


async def test_same_candidate_many_times_is_one_workflow(harness: Harness) -> None:
    harness.add()
    accepted = await asyncio.gather(*(harness.propose("1.1.0") for _ in range(5)))
    assert len({a.run_id for a in accepted}) == 1
    await harness.wait_phase("1.1.0", Phase.PENDING)
    await harness.propose("1.1.0")  # once more while it waits for approval
    # The notification follows the phase change: wait for the activity to have run.
    for _ in range(100):
        if any(n.event == "request.created" for n in harness.cluster.notifications):
            break
        await asyncio.sleep(0.1)
    created = [n for n in harness.cluster.notifications if n.event == "request.created"]
    assert len(created) == 1
    assert [t.status.phase for t in harness.cluster.transitions].count(Phase.PENDING) == 1


async def test_reject_remembers_the_tag(harness: Harness) -> None:
    harness.add()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    result = await operations.reject(
        harness.client, "team", harness.name("1.1.0"), RejectIn(approver="bob", reason="no")
    )
    assert result.phase == Phase.REJECTED
    assert result.rejected_by == "bob"
    assert "1.1.0" in harness.cluster.remembered[FakeCluster.key(harness.workload, "app")]
    await harness.final("1.1.0")
    await harness.propose("1.1.0")
    again = await harness.final("1.1.0")
    assert again.phase == Phase.SKIPPED
    assert again.reason == "rejected-earlier"
    with pytest.raises(operations.WrongPhaseError):
        await operations.approve(harness.client, "team", harness.name("1.1.0"), ApprovalIn())


async def test_expiry_then_approve_is_refused(harness: Harness) -> None:
    harness.add(approval_timeout=1)
    await harness.propose("1.1.0")
    final = await harness.final("1.1.0")
    assert final.phase == Phase.EXPIRED
    with pytest.raises(operations.WrongPhaseError, match="Expired"):
        await operations.approve(harness.client, "team", harness.name("1.1.0"), ApprovalIn())
    assert harness.cluster.applies == []


async def test_newer_candidate_supersedes_pending(harness: Harness) -> None:
    harness.add()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    await harness.propose("1.2.0")
    assert (await harness.final("1.1.0")).phase == Phase.SUPERSEDED
    await harness.wait_phase("1.2.0", Phase.PENDING)
    # An older candidate arriving later does not displace the newer pending one.
    await harness.propose("1.1.5")
    assert (await harness.final("1.1.5")).phase == Phase.SUPERSEDED
    await harness.wait_phase("1.2.0", Phase.PENDING)
    await harness.record_slot()


async def test_concurrent_approvals_apply_once(harness: Harness) -> None:
    harness.add()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    name = harness.name("1.1.0")

    async def one(i: int) -> str:
        try:
            await operations.approve(harness.client, "team", name, ApprovalIn(approver=f"u{i}"))
        except operations.WrongPhaseError:
            return "refused"
        return "approved"

    outcomes = await asyncio.gather(*(one(i) for i in range(10)))
    assert outcomes.count("approved") == 1
    assert len(harness.cluster.applies) == 1


async def test_image_changed_before_approval_is_stale(harness: Harness) -> None:
    fake = harness.add()
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.PENDING)
    fake.image = "registry.local/web:1.0.1"  # someone else changed it
    result = await operations.approve(harness.client, "team", harness.name("1.1.0"), ApprovalIn())
    assert result.phase == Phase.STALE
    assert harness.cluster.applies == []


async def test_failing_health_rolls_back_and_remembers(harness: Harness) -> None:
    fake = harness.add(require_approval=False, auto_rollback=True, retries=2)
    harness.cluster.health = HealthState.FAILING
    await harness.propose("1.1.0")
    final = await harness.final("1.1.0")
    assert final.phase == Phase.ROLLED_BACK
    assert fake.image == "registry.local/web:1.0.0"
    assert [a.action for a in harness.cluster.applies] == ["update", "rollback"]
    assert "1.1.0" in harness.cluster.remembered[FakeCluster.key(harness.workload, "app")]
    events = [n.event for n in harness.cluster.notifications]
    assert events[-2:] == ["rollback.triggered", "rollback.completed"]


async def test_min_update_interval_defers_not_drops(harness: Harness) -> None:
    harness.add(require_approval=False, min_update_interval=2, last_update=datetime.now(UTC))
    await harness.propose("1.1.0")
    await harness.wait_phase("1.1.0", Phase.WAITING)
    final = await harness.final("1.1.0")
    assert final.phase == Phase.COMPLETED
    phases = [t.status.phase for t in harness.cluster.transitions]
    assert phases == [Phase.WAITING, Phase.APPLYING, Phase.COMPLETED]


async def test_manual_rollback_restores_previous(harness: Harness) -> None:
    fake = harness.add(require_approval=False)
    await harness.propose("1.1.0")
    assert (await harness.final("1.1.0")).phase == Phase.COMPLETED
    result = await operations.rollback(
        harness.client,
        RollbackRequest(workload=harness.workload, container="app", requested_by="carol"),
        task_queue=harness.task_queue,
    )
    assert result.rolled_back, result.message
    assert fake.image == "registry.local/web:1.0.0"
    assert harness.cluster.applies[-1].manual
    await recording.record(harness.client.get_workflow_handle(result.workflow_id), "rollback")


async def test_signal_approval_is_kept_while_no_worker_runs(
    temporal_env: WorkflowEnvironment,
) -> None:
    cluster = FakeCluster()
    task_queue = f"test-{uuid.uuid4().hex}"
    harness = Harness(temporal_env.client, cluster, task_queue)
    harness.add()

    def worker(executor: concurrent.futures.ThreadPoolExecutor) -> Worker:
        return Worker(
            temporal_env.client,
            task_queue=task_queue,
            workflows=list(serving.WORKFLOWS),
            activities=[*cluster.activities(), *slots.ACTIVITIES],
            activity_executor=executor,
            workflow_runner=serving.workflow_runner(),
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        async with (
            worker(executor),
            serving.build_slot_worker(temporal_env.client, task_queue=task_queue),
        ):
            await harness.propose("1.1.0")
            await harness.wait_phase("1.1.0", Phase.PENDING)
        # No worker now: an Update could not be delivered, a signal is stored durably.
        handle = temporal_env.client.get_workflow_handle(
            naming.update_workflow_id("team", harness.name("1.1.0"))
        )
        await handle.signal(UpdateWorkflow.approve_signal, ApprovalIn(approver="dave"))
        assert cluster.applies == []
        async with (
            worker(executor),
            serving.build_slot_worker(temporal_env.client, task_queue=task_queue),
        ):
            final = await harness.final("1.1.0")
    assert final.phase == Phase.COMPLETED
    assert final.approved_by == "dave"
    assert len(cluster.applies) == 1


async def test_more_updates_at_once_than_the_worker_has_task_slots_all_complete(
    temporal_env: WorkflowEnvironment,
) -> None:
    # Each update waits for its slot's answer inside one of its own workflow tasks; the slots
    # answer from their own task queue, so updates holding every task slot cannot starve them.
    cluster = FakeCluster()
    task_queue = f"test-{uuid.uuid4().hex}"
    harnesses = [Harness(temporal_env.client, cluster, task_queue) for _ in range(12)]
    for harness in harnesses:
        harness.add(require_approval=False)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        async with (
            Worker(
                temporal_env.client,
                task_queue=task_queue,
                workflows=list(serving.WORKFLOWS),
                activities=[*cluster.activities(), *slots.ACTIVITIES],
                activity_executor=executor,
                workflow_runner=serving.workflow_runner(),
                max_concurrent_workflow_tasks=2,
            ),
            serving.build_slot_worker(temporal_env.client, task_queue=task_queue),
        ):
            await asyncio.gather(*(h.propose("1.1.0") for h in harnesses))
            finals = await asyncio.wait_for(
                asyncio.gather(*(h.final("1.1.0") for h in harnesses)), timeout=90
            )
    assert [f.phase for f in finals] == [Phase.COMPLETED] * len(harnesses)
    assert len(cluster.applies) == len(harnesses)
