"""Manual rollbacks: only where Headwind manages, only to images the history has run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headwind import rollbacks
from headwind.models import RollbackRequest, WorkloadKind, WorkloadRef

REPO = "registry.local/team/web"
WEB = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name="web")
HISTORY = [
    {"container": "main", "image": f"{REPO}:1.1", "previousImage": f"{REPO}:1.0",
     "at": "2025-01-02T03:04:05Z"},
    {"container": "main", "image": f"{REPO}:1.0", "previousImage": f"{REPO}:0.9",
     "at": "2025-01-01T03:04:05Z"},
]  # fmt: skip


def deployment(image: str, **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "annotations": {
                f"headwind.sh/{k.replace('_', '-')}": v for k, v in annotations.items()
            },
        },
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}},
    }


MANAGED = {"policy": "minor", "update_history": json.dumps(HISTORY)}


@pytest.mark.parametrize(
    ("annotations", "to", "override", "expected"),
    [
        pytest.param({}, "6.6.6", False, (False, "not managed"), id="never opted in: refused"),
        pytest.param(
            {"policy": "none", "update_history": json.dumps(HISTORY)},
            None,
            False,
            (False, "not managed"),
            id="policy none: refused even with a history",
        ),
        pytest.param({}, "6.6.6", True, (False, "not managed"), id="override cannot opt in"),
        pytest.param(MANAGED, None, False, (True, f"{REPO}:1.0"), id="default: the replaced image"),
        pytest.param(MANAGED, "0.9", False, (True, f"{REPO}:0.9"), id="a tag the history ran"),
        pytest.param(
            MANAGED, f"{REPO}:1.0", False, (True, f"{REPO}:1.0"), id="an image the history ran"
        ),
        pytest.param(
            MANAGED, "6.6.6", False, (False, "not in the recorded history"), id="any other tag"
        ),
        pytest.param(MANAGED, "6.6.6", True, (True, f"{REPO}:6.6.6"), id="any tag with override"),
        pytest.param(
            MANAGED,
            "evil.example.com/x:1.0",
            True,
            (False, "another repository"),
            id="another repository: never, even with override",
        ),
        pytest.param(
            {"policy": "minor"}, None, False, (False, "no image before"), id="no history yet"
        ),
    ],
)
def test_rollback_plan(
    annotations: dict[str, str], to: str | None, override: bool, expected: tuple[bool, str]
) -> None:
    request = RollbackRequest(workload=WEB, container="main", to=to, override=override)
    plan = rollbacks.plan(
        WorkloadKind.DEPLOYMENT, deployment(f"{REPO}:1.1", **annotations), request
    )
    possible, fragment = expected
    assert plan.possible == possible
    assert fragment in (plan.target_image if possible else plan.message)
