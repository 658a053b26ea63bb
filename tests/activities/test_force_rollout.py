"""A new build of the same tag: judged by `evaluate`, rolled out by `apply`.

Pinned (`headwind.sh/pin-digest`): the reference becomes `repo:tag@sha256:new`. Not pinned:
the reference stays, so `apply` adds the pod-template restart annotation (as `kubectl rollout
restart` does) and records the digest, in the same single patch as the history entry.
"""

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from activities.updates import UpdateActivities
from clients.kube.client import Conflict, NotFound
from headwind import annotations, records, rollbacks, workloads
from headwind.models import (
    ApplyInput,
    EvaluateInput,
    Proposal,
    RollbackRequest,
    WorkloadKind,
    WorkloadRef,
)

REPO = "registry.example.com/team/app"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
WEB = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name="web")
PATH = "/apis/apps/v1/namespaces/apps/deployments/web"


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def apply_patch(doc: dict[str, Any], ops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Just enough RFC 6902 (test, add, replace on objects and list indexes) for these tests."""
    result = copy.deepcopy(doc)
    for op in ops:
        parent, key = _parent(result, op["path"])
        slot = int(key) if isinstance(parent, list) else key
        if op["op"] == "test":
            if parent[slot] != op["value"]:
                raise Conflict(422, f"test failed at {op['path']}")
        else:
            parent[slot] = copy.deepcopy(op["value"])
    return result


class PatchingKube:
    """One object, patched in memory; every JSON Patch is kept."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self.patches: list[list[Mapping[str, Any]]] = []

    def get(self, path: str) -> dict[str, Any]:
        if path != PATH:
            raise NotFound(404, path)
        return copy.deepcopy(self.obj)

    def json_patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        self.patches.append(list(ops))
        self.obj = apply_patch(self.obj, ops)
        self.obj["metadata"]["generation"] = self.obj["metadata"].get("generation", 1) + 1
        return self.obj


def deployment(image: str, **values: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "generation": 1,
            "annotations": {f"headwind.sh/{k.replace('_', '-')}": v for k, v in values.items()},
        },
        "spec": {
            "template": {"spec": {"containers": [{"name": "main", "image": image}]}},
        },
    }


def activities(obj: dict[str, Any]) -> tuple[UpdateActivities, PatchingKube]:
    kube = PatchingKube(obj)
    return UpdateActivities(kube), kube  # type: ignore[arg-type]


def evaluate(obj: dict[str, Any], tag: str, digest: str | None) -> tuple[bool, str, str]:
    acts, _ = activities(obj)
    proposal = Proposal(workload=WEB, container="main", tag=tag, digest=digest, source="polling")
    result = acts.evaluate(EvaluateInput(proposal=proposal, known_since=datetime.now(UTC)))
    return result.eligible, result.reason, result.new_image


RECORDED_OLD = json.dumps({"main": {"tag": "1.0", "digest": OLD}})
RECORDED_NEW = json.dumps({"main": {"tag": "1.0", "digest": NEW}})


@pytest.mark.parametrize(
    ("obj", "tag", "digest", "expected"),
    [
        pytest.param(
            deployment(f"{REPO}:1.0", policy="force", digests=RECORDED_OLD),
            "1.0",
            NEW,
            (True, "digest-changed", f"{REPO}:1.0"),
            id="force-new-build-keeps-the-reference",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0", policy="force", digests=RECORDED_NEW),
            "1.0",
            NEW,
            (False, "same-digest", f"{REPO}:1.0"),
            id="force-build-already-rolled-out",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0@{OLD}", policy="minor", pin_digest="true"),
            "1.0",
            NEW,
            (True, "digest-changed", f"{REPO}:1.0@{NEW}"),
            id="pin-digest-new-build-is-pinned",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0@{NEW}", policy="force", pin_digest="true"),
            "1.0",
            NEW,
            (False, "same-digest", f"{REPO}:1.0@{NEW}"),
            id="pinned-build-already-runs",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0", policy="minor"),
            "1.0",
            NEW,
            (False, "same-as-current", f"{REPO}:1.0"),
            id="semver-policy-ignores-rebuilds",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0@{OLD}", policy="none", pin_digest="true"),
            "1.0",
            NEW,
            (False, "policy-none", f"{REPO}:1.0@{NEW}"),
            id="policy-none-ignores-rebuilds-even-pinned",
        ),
        pytest.param(
            deployment(f"{REPO}:1.0", policy="force", rejected_tags=json.dumps({"main": ["1.0"]})),
            "1.0",
            NEW,
            (False, "rejected-earlier", f"{REPO}:1.0"),
            id="rejected-tag-stays-rejected",
        ),
    ],
)
def test_evaluate_a_new_build_of_the_current_tag(
    obj: dict[str, Any], tag: str, digest: str, expected: tuple[bool, str, str]
) -> None:
    assert evaluate(obj, tag, digest) == expected


def test_apply_restarts_an_unpinned_workload_and_records_the_build() -> None:
    acts, kube = activities(deployment(f"{REPO}:1.0", policy="force", digests=RECORDED_OLD))
    request = ApplyInput(
        workload=WEB,
        container="main",
        expected_image=f"{REPO}:1.0",
        new_image=f"{REPO}:1.0",
        workflow_id="wf-1",
        digest=NEW,
    )
    result = acts.apply(request)
    assert result.applied
    assert result.generation == 2
    assert len(kube.patches) == 1  # one write: restart, history and digest together
    template = kube.obj["spec"]["template"]
    assert template["metadata"]["annotations"][workloads.RESTARTED_AT]
    assert template["spec"]["containers"][0]["image"] == f"{REPO}:1.0"
    written = kube.obj["metadata"]["annotations"]
    assert json.loads(written[annotations.DIGESTS]) == {"main": {"tag": "1.0", "digest": NEW}}
    (entry,) = records.parse_history(written[annotations.UPDATE_HISTORY])[0]
    assert (entry.image, entry.previous_image, entry.workflow_id) == (
        f"{REPO}:1.0",
        f"{REPO}:1.0",
        "wf-1",
    )
    assert entry.reason
    assert NEW in entry.reason

    again = acts.apply(request)  # Temporal retries after a write that succeeded
    assert again.message == "already applied"
    assert len(kube.patches) == 1


