"""The chart and the plain manifests on the local cluster's real apiserver.

`helm install --wait` of the chart in several configurations: every object must be accepted
(schemas, RBAC escalation checks, admission) and the Deployments must roll out on kwok's
nodes (whose pods run no code). The release's ServiceAccount is then asked, through
SubjectAccessReviews against the real RBAC authorizer, what it may do: what Headwind needs,
and not more. `helm upgrade` from one mode to the other, and a server-side dry run of
deploy/manifests complete the picture.
"""

from __future__ import annotations

import functools
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from headwind_dev.status import DevStatus
from kubernetes import client as k8s

from tests.deploy import rendering
from tests.deploy.rendering import CHART, MANIFESTS, ROOT
from tests.e2e.conftest import Kube

pytestmark = pytest.mark.e2e

HELM_TIMEOUT = "180s"


@functools.cache
def _kubectl() -> str:
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-k8s")], capture_output=True, text=True, check=True
    )
    return str(Path(built.stdout.strip().splitlines()[-1]) / "kubectl")


def _run_kubectl(dev_env: DevStatus, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_kubectl(), "--kubeconfig", dev_env.kubeconfig, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _helm(dev_env: DevStatus, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return rendering.helm(*args, "--kubeconfig", dev_env.kubeconfig, check=check, timeout=300)


def _install(dev_env: DevStatus, release: str, namespace: str, values: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _helm(
            dev_env,
            "upgrade",
            "--install",
            release,
            str(CHART),
            "--namespace",
            namespace,
            "--wait",
            "--timeout",
            HELM_TIMEOUT,
            *rendering.values_args(values, Path(tmp)),
        )


def _resource(obj: dict[str, Any]) -> str:
    """`kind.group` as kubectl takes it (core kinds have no group)."""
    group = obj["apiVersion"].rpartition("/")[0]
    return f"{obj['kind']}.{group}" if group else obj["kind"]


@pytest.fixture
def release(dev_env: DevStatus, namespace: str) -> Iterator[str]:
    """A release name of the test's own; uninstalled afterwards (its ClusterRoles too)."""
    name = f"headwind-{secrets.token_hex(3)}"
    yield name
    _helm(dev_env, "uninstall", name, "--namespace", namespace, "--wait", check=False)


@pytest.fixture
def watched(kube: Kube) -> Iterator[list[str]]:
    """Two namespaces for `watchNamespaces`, deleted afterwards."""
    names = [f"e2e-watched-{secrets.token_hex(3)}" for _ in range(2)]
    for name in names:
        kube.core.create_namespace({"metadata": {"name": name}})
    yield names
    for name in names:
        kube.core.delete_namespace(name)


PRODUCTION: dict[str, Any] = {
    "mode": "split",
    "temporal": {
        "embedded": False,
        "address": "headwind.a1b2c.tmprl.cloud:7233",
        "namespace": "headwind.a1b2c",
        "apiKey": {"secretName": "temporal-cloud"},
    },
    "auth": {"mode": "proxy"},
    "webhooks": {"secretName": "headwind-webhooks"},
    "notifications": {"secretName": "headwind-notifications", "slackChannel": "#deploys"},
    "ingress": {
        "enabled": True,
        "hosts": [{"host": "headwind.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
    },
    "podDisruptionBudget": {"enabled": True},
    "networkPolicy": {"enabled": True},
}

INSTALLS = [
    pytest.param({}, id="defaults: combined with the embedded Temporal server"),
    pytest.param({"mode": "split"}, id="split with the embedded Temporal server"),
    pytest.param(PRODUCTION, id="Temporal Cloud, split, ingress, PDBs, network policies"),
]


@pytest.mark.parametrize("values", INSTALLS)
def test_helm_install_is_accepted_and_rolls_out(
    dev_env: DevStatus, kube: Kube, namespace: str, release: str, values: dict[str, Any]
) -> None:
    _install(dev_env, release, namespace, values)
    manifest = _helm(dev_env, "get", "manifest", release, "--namespace", namespace).stdout
    objects = [doc for doc in yaml.safe_load_all(manifest) if doc]
    assert len(objects) >= 8
    missing = []
    for obj in objects:
        metadata = obj["metadata"]
        scope = ["--namespace", metadata["namespace"]] if "namespace" in metadata else []
        found = _run_kubectl(
            dev_env, "get", _resource(obj), metadata["name"], *scope, "--output", "name"
        )
        if found.returncode != 0:
            missing.append(f"{obj['kind']}/{metadata['name']}: {found.stderr.strip()}")
    assert not missing
    deployments = kube.apps.list_namespaced_deployment(namespace).items
    assert {d.metadata.name: d.status.available_replicas for d in deployments} == {
        d.metadata.name: d.spec.replicas for d in deployments
    }


def _allowed(kube: Kube, user: str, namespace: str, attributes: dict[str, str]) -> bool:
    authorization: Any = k8s.AuthorizationV1Api(kube.client)
    review = authorization.create_subject_access_review(
        {
            "spec": {
                "user": user,
                "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"],
                "resourceAttributes": attributes,
            }
        }
    )
    return bool(review.status.allowed)


# (verb, group, resource, namespace, name, allowed); "release" is the release's namespace,
# "lease" the release's Lease, "other" a namespace Headwind has no business in.
ACCESS = [
    ("patch", "apps", "deployments", "other", "", True),
    ("watch", "apps", "statefulsets", "other", "", True),
    ("list", "apps", "daemonsets", "", "", True),
    ("patch", "batch", "cronjobs", "other", "", True),
    ("patch", "helm.toolkit.fluxcd.io", "helmreleases", "other", "", True),
    ("get", "source.toolkit.fluxcd.io", "helmrepositories", "other", "", True),
    ("list", "", "pods", "other", "", True),
    ("create", "", "events", "other", "", True),
    ("get", "", "secrets", "other", "", True),
    ("get", "", "serviceaccounts", "other", "", True),
    ("create", "headwind.sh", "updaterequests", "other", "", True),
    ("create", "coordination.k8s.io", "leases", "release", "", True),
    ("update", "coordination.k8s.io", "leases", "release", "lease", True),
    ("create", "authentication.k8s.io", "tokenreviews", "", "", True),
    ("delete", "apps", "deployments", "other", "", False),
    ("update", "apps", "deployments", "other", "", False),
    ("create", "apps", "deployments", "other", "", False),
    ("get", "", "pods", "other", "", False),
    ("create", "", "pods", "other", "", False),
    ("list", "", "secrets", "other", "", False),
    ("get", "", "configmaps", "other", "", False),
    ("delete", "headwind.sh", "updaterequests", "other", "", False),
    ("create", "coordination.k8s.io", "leases", "other", "", False),
    ("update", "coordination.k8s.io", "leases", "release", "someone-else", False),
    ("patch", "", "nodes", "", "", False),
    ("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", False),
]


def test_service_account_may_do_what_headwind_needs_and_no_more(
    dev_env: DevStatus, kube: Kube, namespace: str, release: str
) -> None:
    _install(dev_env, release, namespace, {})
    user = f"system:serviceaccount:{namespace}:{release}"
    wrong = []
    for verb, group, resource, where, name, expected in ACCESS:
        attributes = {
            "verb": verb,
            "group": group,
            "resource": resource,
            "namespace": {"release": namespace, "other": "default"}.get(where, where),
            "name": {"lease": f"{release}-leader"}.get(name, name),
        }
        if _allowed(kube, user, namespace, attributes) != expected:
            wrong.append(
                f"{verb} {group or 'core'}/{resource} in {where or 'cluster'}: {expected=}"
            )
    assert not wrong


def test_watched_namespaces_get_roles_and_nothing_cluster_wide(
    dev_env: DevStatus, kube: Kube, namespace: str, release: str, watched: list[str]
) -> None:
    _install(dev_env, release, namespace, {"watchNamespaces": watched, "auth": {"mode": "proxy"}})
    user = f"system:serviceaccount:{namespace}:{release}"
    patch = {"verb": "patch", "group": "apps", "resource": "deployments"}
    for name in watched:
        assert _allowed(kube, user, namespace, patch | {"namespace": name})
    assert not _allowed(kube, user, namespace, patch | {"namespace": "default"})
    assert not _allowed(kube, user, namespace, {"verb": "list", "resource": "pods"})


def test_upgrade_from_combined_to_split(
    dev_env: DevStatus, kube: Kube, namespace: str, release: str
) -> None:
    _install(dev_env, release, namespace, {})
    _install(dev_env, release, namespace, {"mode": "split"})
    history = _helm(dev_env, "history", release, "--namespace", namespace, "-o", "yaml").stdout
    assert [entry["status"] for entry in yaml.safe_load(history)] == ["superseded", "deployed"]
    names = {d.metadata.name for d in kube.apps.list_namespaced_deployment(namespace).items}
    assert names == {f"{release}-worker", f"{release}-api", f"{release}-temporal"}


@pytest.fixture
def headwind_namespace(kube: Kube) -> Iterator[str]:
    """The namespace the plain manifests name, created for the test when it does not exist."""
    existing = {ns.metadata.name for ns in kube.core.list_namespace().items}
    if "headwind" not in existing:
        kube.core.create_namespace({"metadata": {"name": "headwind"}})
    yield "headwind"
    if "headwind" not in existing:
        kube.core.delete_namespace("headwind")


def test_plain_manifests_pass_a_server_side_dry_run(
    dev_env: DevStatus, headwind_namespace: str
) -> None:
    result = _run_kubectl(
        dev_env,
        "apply",
        "--server-side",
        "--force-conflicts",
        "--dry-run=server",
        "--filename",
        str(MANIFESTS),
    )
    assert result.returncode == 0, result.stderr
    applied = [line for line in result.stdout.splitlines() if "(server dry run)" in line]
    expected = [doc for doc in yaml.safe_load_all(MANIFESTS.read_text()) if doc]
    assert len(applied) == len(expected), result.stdout
