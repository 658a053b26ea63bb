"""`HEADWIND_UI_AUTH_MODE=token` on the real environment: RBAC decides who may approve.

A second Headwind API process in `token` mode runs next to the environment's (whose worker
carries out the approvals). Two ServiceAccounts get a token each: one bound to a Role that may
patch the Deployment, one to a Role that may only read it. The first approves and the workflow
records its username; the second gets 403 and nothing changes; a forged token gets 401. The
browser test file covers the UI; this one covers the identity the UI and API share.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus
from kubernetes import client as k8s

from tests.e2e import manifests
from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for
from tests.e2e.registries import free_port

pytestmark = pytest.mark.e2e

REPO = "127.0.0.1:5000/e2e/token"


@pytest.fixture(scope="module")
def token_api(dev_env: DevStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `headwind api` in token mode on the environment's cluster."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.upper().startswith("HEADWIND_")},
        "HEADWIND_UI_AUTH_MODE": "token",
        "HEADWIND_KUBECONFIG": dev_env.kubeconfig,
        "HEADWIND_TEMPORAL_ADDRESS": dev_env.temporal_address,
        "HEADWIND_TEMPORAL_NAMESPACE": dev_env.temporal_namespace,
    }
    log = Path(tmp_path_factory.mktemp("token-api")) / "api.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from worker.cli import main; main()",
                "api",
                "--port",
                str(port),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _ready(url),
            bool,
            what=f"the token-mode API to be ready (log: {log})",
            timeout=60,
            interval=0.5,
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _account(kube: Kube, namespace: str, name: str, verbs: list[str]) -> str:
    """A ServiceAccount bound to a Role with `verbs` on Deployments; its token."""
    kube.core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    rbac: Any = k8s.RbacAuthorizationV1Api(kube.client)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name},
        "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": verbs}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    }
    rbac.create_namespaced_role(namespace, role)
    rbac.create_namespaced_role_binding(namespace, binding)
    request = kube.core.create_namespaced_service_account_token(
        name, namespace, {"spec": {"audiences": [], "expirationSeconds": 600}}
    )
    return str(request.status.token)


def test_rbac_decides_who_may_approve(
    token_api: str, dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    patcher = _account(kube, namespace, "patcher", ["get", "list", "patch"])
    reader = _account(kube, namespace, "reader", ["get", "list"])
    manifest = manifests.deployment("web", f"{REPO}:1.0.0", replicas=1)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "minor",
        "headwind.sh/event-source": "none",
        "headwind.sh/min-update-interval": "0",
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)

    def call(method: str, path: str, token: str | None, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, f"{token_api}{path}", headers=headers, timeout=120, **kwargs)  # type: ignore[arg-type]

    proposal = {"kind": "Deployment", "namespace": namespace, "name": "web", "container": "main"}
    refused = call("POST", "/api/v1/updates", reader, json={**proposal, "tag": "1.1.0"})
    assert refused.status_code == 403, refused.text
    accepted = call("POST", "/api/v1/updates", patcher, json={**proposal, "tag": "1.1.0"})
    assert accepted.status_code == 202, accepted.text
    request = accepted.json()["request_name"]
    status_path = f"/api/v1/updates/{namespace}/{request}"
    wait_for(
        lambda: call("GET", status_path, reader).json(),
        lambda status: status.get("phase") == "Pending",
        what="the proposal to wait for approval",
        timeout=60,
    )

    forged = patcher[:-4] + ("AAAA" if patcher[-4:] != "AAAA" else "BBBB")
    assert call("POST", f"{status_path}/approve", forged).status_code == 401
    assert call("POST", f"{status_path}/approve", None).status_code == 401
    forbidden = call("POST", f"{status_path}/approve", reader)
    assert forbidden.status_code == 403
    assert "may not patch deployments.apps 'web'" in forbidden.json()["detail"]
    assert call("GET", status_path, reader).json()["phase"] == "Pending"

    approved = call("POST", f"{status_path}/approve", patcher)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == f"system:serviceaccount:{namespace}:patcher"
    deployment = kube.apps.read_namespaced_deployment(namespace=namespace, name="web")
    assert deployment.spec.template.spec.containers[0].image == f"{REPO}:1.1.0"