def test_a_rebuild_proposed_under_the_id_of_the_tags_first_update_is_still_rolled_out() -> None:
    # The update workflow ID derives from (workload, container, tag): the run that rolls out a
    # rebuild of 1.0 has the same ID as the run that first moved the workload to 1.0.
    history = [
        {"container": "main", "image": f"{REPO}:1.0", "previousImage": f"{REPO}:0.9",
         "at": "2025-01-01T03:04:05Z", "workflowId": "wf-1"},
    ]  # fmt: skip
    obj = deployment(
        f"{REPO}:1.0", policy="force", digests=RECORDED_OLD, update_history=json.dumps(history)
    )
    acts, kube = activities(obj)
    result = acts.apply(
        ApplyInput(
            workload=WEB,
            container="main",
            expected_image=f"{REPO}:1.0",
            new_image=f"{REPO}:1.0",
            workflow_id="wf-1",
            digest=NEW,
        )
    )
    assert result.message == "applied"
    assert workloads.RESTARTED_AT in kube.obj["spec"]["template"]["metadata"]["annotations"]


def test_apply_of_a_pinned_build_replaces_the_reference_without_restart() -> None:
    acts, kube = activities(deployment(f"{REPO}:1.0@{OLD}", policy="force", pin_digest="true"))
    acts.apply(
        ApplyInput(
            workload=WEB,
            container="main",
            expected_image=f"{REPO}:1.0@{OLD}",
            new_image=f"{REPO}:1.0@{NEW}",
            workflow_id="wf-1",
            digest=NEW,
        )
    )
    template = kube.obj["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == f"{REPO}:1.0@{NEW}"
    assert "metadata" not in template


def test_a_rollback_plan_skips_restarts() -> None:
    history = [
        {"container": "main", "image": f"{REPO}:1.0", "previousImage": f"{REPO}:1.0",
         "at": "2025-01-02T03:04:05Z"},
        {"container": "main", "image": f"{REPO}:1.0", "previousImage": f"{REPO}:0.9",
         "at": "2025-01-01T03:04:05Z"},
    ]  # fmt: skip
    obj = deployment(f"{REPO}:1.0", policy="minor", update_history=json.dumps(history))
    plan = rollbacks.plan(
        WorkloadKind.DEPLOYMENT, obj, RollbackRequest(workload=WEB, container="main")
    )
    assert (plan.possible, plan.target_image) == (True, f"{REPO}:0.9")


TEMPLATE = "/spec/template/metadata"
JOB_TEMPLATE = "/spec/jobTemplate/spec/template/metadata"
KEY = "headwind.sh~1restarted-at"
AT = "2025-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [
        pytest.param(
            WorkloadKind.DEPLOYMENT,
            {"spec": {"template": {"spec": {}}}},
            [
                {"op": "add", "path": TEMPLATE, "value": {}},
                {"op": "add", "path": f"{TEMPLATE}/annotations", "value": {}},
                {"op": "add", "path": f"{TEMPLATE}/annotations/{KEY}", "value": AT},
            ],
            id="template-without-metadata",
        ),
        pytest.param(
            WorkloadKind.STATEFULSET,
            {"spec": {"template": {"metadata": {"labels": {"app": "x"}}}}},
            [
                {"op": "add", "path": f"{TEMPLATE}/annotations", "value": {}},
                {"op": "add", "path": f"{TEMPLATE}/annotations/{KEY}", "value": AT},
            ],
            id="template-without-annotations",
        ),
        pytest.param(
            WorkloadKind.DAEMONSET,
            {"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}},
            [{"op": "add", "path": f"{TEMPLATE}/annotations/{KEY}", "value": AT}],
            id="template-with-annotations",
        ),
        pytest.param(
            WorkloadKind.CRONJOB,
            {"spec": {"jobTemplate": {"spec": {"template": {"metadata": {"annotations": {}}}}}}},
            [{"op": "add", "path": f"{JOB_TEMPLATE}/annotations/{KEY}", "value": AT}],
            id="cronjob-job-template",
        ),
        pytest.param(WorkloadKind.HELMRELEASE, {"spec": {}}, [], id="helm-release-has-none"),
    ],
)
def test_restart_ops(
    kind: WorkloadKind, obj: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    assert workloads.restart_ops(kind, obj, AT) == expected


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [
        pytest.param(
            WorkloadKind.DEPLOYMENT,
            {"spec": {"template": {"spec": {"serviceAccountName": "x"}}}},
            {"serviceAccountName": "x"},
            id="deployment",
        ),
        pytest.param(
            WorkloadKind.CRONJOB,
            {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"a": 1}}}}}},
            {"a": 1},
            id="cronjob",
        ),
        pytest.param(WorkloadKind.HELMRELEASE, {"spec": {}}, None, id="helm-release"),
        pytest.param(WorkloadKind.DAEMONSET, {}, None, id="no-template"),
    ],
)
def test_pod_spec(kind: WorkloadKind, obj: dict[str, Any], expected: Any) -> None:
    assert workloads.pod_spec(kind, obj) == expected
