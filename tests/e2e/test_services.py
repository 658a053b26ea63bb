"""The Helm repository and the CRDs the environment installs.

A HelmRepository with `secretRef` and Headwind's HelmRelease support rely on both: the chart
index served with and without basic auth, and the Flux and Headwind CRDs accepting objects and
status updates.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from headwind_dev import crds
from headwind_dev.status import DevStatus

from tests.e2e.conftest import Kube

pytestmark = pytest.mark.e2e


def test_helm_repository_serves_its_index(dev_env: DevStatus) -> None:
    response = httpx.get(f"{dev_env.helm_repo_url}/index.yaml", timeout=5)

    assert response.status_code == 200
    assert yaml.safe_load(response.text)["apiVersion"] == "v1"
    assert (Path(dev_env.helm_repo_dir) / "index.yaml").is_file()


def test_private_helm_repository_requires_basic_auth(dev_env: DevStatus) -> None:
    url = f"{dev_env.helm_repo_private_url}/index.yaml"
    auth = (dev_env.helm_repo_username, dev_env.helm_repo_password)

    assert httpx.get(url, timeout=5).status_code == 401
    assert httpx.get(url, auth=(auth[0], "wrong"), timeout=5).status_code == 401
    assert httpx.get(url, auth=auth, timeout=5).status_code == 200


def _crd_names() -> list[str]:
    names = []
    for path in crds.manifest_files():
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") == "CustomResourceDefinition":
                names.append(document["metadata"]["name"])
    return names


@pytest.mark.parametrize("name", _crd_names())
def test_crd_is_established(kube: Kube, name: str) -> None:
    crd = kube.apiextensions.read_custom_resource_definition(name)

    conditions = {c.type: c.status for c in crd.status.conditions or []}
    assert conditions.get("Established") == "True"


def test_helmrelease_accepts_spec_and_status(kube: Kube, namespace: str) -> None:
    custom = kube.custom
    group, version, plural = "helm.toolkit.fluxcd.io", "v2", "helmreleases"
    release = {
        "apiVersion": f"{group}/{version}",
        "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "annotations": {"headwind.sh/policy": "minor"}},
        "spec": {
            "interval": "5m",
            "chart": {
                "spec": {
                    "chart": "podinfo",
                    "version": "6.5.0",
                    "sourceRef": {"kind": "HelmRepository", "name": "local"},
                }
            },
        },
    }
    custom.create_namespaced_custom_object(group, version, namespace, plural, release)

    status = {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Test"}]}}
    custom.patch_namespaced_custom_object_status(
        group, version, namespace, plural, "podinfo", status
    )

    stored = custom.get_namespaced_custom_object(group, version, namespace, plural, "podinfo")
    assert stored["spec"]["chart"]["spec"]["version"] == "6.5.0"
    assert stored["status"]["conditions"][0]["status"] == "True"
