"""The polling driver and the PollRepository workflow on a real Temporal server.

The driver's decisions are pure (tests/domain/test_polling_schedules.py); here it talks to a
real server: schedules appear with the interval the index asks for, change with it, go when
nobody polls, and a schedule's run is the PollRepository workflow calling the poll activity.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, ScheduleOverlapPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from headwind import names, polling, watched
from headwind.index import ImageIndex
from headwind.models import WorkloadKind, WorkloadRef
from headwind.polling import PollRequest, PollResult
from tests.workflows import recording
from worker import serving
from worker.polling import DriverTiming, PollingDriver
from workflows.polling import PollRepositoryWorkflow

DEFAULT = timedelta(minutes=5)


def deployment(name: str, image: str, interval: str | None = None) -> dict[str, Any]:
    annotations = {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"}
    if interval:
        annotations["headwind.sh/polling-interval"] = interval
    return {
        "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}},
    }


def put(index: ImageIndex, obj: dict[str, Any]) -> None:
    entry = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert entry is not None
    index.put(entry)


async def interval_of(client: Client, repository: str) -> timedelta | None:
    handle = client.get_schedule_handle(polling.schedule_id(repository))
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    (spec,) = description.schedule.spec.intervals
    assert description.schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
    assert description.schedule.spec.jitter == polling.jitter(spec.every)
    return spec.every


@pytest.fixture
def repo() -> str:
    """A repository of the test's own (schedules are server-wide)."""
    return f"registry.example.com/{uuid.uuid4().hex[:10]}/app"


async def test_the_driver_keeps_schedules_in_line_with_the_index(
    temporal_env: WorkflowEnvironment, repo: str
) -> None:
    client, index = temporal_env.client, ImageIndex()
    driver = PollingDriver(
        client, index, task_queue=f"test-{uuid.uuid4().hex}", default_interval=DEFAULT
    )
    put(index, deployment("a", f"{repo}:1.0", interval="2m"))
    await driver.tick()
    assert await interval_of(client, repo) == timedelta(minutes=2)

    put(index, deployment("b", f"{repo}:1.0", interval="30s"))
    plan = await driver.tick()
    assert plan is not None
    assert plan.update == {repo: timedelta(seconds=30)}
    assert await interval_of(client, repo) == timedelta(seconds=30)

    assert await driver.tick() is None  # nothing changed: no Temporal call at all

    index.remove(WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name="a"))
    index.remove(WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name="b"))
    await driver.tick()
    assert await interval_of(client, repo) is None


async def test_a_new_leader_reconciles_with_what_temporal_lists(
    temporal_env: WorkflowEnvironment, repo: str
) -> None:
    client, index = temporal_env.client, ImageIndex()
    put(index, deployment("a", f"{repo}:1.0"))
    queue = f"test-{uuid.uuid4().hex}"
    first = PollingDriver(client, index, task_queue=queue, default_interval=DEFAULT)
    await first.tick()
    assert await interval_of(client, repo) == DEFAULT

    # The next leader starts with another default; it must rewrite, not duplicate or ignore.
    second = PollingDriver(
        client,
        index,
        task_queue=queue,
        default_interval=timedelta(minutes=1),
        timing=DriverTiming(resync_every=0),
    )
    await second.tick()
    assert await interval_of(client, repo) == timedelta(minutes=1)


async def test_disabled_polling_deletes_the_schedules(
    temporal_env: WorkflowEnvironment, repo: str
) -> None:
    client, index = temporal_env.client, ImageIndex()
    put(index, deployment("a", f"{repo}:1.0"))
    queue = f"test-{uuid.uuid4().hex}"
    await PollingDriver(client, index, task_queue=queue, default_interval=DEFAULT).tick()
    assert await interval_of(client, repo) == DEFAULT

    off = PollingDriver(
        client,
        index,
        task_queue=queue,
        default_interval=DEFAULT,
        enabled=False,
        timing=DriverTiming(resync_every=0),
    )
    for _ in range(50):  # a new leader learns of existing schedules from (eventual) visibility
        await off.tick()
        if await interval_of(client, repo) is None:
            break
        await asyncio.sleep(0.1)
    assert await interval_of(client, repo) is None


async def test_an_unsynced_index_changes_nothing(
    temporal_env: WorkflowEnvironment, repo: str
) -> None:
    client, index = temporal_env.client, ImageIndex()
    put(index, deployment("a", f"{repo}:1.0"))
    driver = PollingDriver(
        client,
        index,
        task_queue=f"test-{uuid.uuid4().hex}",
        default_interval=DEFAULT,
        synced=lambda: False,
    )
    assert await driver.tick() is None
    assert await interval_of(client, repo) is None


async def test_a_schedule_runs_poll_repository_which_runs_the_poll_activity(
    temporal_env: WorkflowEnvironment, repo: str
) -> None:
    seen: list[str] = []

    @activity.defn(name=names.POLL_REPOSITORY)
    async def poll(request: PollRequest) -> PollResult:
        seen.append(request.repository)
        return PollResult(repository=request.repository, tags=3)

    client, index = temporal_env.client, ImageIndex()
    put(index, deployment("a", f"{repo}:1.0"))
    queue = f"test-{uuid.uuid4().hex}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(serving.WORKFLOWS),
        activities=[poll],
        workflow_runner=serving.workflow_runner(),
    ):
        await PollingDriver(client, index, task_queue=queue, default_interval=DEFAULT).tick()
        for _ in range(100):  # the schedule was triggered at creation
            if seen:
                break
            await asyncio.sleep(0.1)
        assert seen == [repo]
        async for run in client.list_workflows('WorkflowType = "PollRepository"'):
            if run.id.startswith(polling.schedule_id(repo)):
                handle = client.get_workflow_handle_for(PollRepositoryWorkflow.run, run.id)
                assert (await handle.result()).tags == 3
                await recording.record(handle, "poll")
                break
        else:
            raise AssertionError("no PollRepository run listed")
        await client.get_schedule_handle(polling.schedule_id(repo)).delete()
