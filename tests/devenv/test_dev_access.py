"""The local environment installs the chart's approval roles and admission policy."""

from __future__ import annotations

from headwind_dev import crds

from tests.deploy.rendering import MANIFESTS


def test_access_objects_are_the_user_roles_and_the_policy() -> None:
    objects = crds.access_objects(MANIFESTS.read_text())
    assert sorted((obj["kind"], obj["metadata"]["name"]) for obj in objects) == [
        ("ClusterRole", "headwind-approver"),
        ("ClusterRole", "headwind-viewer"),
        ("ValidatingAdmissionPolicy", "headwind-decisions"),
        ("ValidatingAdmissionPolicyBinding", "headwind-decisions"),
    ]


def test_the_local_policy_lets_the_admin_and_service_accounts_write_status() -> None:
    (policy,) = [
        obj
        for obj in crds.access_objects(MANIFESTS.read_text())
        if obj["kind"] == "ValidatingAdmissionPolicy"
    ]
    variables = {v["name"]: v["expression"] for v in policy["spec"]["variables"]}
    assert "system:masters" in variables["isHeadwind"]
    assert "startsWith('system:serviceaccount:')" in variables["isHeadwind"]
    assert "newDecision" in variables
