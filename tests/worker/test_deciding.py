"""The decider: a decision written to an UpdateRequest reaches the workflow once, is audited,
and a decision the workflow refuses is answered in the status and an Event.

The workflow side is a fake `forward`; the apiserver a fake that records writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, cast

import pytest

from clients.kube.client import Kube
from clients.kube.requests import Action, Decision, UpdateRequest
from clients.temporal import operations
from headwind.models import Phase, UpdateStatus, WorkloadKind, WorkloadRef
from headwind.settings import Settings
from worker import deciding

WORKLOAD = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="prod", name="web")


def ur(*, generation: int, outcome: str | None = None, decision: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targetRef": {"kind": "Deployment", "name": "web"},
        "containerName": "web",
        "currentImage": "nginx:1.27.0",
        "newImage": "nginx:1.27.1",
        "workflowId": "update/prod/r",
    }
    if decision:
        spec["decision"] = {"action": "reject", "by": "alice", "reason": "breaks TLS"}
    status: dict[str, Any] = {"phase": "Pending"}
    if outcome is not None:
        status |= {"observedGeneration": generation - 1, "decisionOutcome": outcome}
    return {
        "metadata": {"name": "r", "namespace": "prod", "generation": generation},
        "spec": spec,
        "status": status,
    }


class Recorder:
    def __init__(self) -> None:
        self.patches: list[tuple[str, Any]] = []
        self.created: list[tuple[str, Any]] = []

    def merge_patch(self, path: str, body: Any) -> dict[str, Any]:
        self.patches.append((path, body))
        return {}

    def create(self, path: str, body: Any) -> dict[str, Any]:
        self.created.append((path, body))
        return {}


class Workflow:
    """Answers each forwarded decision with `outcome` (a phase, or an exception to raise)."""

    def __init__(self, outcome: Phase | Exception) -> None:
        self.outcome = outcome
        self.calls: list[Decision] = []

    async def __call__(self, request: UpdateRequest, decision: Decision) -> UpdateStatus:
        self.calls.append(decision)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return UpdateStatus(
            workflow_id="update/prod/r",
            request_name="r",
            workload=WORKLOAD,
            container="web",
            tag="1.27.1",
            phase=self.outcome,
        )


async def decide(workflow: Workflow, *objects: dict[str, Any]) -> tuple[Recorder, deciding.Decider]:
    recorder = Recorder()
    decider = deciding.Decider(Settings(), workflow, kube=cast(Kube, recorder))
    for obj in objects:
        decider.consider(cast(Kube, recorder), obj)
        await asyncio.gather(*decider.pending)
    return recorder, decider


STATUS_PATH = "/apis/headwind.sh/v1alpha1/namespaces/prod/updaterequests/r/status"


async def test_a_new_decision_is_forwarded_as_its_writer_and_marked_handled() -> None:
    workflow = Workflow(Phase.REJECTED)
    recorder, _ = await decide(workflow, ur(generation=2))
    assert workflow.calls == [Decision(Action.REJECT, "alice", "breaks TLS")]
    assert recorder.patches == [
        (STATUS_PATH, {"status": {"observedGeneration": 2, "decisionOutcome": "Accepted"}})
    ]
    assert recorder.created == []


@pytest.mark.parametrize(
    ("objects", "forwarded"),
    [
        pytest.param(
            [ur(generation=3, outcome="Accepted")],
            0,
            id="answered before a restart",
        ),
        pytest.param([ur(generation=1, decision=False)], 0, id="no decision"),
        pytest.param([ur(generation=2), ur(generation=2)], 1, id="the same object twice"),
        pytest.param(
            [ur(generation=2), ur(generation=3)],
            1,
            id="the mirror changed the spec before the answer showed",
        ),
    ],
)
async def test_a_decision_is_forwarded_at_most_once(
    objects: list[dict[str, Any]], forwarded: int
) -> None:
    workflow = Workflow(Phase.REJECTED)
    await decide(workflow, *objects)
    assert len(workflow.calls) == forwarded


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        pytest.param(
            operations.WrongPhaseError("cannot reject: the update is Completed, not Pending"),
            "refused",
            id="no longer pending",
        ),
        pytest.param(operations.NotFoundError("no update request"), "not-found", id="no workflow"),
    ],
)
async def test_a_refused_decision_is_answered_in_status_an_event_and_the_audit(
    error: Exception, outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="headwind.audit")
    recorder, _ = await decide(Workflow(error), ur(generation=2))
    ((path, body),) = recorder.patches
    assert path == STATUS_PATH
    assert body["status"]["observedGeneration"] == 2
    assert body["status"]["decisionOutcome"] == "Ignored"
    assert body["status"]["message"] == f"reject by alice changed nothing: {error}"
    ((event_path, event),) = recorder.created
    assert event_path == "/api/v1/namespaces/prod/events"
    assert event["reason"] == "DecisionIgnored"
    assert event["type"] == "Warning"
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "headwind.audit"]
    assert line["user"] == "alice"
    assert line["result"] == outcome
    assert line["via"] == "kubernetes"


async def test_a_recorded_deadline_counts_as_handled() -> None:
    error = operations.DeadlineExceededError("no worker", recorded=True)
    recorder, _ = await decide(Workflow(error), ur(generation=3))
    assert recorder.patches == [
        (STATUS_PATH, {"status": {"observedGeneration": 3, "decisionOutcome": "Accepted"}})
    ]
