"""The image runs as a pod would run it, with exactly the chart's permissions, and does its job.

A kubelet is not available (kwok's pods run no code), so the test does what a container
runtime does: the built image's layers are unpacked into a root filesystem, which is mounted
read-only in a private mount and PID namespace with a tmpfs at `/tmp`, a fresh `/proc`, a
minimal `/dev`, and the chart's ServiceAccount token, CA and namespace at
`/var/run/secrets/kubernetes.io/serviceaccount/`. `headwind run` starts in it as uid 65532 with
an empty environment plus the image's own and the chart's variables, and
`KUBERNETES_SERVICE_HOST`/`PORT` pointing at the local apiserver: the in-cluster configuration.

The environment's own Headwind is stopped for the test and this one takes its API port, so the
registry's notifications reach it. From this process: a push updates an annotated Deployment;
an approval-gated update waits, survives `helm upgrade` and a restart of the process (a new
pod), and is applied once approved; a crash-looping release is rolled back. A permission the
chart lacks makes a flow stall or shows as `Forbidden` in the log, and fails the test.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from headwind_dev.status import DevStatus

from tests.deploy import rendering
from tests.deploy.rendering import CHART
from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli, read_status
from tests.e2e.polling import wait_for
from tests.e2e.test_image import build

pytestmark = pytest.mark.e2e

SA_DIR = "var/run/secrets/kubernetes.io/serviceaccount"
UID = 65532
NAMESPACES = ("unshare", "--mount", "--pid", "--fork", "--propagation", "private")
"""A private mount and PID namespace for each start, as a runtime gives a container."""


@dataclass(frozen=True)
class Image:
    rootfs: Path
    config: dict[str, Any]
    """The image configuration's `config`: Env, Entrypoint, User, WorkingDir."""


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The built image (cached by scripts/build-image), unpacked layer by layer."""
    out = tmp_path_factory.mktemp("image") / "layout"
    summary = build(out)
    blobs = out / "blobs" / "sha256"
    manifest = json.loads((blobs / summary["manifest_digest"].removeprefix("sha256:")).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].removeprefix("sha256:")).read_text())
    rootfs = tmp_path_factory.mktemp("rootfs")
    rootfs.chmod(0o755)  # the layers carry no entry for `/`; runtimes make it 0755
    for layer in manifest["layers"]:
        archive = blobs / layer["digest"].removeprefix("sha256:")
        subprocess.run(["tar", "-C", str(rootfs), "-xzf", str(archive)], check=True)
    # What a runtime creates before it makes the root read-only: the mount point of the token.
    (rootfs / SA_DIR).mkdir(parents=True)
    return Image(rootfs=rootfs, config=config["config"])


@pytest.fixture
def environment_headwind_stopped(dev_env: DevStatus) -> Iterator[None]:
    """The environment's own Headwind stopped for the test, started again by `dev up` after."""
    pid = read_status(Path(dev_env.state_dir)).processes["headwind"].pid
    assert pid is not None, "the environment's Headwind is not running"
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: Path(f"/proc/{pid}").exists(), lambda alive: not alive, what="it to stop")
    try:
        yield
    finally:
        subprocess.run(
            [*headwind_cli(), "dev", "up", "--detach", "--state-dir", dev_env.state_dir],
            capture_output=True,
            check=False,
            timeout=300,
        )


class Pod:
    """`headwind run` from the image, as the chart's Deployment would run it."""

    def __init__(
        self, image: Image, env: dict[str, str], secrets_dir: Path, log: Path, api_url: str
    ) -> None:
        self.image = image
        self.env = env
        self.secrets_dir = secrets_dir
        self.log = log
        self.api_url = api_url
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        root = str(self.image.rootfs)
        user = self.image.config["User"]
        assert user == f"{UID}:{UID}"
        env = [f"{name}={value}" for name, value in self.env.items()]
        # Runs as root in fresh mount and PID namespaces; everything mounted here disappears
        # with them. The root is bind-mounted onto itself so it can be remounted read-only.
        script = f"""
set -eu
R={root}
mount --bind "$R" "$R"
mount --bind -o ro {self.secrets_dir} "$R/{SA_DIR}"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$R/tmp"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,size=1m tmpfs "$R/dev"
for device in null zero full random urandom; do
  touch "$R/dev/$device" && mount --bind "/dev/$device" "$R/dev/$device"
done
mount -o remount,bind,ro "$R"
exec env -i {" ".join(_quote(item) for item in env)} \\
  "$(command -v chroot)" --userspec={user} "$R" {" ".join(self.image.config["Entrypoint"])} run
"""
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                [*NAMESPACES, "bash", "-c", script],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            self._health,
            lambda status: status == 200,
            what=f"the image's Headwind to serve /health (log: {self.log})",
            timeout=120,
            interval=0.5,
        )

    def _health(self) -> int:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"the image's Headwind exited:\n{self.log.read_text()[-4000:]}")
        try:
            return httpx.get(f"{self.api_url}/health", timeout=2).status_code
        except httpx.TransportError:
            return 0

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=30)
        self._process = None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _chart_env(values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
    """The HEADWIND_* variables the chart gives its container for `values`."""
    objects = rendering.render(values, release=release, namespace=namespace)
    (container,) = [c for _, c in rendering.containers(objects) if c["name"] == "headwind"]
    env = {}
    for item in container["env"]:
        assert "value" in item, f"{item['name']} comes from a Secret the test did not create"
        env[item["name"]] = item["value"]
    return env


def _kubeconfig_ca(kubeconfig: str) -> bytes:
    config = yaml.safe_load(Path(kubeconfig).read_text())
    return base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])


