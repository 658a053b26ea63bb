"""`kubectl headwind` and approvals through the Kubernetes API, on the real environment.

The plugin runs as kubectl runs it (the real `kubectl` of the build finds `kubectl-headwind` on
the PATH) with the kubeconfigs of two people: alice, bound to `headwind-approver` in the test's
namespace, and mallory, bound to nothing. Both authenticate with client certificates signed by
the environment's CA, so the apiserver knows them by those names. What is checked is what the
apiserver and Headwind do: RBAC refuses mallory, the admission policy refuses a decision in
someone else's name, and alice's decision reaches the workflow with alice as the approver.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from headwind_dev.status import DevStatus
from kubernetes import client as k8s

from tests.e2e import manifests
from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

REPO = "127.0.0.1:5000/e2e/kubectl"
ANNOTATIONS = {"headwind.sh/policy": "minor", "headwind.sh/min-update-interval": "0"}


def _kubectl_binary(dev_env: DevStatus) -> Path:
    version = dev_env.kubernetes_version or ""
    found = sorted(Path.home().glob(f".cache/headwind/k8s/{version}*/bin/kubectl"))
    assert found, f"no kubectl of the build for {version} in ~/.cache/headwind/k8s"
    return found[-1]


def _user_kubeconfig(dev_env: DevStatus, directory: Path, user: str, namespace: str) -> Path:
    """A kubeconfig authenticating as `user` with a certificate from the environment's CA."""
    pki = Path(dev_env.state_dir) / "pki"
    ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{user}.crt", directory / f"{user}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "dev",
                "cluster": {
                    "server": dev_env.kube_apiserver_url,
                    "certificate-authority": str(pki / "ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate": str(cert_path), "client-key": str(key_path)},
            }
        ],
        "contexts": [
            {"name": user, "context": {"cluster": "dev", "user": user, "namespace": namespace}}
        ],
        "current-context": user,
    }
    path = directory / f"{user}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


class Person:
    """One user at a terminal: real kubectl, the plugin on the PATH, their own kubeconfig."""

    def __init__(self, kubectl: Path, kubeconfig: Path) -> None:
        scripts = sysconfig.get_path("scripts")
        self._kubectl = kubectl
        self._env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def kubectl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self._kubectl), *args],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def people(dev_env: DevStatus, kube: Kube, namespace: str, tmp_path: Path) -> dict[str, Person]:
    rbac: Any = k8s.RbacAuthorizationV1Api(kube.client)
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "alice-approves"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "headwind-approver",
            },
            "subjects": [
                {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}
            ],
        },
    )
    kubectl = _kubectl_binary(dev_env)
    return {
        user: Person(kubectl, _user_kubeconfig(dev_env, tmp_path, user, namespace))
        for user in ("alice", "mallory")
    }


@pytest.fixture(scope="module")
def api(dev_env: DevStatus) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_env.api_url, timeout=120) as client:
        yield client


