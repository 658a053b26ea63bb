"""deploy/manifests/ is the chart rendered with its default values, byte for byte.

The plain manifests are generated (scripts/render-manifests); this test renders them again
with the pinned helm and fails when someone changed the chart without regenerating them, or
edited the generated file by hand.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.deploy.rendering import MANIFESTS, ROOT, kinds, render

CLUSTER_SCOPED = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)


def test_manifests_are_the_chart_rendered_with_defaults(tmp_path: Path) -> None:
    fresh = tmp_path / "headwind.yaml"
    subprocess.run(
        [str(ROOT / "scripts" / "render-manifests"), str(fresh)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert MANIFESTS.read_text() == fresh.read_text(), (
        "deploy/manifests/headwind.yaml is stale: run scripts/render-manifests"
    )


def test_manifests_carry_the_crds_and_everything_else() -> None:
    objects = [doc for doc in yaml.safe_load_all(MANIFESTS.read_text()) if doc]
    assert [crd["metadata"]["name"] for crd in kinds(objects, "CustomResourceDefinition")] == [
        "updaterequests.headwind.sh"
    ]
    rest = [obj for obj in objects if obj["kind"] != "CustomResourceDefinition"]
    assert rest == render()
    for obj in rest:
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"]["namespace"] == "headwind", obj["metadata"]["name"]
