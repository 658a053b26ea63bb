"""What an evaluation hands on, so later steps read nothing again: the object it read (for
the apply's first write) and whether, and where, notifications go."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from activities.updates import UpdateActivities
from headwind.models import ApplyInput, EvaluateInput, Evaluation, Proposal
from headwind.notifications.routing import Route, Sink
from tests.activities.test_force_rollout import REPO, WEB, PatchingKube, deployment

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class CountingKube(PatchingKube):
    def __init__(self, obj: dict[str, Any]) -> None:
        super().__init__(obj)
        self.gets = 0

    def get(self, path: str) -> dict[str, Any]:
        self.gets += 1
        return super().get(path)


def live(**values: str) -> dict[str, Any]:
    obj = deployment(f"{REPO}:1.0", policy="minor", **values)
    obj["metadata"] |= {"resourceVersion": "41", "managedFields": [{"manager": "kubectl"}]}
    obj["metadata"]["annotations"][LAST_APPLIED] = '{"big": "json"}'
    obj["status"] = {"replicas": 3}
    return obj


def evaluate(kube: CountingKube, route: Route | None) -> Evaluation:
    proposal = Proposal(workload=WEB, container="main", tag="1.1", source="webhook")
    return UpdateActivities(kube, route).evaluate(  # type: ignore[arg-type]
        EvaluateInput(proposal=proposal, known_since=datetime.now(UTC))
    )


def test_the_snapshot_keeps_what_an_apply_needs_and_drops_the_bulk() -> None:
    evaluation = evaluate(CountingKube(live()), None)
    snapshot = evaluation.snapshot
    assert snapshot is not None
    assert snapshot["metadata"]["resourceVersion"] == "41"
    assert "managedFields" not in snapshot["metadata"]
    assert LAST_APPLIED not in snapshot["metadata"]["annotations"]
    assert snapshot["metadata"]["annotations"]["headwind.sh/policy"] == "minor"
    assert "status" not in snapshot
    assert snapshot["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}:1.0"


def test_an_apply_right_after_the_evaluation_writes_without_reading() -> None:
    kube = CountingKube(live())
    evaluation = evaluate(kube, None)
    assert (evaluation.eligible, kube.gets) == (True, 1)
    result = UpdateActivities(kube).apply(  # type: ignore[arg-type]
        ApplyInput(
            workload=WEB,
            container="main",
            expected_image=evaluation.current_image,
            new_image=evaluation.new_image,
            workflow_id="wf-1",
            snapshot=copy.deepcopy(evaluation.snapshot),
        )
    )
    assert result.applied
    assert kube.gets == 1  # only the evaluation's read
    (patch,) = kube.patches
    assert patch[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "41"}
    assert kube.obj["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}:1.1"
    # The write kept what the snapshot left out.
    assert kube.obj["metadata"]["annotations"][LAST_APPLIED] == '{"big": "json"}'


SLACK = Route(sinks=frozenset({Sink.SLACK}), slack_channel="#deploys")


@pytest.mark.parametrize(
    ("route", "annotations", "notify", "routing"),
    [
        pytest.param(None, {}, True, {}, id="sinks unknown: notify"),
        pytest.param(Route(), {}, False, {}, id="no sink configured: nothing to schedule"),
        pytest.param(SLACK, {}, True, {}, id="the default route"),
        pytest.param(
            SLACK, {"notify": "none"}, False, {"headwind.sh/notify": "none"}, id="silenced"
        ),
        pytest.param(
            SLACK,
            {"slack_channel": "#team"},
            True,
            {"headwind.sh/slack-channel": "#team"},
            id="own channel handed on",
        ),
        pytest.param(
            Route(),
            {"notify": "teams"},
            True,
            {"headwind.sh/notify": "teams"},
            id="bad routing annotation: notified, to report it",
        ),
    ],
)
def test_whether_and_where_notifications_go(
    route: Route | None, annotations: dict[str, str], notify: bool, routing: dict[str, str]
) -> None:
    evaluation = evaluate(CountingKube(live(**annotations)), route)
    assert (evaluation.notify, evaluation.routing) == (notify, routing)
