"""No update wedges its container: what happens when an update ends without saying goodbye."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import slots
from clients.kube.client import Forbidden, Invalid, KubeError
from headwind import names, naming
from headwind.models import ApplyInput, ApplyResult, Notification, Phase, TransitionReport
from tests.workflows.fakes import FakeCluster
from tests.workflows.test_update_workflow import Harness
from worker import serving

Replacements = dict[str, Callable[..., Any]]


@pytest.fixture
def replaced(request: pytest.FixtureRequest) -> Replacements:
    """Activities a test swaps in, by name, for the in-memory cluster's (indirect param)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
async def harness(
    temporal_env: WorkflowEnvironment, replaced: Replacements
) -> AsyncIterator[Harness]:
    cluster = FakeCluster()
    task_queue = f"test-{uuid.uuid4().hex}"
    own = [
        fn
        for fn in cluster.activities()
        if activity._Definition.must_from_callable(fn).name not in replaced
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        async with (
            Worker(
                temporal_env.client,
                task_queue=task_queue,
                workflows=list(serving.WORKFLOWS),
                activities=[*own, *replaced.values(), *slots.ACTIVITIES],
                activity_executor=executor,
                workflow_runner=serving.workflow_runner(),
            ),
            serving.build_slot_worker(temporal_env.client, task_queue=task_queue),
        ):
            yield Harness(temporal_env.client, cluster, task_queue)


def _apply_raising(error: KubeError) -> Replacements:
    @activity.defn(name=names.APPLY)
    def apply(request: ApplyInput) -> ApplyResult:
        raise error

    return {names.APPLY: apply}


def _informing_raising(error: KubeError) -> Replacements:
    @activity.defn(name=names.RECORD_TRANSITION)
    def record_transition(report: TransitionReport) -> None:
        raise error

    @activity.defn(name=names.NOTIFY)
    def notify(notification: Notification) -> None:
        raise error

    return {names.RECORD_TRANSITION: record_transition, names.NOTIFY: notify}


@pytest.mark.parametrize(
    "replaced",
    [
        pytest.param(_apply_raising(Invalid(422, "annotations: Too long")), id="422 invalid"),
        pytest.param(_apply_raising(Forbidden(403, "cannot patch")), id="403 forbidden"),
        pytest.param(_apply_raising(Invalid(405, "method not allowed")), id="405"),
    ],
    indirect=True,
)
async def test_a_permanent_apiserver_error_fails_the_update_and_frees_the_container(
    harness: Harness,
) -> None:
    harness.add(require_approval=False)
    await harness.propose("1.1.0")
    first = await harness.final("1.1.0")
    assert (first.phase, first.reason) == (Phase.FAILED, "error")
    assert "apply" in first.message
    # The container is free: the next candidate runs its own course instead of waiting.
    await harness.propose("1.2.0")
    assert (await harness.final("1.2.0")).phase == Phase.FAILED


@pytest.mark.parametrize(
    "replaced",
    [
        pytest.param(_informing_raising(Forbidden(403, "events is forbidden")), id="403 Events"),
        pytest.param(_informing_raising(Invalid(405, "bad path")), id="405 Events"),
    ],
    indirect=True,
)
async def test_side_effects_that_only_inform_never_block_an_update(harness: Harness) -> None:
    harness.add(require_approval=False)
    await harness.propose("1.1.0")
    final = await harness.final("1.1.0")
    assert final.phase == Phase.COMPLETED
    assert [a.new_image for a in harness.cluster.applies] == ["registry.local/web:1.1.0"]


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