def _request_cr(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = kube.custom.get_namespaced_custom_object(
        "headwind.sh", "v1alpha1", namespace, "updaterequests", name
    )
    return obj


def _image(kube: Kube, namespace: str, kind: str = "Deployment") -> str:
    if kind == "CronJob":
        cronjob = kube.batch.read_namespaced_cron_job("web", namespace)
        return str(cronjob.spec.job_template.spec.template.spec.containers[0].image)
    deployment = kube.apps.read_namespaced_deployment("web", namespace)
    return str(deployment.spec.template.spec.containers[0].image)


def _phase(kube: Kube, namespace: str, name: str) -> str | None:
    """The mirror's phase; None until Headwind has created the UpdateRequest."""
    try:
        phase = _request_cr(kube, namespace, name).get("status", {}).get("phase")
        return str(phase) if phase else None
    except k8s.ApiException as exc:
        if exc.status == 404:
            return None
        raise


def _pending_request(
    api: httpx.Client, kube: Kube, namespace: str, tag: str, kind: str = "Deployment"
) -> str:
    response = api.post(
        "/api/v1/updates",
        json={
            "kind": kind,
            "namespace": namespace,
            "name": "web",
            "container": "main",
            "tag": tag,
        },
    )
    assert response.status_code == 202, response.text
    request: str = response.json()["request_name"]
    wait_for(
        lambda: _phase(kube, namespace, request),
        lambda phase: phase == "Pending",
        what=f"UpdateRequest {request} Pending",
    )
    return request


def _decision_patch(user: str) -> str:
    return json.dumps({"spec": {"decision": {"action": "approve", "by": user}}})


def test_approvals_through_the_kubernetes_api(
    api: httpx.Client, kube: Kube, namespace: str, people: dict[str, Person]
) -> None:
    alice, mallory = people["alice"], people["mallory"]
    deployment = manifests.deployment("web", f"{REPO}:1.0.0", 1)
    deployment["metadata"]["annotations"] = ANNOTATIONS
    kube.apps.create_namespaced_deployment(namespace, deployment)
    request = _pending_request(api, kube, namespace, "1.1.0")
    before = _request_cr(kube, namespace, request)

    listed = alice.kubectl("headwind", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert [item["metadata"]["name"] for item in json.loads(listed.stdout)["items"]] == [request]
    table = alice.kubectl("headwind", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "TARGET", "CONTAINER", "NEW", "PHASE", "AGE"]
    assert table[1].split()[:5] == [request, "Deployment/web", "main", "1.1.0", "Pending"]
    shown = alice.kubectl("headwind", "show", request, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["spec"]["newImage"] == f"{REPO}:1.1.0"
    text = alice.kubectl("headwind", "show", request)
    assert text.returncode == 0, text.stderr
    assert f"/updates/{namespace}/{request}" in text.stdout  # the web UI's page of the update
    assert "/workflows/headwind-update" in text.stdout  # the workflow in the Temporal Web UI
    missing = alice.kubectl("headwind", "show", "no-such-request")
    assert missing.returncode == 1
    assert f'not found in namespace "{namespace}"' in missing.stderr

    # Without the role: the apiserver's RBAC says no, and the plugin names the missing verb.
    refused = mallory.kubectl("headwind", "approve", request, "--wait", "0")
    assert refused.returncode == 1
    assert "forbidden: missing RBAC verb" in refused.stderr
    patched = mallory.kubectl(
        "patch", "ur", request, "--type", "merge", "-p", _decision_patch("mallory")
    )
    assert patched.returncode != 0
    assert "forbidden" in patched.stderr.lower()

    # With the role, in someone else's name: the admission policy says no.
    forged = alice.kubectl("patch", "ur", request, "--type", "merge", "-p", _decision_patch("bob"))
    assert forged.returncode != 0
    assert "must be your own user name" in forged.stderr
    retargeted = alice.kubectl(
        "patch", "ur", request, "--type", "merge", "-p", '{"spec":{"newImage":"evil:1"}}'
    )
    assert retargeted.returncode != 0
    assert "only spec.decision" in retargeted.stderr
    unchanged = _request_cr(kube, namespace, request)
    assert unchanged["spec"] == before["spec"]
    assert unchanged["metadata"]["generation"] == before["metadata"]["generation"]
    assert _image(kube, namespace) == f"{REPO}:1.0.0"

    # Alice approves as herself: Headwind forwards it, the workflow records her.
    approved = alice.kubectl("headwind", "approve", request, "--wait", "60")
    assert approved.returncode == 0, approved.stderr + approved.stdout
    cr = wait_for(
        lambda: _request_cr(kube, namespace, request),
        lambda c: c.get("status", {}).get("phase") == "Completed",
        what="the UpdateRequest Completed",
        timeout=90,
    )
    assert cr["spec"]["decision"] == {"action": "approve", "by": "alice"}
    assert cr["status"]["approvedBy"] == "alice"
    assert cr["status"]["decisionOutcome"] == "Accepted"
    assert _image(kube, namespace) == f"{REPO}:1.1.0"
    assert api.get(f"/api/v1/updates/{namespace}/{request}").json()["approved_by"] == "alice"
    changed = alice.kubectl(
        "patch",
        "ur",
        request,
        "--type",
        "merge",
        "-p",
        json.dumps({"spec": {"decision": {"action": "reject", "by": "alice"}}}),
    )
    assert changed.returncode != 0
    assert "cannot be changed" in changed.stderr


def test_a_decision_on_a_request_decided_elsewhere_changes_nothing(
    api: httpx.Client, kube: Kube, namespace: str, people: dict[str, Person]
) -> None:
    deployment = manifests.deployment("web", f"{REPO}:1.0.0", 1)
    deployment["metadata"]["annotations"] = ANNOTATIONS
    kube.apps.create_namespaced_deployment(namespace, deployment)
    request = _pending_request(api, kube, namespace, "1.1.0")
    rejected = api.post(
        f"/api/v1/updates/{namespace}/{request}/reject",
        json={"approver": "bob", "reason": "not this week"},
    )
    assert rejected.status_code == 200, rejected.text
    wait_for(
        lambda: _request_cr(kube, namespace, request).get("status", {}),
        lambda status: status.get("phase") == "Rejected" and status.get("rejectedBy") == "bob",
        what="the REST rejection mirrored in the CR",
    )

    late = people["alice"].kubectl("headwind", "approve", request, "--wait", "60")

    assert late.returncode == 1, late.stdout + late.stderr
    cr = _request_cr(kube, namespace, request)
    assert cr["status"]["phase"] == "Rejected"
    assert "approve by alice changed nothing" in cr["status"]["message"]
    assert cr["status"]["decisionOutcome"] == "Ignored"
    assert _image(kube, namespace) == f"{REPO}:1.0.0"
    events = kube.core.list_namespaced_event(namespace).items
    assert any(e.reason == "DecisionIgnored" and request in e.message for e in events)


def test_history_explain_and_rollback_through_headwind_s_api(
    api: httpx.Client,
    dev_env: DevStatus,
    kube: Kube,
    namespace: str,
    people: dict[str, Person],
) -> None:
    # A CronJob: no controller writes to it between the two patches of a manual rollback.
    alice = people["alice"]
    cronjob = manifests.cronjob("web", f"{REPO}:1.0.0")
    cronjob["metadata"]["annotations"] = ANNOTATIONS
    kube.batch.create_namespaced_cron_job(namespace, cronjob)
    request = _pending_request(api, kube, namespace, "1.1.0", kind="CronJob")
    approved = alice.kubectl("headwind", "approve", request, "--wait", "60")
    assert approved.returncode == 0, approved.stderr + approved.stdout
    wait_for(
        lambda: _phase(kube, namespace, request),
        lambda phase: phase == "Completed",
        what="the update Completed",
        timeout=90,
    )
    at_api = ("--api-url", dev_env.api_url)

    history = alice.kubectl("headwind", "history", "cronjob/web", "-o", "json", *at_api)
    assert history.returncode == 0, history.stderr
    entries = json.loads(history.stdout)["items"]
    assert entries
    assert f"{REPO}:1.1.0" in json.dumps(entries[0])
    table = alice.kubectl("headwind", "history", "cj/web", *at_api)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == [
        "AT",
        "KIND",
        "CONTAINER",
        "IMAGE",
        "PREVIOUS",
        "BY",
    ]
    assert f"{REPO}:1.1.0" in table.stdout

    explained = alice.kubectl("headwind", "explain", "cronjob/web", *at_api)
    assert explained.returncode == 0, explained.stderr
    assert "policy minor" in explained.stdout
    assert "container main" in explained.stdout
    assert "candidate 1.1.0 for main: Completed" in explained.stdout
    assert "main: runs " in explained.stdout  # the registry's tags, judged by the policy
    unknown = alice.kubectl("headwind", "explain", "cronjob/nothing", *at_api)
    assert unknown.returncode == 1
    assert f"not found in namespace '{namespace}'" in unknown.stderr

    rolled = alice.kubectl(
        "headwind", "rollback", "cronjob/web", "--container", "main", "-o", "json", *at_api
    )
    assert rolled.returncode == 0, rolled.stderr
    assert json.loads(rolled.stdout)["rolled_back"] is True
    assert _image(kube, namespace, "CronJob") == f"{REPO}:1.0.0"