def _helm(dev_env: DevStatus, command: str, release: str, namespace: str, *args: str) -> None:
    rendering.helm(
        command,
        release,
        *args,
        "--namespace",
        namespace,
        "--kubeconfig",
        dev_env.kubeconfig,
        timeout=300,
    )


def _image_of(kube: Kube, namespace: str, name: str) -> str:
    deployment = kube.apps.read_namespaced_deployment(name=name, namespace=namespace)
    return str(deployment.spec.template.spec.containers[0].image)


def _push(reference: str) -> None:
    result = subprocess.run(
        [*headwind_cli(), "dev", "push", reference],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def _service_account_files(
    kube: Kube, dev_env: DevStatus, namespace: str, name: str, into: Path
) -> str:
    """What the kubelet mounts for the ServiceAccount `name`; returns its token."""
    token = str(
        kube.core.create_namespaced_service_account_token(
            name, namespace, {"spec": {"expirationSeconds": 3600}}
        ).status.token
    )
    into.mkdir()
    (into / "token").write_text(token)
    (into / "ca.crt").write_bytes(_kubeconfig_ca(dev_env.kubeconfig))
    (into / "namespace").write_text(namespace)
    for path in into.iterdir():
        path.chmod(0o644)
    into.chmod(0o755)
    return token


def _pod_env(
    image: Image, dev_env: DevStatus, values: dict[str, Any], release: str, namespace: str
) -> dict[str, str]:
    """The image's variables, the chart's, and what the kubelet adds."""
    apiserver = urlsplit(dev_env.kube_apiserver_url)
    env = dict(item.split("=", 1) for item in image.config["Env"])
    env |= _chart_env(values, release, namespace)
    env |= {
        "HOSTNAME": f"{release}-0",
        "HOME": "/home/nonroot",
        "KUBERNETES_SERVICE_HOST": str(apiserver.hostname),
        "KUBERNETES_SERVICE_PORT": str(apiserver.port),
        # The pod's address and the environment's ports (the chart's 8080 and 9464 may be
        # taken on this machine); the registry notifies this API port.
        "HEADWIND_API_HOST": "127.0.0.1",
        "HEADWIND_API_PORT": str(urlsplit(dev_env.api_url).port),
        "HEADWIND_TEMPORAL_METRICS_PORT": str(dev_env.ports["worker_metrics"]),
        # What the chart would take from the Secret named in `webhooks.secretName`.
        "HEADWIND_WEBHOOK_REGISTRY_TOKEN": dev_env.registry_webhook_token,
        "HEADWIND_WEBHOOK_TOKEN": dev_env.webhook_token,
    }
    return env


WORKLOADS = {
    "web": {"headwind.sh/policy": "minor", "headwind.sh/require-approval": "false"},
    "gated": {"headwind.sh/policy": "minor"},
    "flaky": {
        # `all` ignores variants: the kwok failure suffix (-crashloop) is one.
        "headwind.sh/policy": "all",
        "headwind.sh/require-approval": "false",
        "headwind.sh/auto-rollback": "true",
        "headwind.sh/rollback-timeout": "90s",
        "headwind.sh/health-check-retries": "2",
    },
}
"""The annotated Deployments: pushed and applied, approval-gated, crash-looping."""

SCOPES = [
    pytest.param(False, id="cluster-wide ClusterRole"),
    pytest.param(True, id="watchNamespaces: Roles only"),
]


@pytest.mark.parametrize("namespaced", SCOPES)
@pytest.mark.usefixtures("environment_headwind_stopped")
def test_the_image_runs_headwind_with_the_chart_s_permissions(
    dev_env: DevStatus,
    kube: Kube,
    namespace: str,
    image: Image,
    tmp_path: Path,
    namespaced: bool,
) -> None:
    release = f"headwind-{uuid.uuid4().hex[:6]}"
    values: dict[str, Any] = {"temporal": {"embedded": False, "address": dev_env.temporal_address}}
    if namespaced:
        values["watchNamespaces"] = [namespace]
    with tempfile.TemporaryDirectory() as tmp:
        _helm(
            dev_env,
            "install",
            release,
            namespace,
            str(CHART),
            *rendering.values_args(values, Path(tmp)),
        )
    try:
        token = _service_account_files(kube, dev_env, namespace, release, tmp_path / "sa")
        log = tmp_path / "headwind.log"
        env = _pod_env(image, dev_env, values, release, namespace)
        pod = Pod(image, env, tmp_path / "sa", log, dev_env.api_url)
        pod.start()
        try:
            with httpx.Client(base_url=dev_env.api_url, timeout=60) as api:
                _flows(dev_env, kube, api, namespace, release, pod, token)
        finally:
            pod.stop()
    finally:
        _helm(dev_env, "uninstall", release, namespace)
    text = log.read_text()
    assert "Forbidden" not in text, text[-4000:]
    assert " 403" not in text, text[-4000:]


def _flows(
    dev_env: DevStatus,
    kube: Kube,
    api: httpx.Client,
    namespace: str,
    release: str,
    pod: Pod,
    token: str,
) -> None:
    registry = f"{dev_env.registry}/e2e/pod-{uuid.uuid4().hex[:6]}"
    for name, wanted in WORKLOADS.items():
        _push(f"{registry}/{name}:1.0.0")
        deployment = manifests.deployment(name, f"{registry}/{name}:1.0.0", 2)
        deployment["metadata"]["annotations"] = {
            "headwind.sh/min-update-interval": "0",
            **wanted,
        }
        kube.apps.create_namespaced_deployment(namespace, deployment)
    for name in WORKLOADS:
        _wait_until_indexed(api, dev_env.webhook_token, f"{registry}/{name}")

    _push(f"{registry}/web:1.1.0")
    _push(f"{registry}/gated:1.1.0")
    _push(f"{registry}/flaky:1.1.0-crashloop")

    wait_for(
        lambda: _image_of(kube, namespace, "web"),
        lambda current: current == f"{registry}/web:1.1.0",
        what="the pushed image on Deployment web",
        timeout=90,
    )

    pending = wait_for(
        lambda: kube.custom.list_namespaced_custom_object(
            "headwind.sh", "v1alpha1", namespace, "updaterequests"
        )["items"],
        lambda items: any(i.get("status", {}).get("phase") == "Pending" for i in items),
        what="the UpdateRequest of Deployment gated",
        timeout=90,
    )
    # A new chart revision and a new pod: the pending approval lives in Temporal.
    _helm(
        dev_env,
        "upgrade",
        release,
        namespace,
        str(CHART),
        "--reuse-values",
        "--set",
        "logLevel=debug",
    )
    pod.stop()
    pod.start()
    approved = api.post(
        f"/api/v1/updates/{namespace}/{pending[0]['metadata']['name']}/approve",
        json={},  # in token mode the approver is who the bearer token says, never the body
        headers={"Authorization": f"Bearer {token}"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"].startswith("system:serviceaccount:")
    wait_for(
        lambda: _image_of(kube, namespace, "gated"),
        lambda current: current == f"{registry}/gated:1.1.0",
        what="the approved image on Deployment gated",
        timeout=90,
    )

    def failed_tags() -> str | None:
        deployment = kube.apps.read_namespaced_deployment(name="flaky", namespace=namespace)
        return (deployment.metadata.annotations or {}).get("headwind.sh/failed-tags")

    wait_for(
        failed_tags,
        lambda tags: tags is not None and "1.1.0-crashloop" in tags,
        what="the crash-looping release of Deployment flaky to be rolled back",
        timeout=240,
        interval=1,
    )
    assert _image_of(kube, namespace, "flaky") == f"{registry}/flaky:1.0.0"


def _wait_until_indexed(api: httpx.Client, token: str, repository: str) -> None:
    """Until the watch has indexed `repository` (asked with the current tag: no proposal)."""

    def matched() -> int:
        response = api.post(
            "/webhook/native",
            json={"image": f"{repository}:1.0.0"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202, response.text
        return int(response.json()["matched"])

    wait_for(matched, lambda n: n >= 1, what=f"the index to hold {repository}", timeout=60)
