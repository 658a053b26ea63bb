"""The chart's roles for people and the admission policy that keeps decisions honest.

Approvers may write an UpdateRequest (its decision) and viewers only read it; both reach the
built-in roles through aggregation. The admission policy must name Headwind's own
ServiceAccount as the writer of status, whatever the release and namespace are called.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy import rendering
from tests.deploy.rendering import render


def _user_roles(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        obj["metadata"]["name"]: obj
        for obj in objects
        if obj["kind"] == "ClusterRole" and rendering.for_users(obj)
    }


def _verbs(role: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (resource, verb)
        for rule in role["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.parametrize(
    ("name", "verbs", "aggregated_to"),
    [
        pytest.param(
            "headwind-approver",
            {("updaterequests", v) for v in ("get", "list", "watch", "patch")},
            {"admin", "edit"},
            id="approver: read and patch, in edit and admin",
        ),
        pytest.param(
            "headwind-viewer",
            {("updaterequests", v) for v in ("get", "list", "watch")},
            {"view"},
            id="viewer: read only, in view",
        ),
    ],
)
def test_user_role(name: str, verbs: set[tuple[str, str]], aggregated_to: set[str]) -> None:
    role = _user_roles(render())[name]
    assert _verbs(role) == verbs
    prefix = "rbac.authorization.k8s.io/aggregate-to-"
    labels = role["metadata"]["labels"]
    assert {key.removeprefix(prefix) for key in labels if key.startswith(prefix)} == aggregated_to


def test_no_user_role_may_write_status_or_create() -> None:
    for role in _user_roles(render({"mode": "split"})).values():
        granted = _verbs(role)
        assert ("updaterequests/status", "patch") not in granted
        assert ("updaterequests", "create") not in granted


@pytest.mark.parametrize(
    ("release", "namespace", "values", "writer"),
    [
        pytest.param(
            "headwind", "headwind", {}, "system:serviceaccount:headwind:headwind", id="defaults"
        ),
        pytest.param(
            "hw", "ops", {}, "system:serviceaccount:ops:hw-headwind", id="another release"
        ),
        pytest.param(
            "headwind",
            "headwind",
            {"serviceAccount": {"name": "robot"}},
            "system:serviceaccount:headwind:robot",
            id="named service account",
        ),
    ],
)
def test_admission_policy_names_headwind_s_service_account(
    release: str, namespace: str, values: dict[str, Any], writer: str
) -> None:
    objects = render(values, release=release, namespace=namespace)
    (policy,) = rendering.kinds(objects, "ValidatingAdmissionPolicy")
    (binding,) = rendering.kinds(objects, "ValidatingAdmissionPolicyBinding")
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    variables = {v["name"]: v["expression"] for v in policy["spec"]["variables"]}
    assert f'request.userInfo.username == "{writer}"' in variables["isHeadwind"]
    (rule,) = policy["spec"]["matchConstraints"]["resourceRules"]
    assert set(rule["resources"]) == {"updaterequests", "updaterequests/status"}
