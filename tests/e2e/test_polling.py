"""Registry polling end to end: real watcher and index, Temporal Schedules, real registries.

Each test deploys annotated workloads in a namespace of its own, pushes to a registry (the
environment's, its htpasswd-protected one, a throwaway Distribution v3 that paginates, or a
small loopback server that answers 429) and waits for what Headwind does to the workload. The
leader's polling driver creates one Schedule per repository, triggered at once, then every
`headwind.sh/polling-interval` (5s here).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from headwind_dev import push, uploading
from headwind_dev.status import DevStatus
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from headwind import polling
from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli
from tests.e2e.polling import wait_for, wait_for_async
from tests.e2e.registries import Registry, distribution_v3, running_registry

pytestmark = pytest.mark.e2e

POLLING = {
    "headwind.sh/policy": "minor",
    "headwind.sh/event-source": "polling",
    "headwind.sh/polling-interval": "5s",
    "headwind.sh/require-approval": "false",
    "headwind.sh/min-update-interval": "0",
}


def _repository(prefix: str) -> str:
    return f"e2e/{prefix}-{uuid.uuid4().hex[:8]}"


def _push(
    reference: str,
    *,
    salt: str = "",
    credentials: tuple[str, str] | None = None,
) -> str:
    """`headwind dev push` of a reference that names its registry; the pushed digest."""
    argv = [*headwind_cli(), "dev", "push", reference]
    if salt:
        argv += ["--salt", salt]
    if credentials:
        argv += ["--username", credentials[0], "--password", credentials[1]]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _deploy(
    kube: Kube,
    namespace: str,
    name: str,
    image: str,
    annotations: dict[str, str] | None = None,
    *,
    pod: dict[str, Any] | None = None,
) -> None:
    manifest = manifests.deployment(name, image, replicas=1)
    manifest["metadata"]["annotations"] = {**POLLING, **(annotations or {})}
    manifest["spec"]["template"]["spec"].update(pod or {})
    kube.apps.create_namespaced_deployment(namespace, manifest)


def _raw(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    obj = kube.apps.read_namespaced_deployment(name, namespace)
    body: dict[str, Any] = kube.client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
    return body


def _image(kube: Kube, namespace: str, name: str) -> str:
    return str(_raw(kube, namespace, name)["spec"]["template"]["spec"]["containers"][0]["image"])


def _wait_for_image(kube: Kube, namespace: str, name: str, image: str, timeout: float = 60) -> None:
    wait_for(
        lambda: _image(kube, namespace, name),
        lambda current: current == image,
        what=f"Deployment {name} to run {image}",
        timeout=timeout,
    )


async def _schedule_exists(client: Client, repository: str) -> bool:
    try:
        await client.get_schedule_handle(polling.schedule_id(repository)).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _wait_for_schedule(client: Client, repository: str) -> None:
    await wait_for_async(
        lambda: _schedule_exists(client, repository),
        bool,
        what=f"the polling schedule of {repository}",
        timeout=30,
    )


def _recorded_pushes(dev_env: DevStatus, repository: str) -> list[str]:
    answer = httpx.get(f"{dev_env.recorder_url}/notifications/registry", timeout=10).json()
    events = answer["events"]
    return [
        str(event["target"].get("tag"))
        for event in events
        if event.get("action") == "push"
        and event.get("target", {}).get("repository") == repository
        and event["target"].get("tag")
    ]


# -- detection paths -------------------------------------------------------------------------


async def test_polling_finds_a_new_tag_within_its_interval(
    dev_env: DevStatus, kube: Kube, namespace: str, temporal_client: Client
) -> None:
    repository = _repository("poll")
    image = f"{dev_env.registry}/{repository}"
    _push(f"{image}:1.0.0")
    _deploy(kube, namespace, "web", f"{image}:1.0.0")
    await _wait_for_schedule(temporal_client, image)

    _push(f"{image}:1.1.0")
    pushed = time.monotonic()
    _wait_for_image(kube, namespace, "web", f"{image}:1.1.0", timeout=30)

    # Within one interval (5s, plus jitter of a tenth) and the time to apply.
    assert time.monotonic() - pushed < 15
    metrics = _metrics(dev_env)
    assert metrics.get("headwind_polling_new_tags_found_total", 0) >= 1
    assert metrics.get("headwind_polling_cycles_total", 0) >= 2
    assert metrics.get(f'headwind_registry_requests_total{{registry="{dev_env.registry}"', 0) >= 2


def _metrics(dev_env: DevStatus) -> dict[str, float]:
    """Samples of /metrics by name and first label (`name{label="value"`), summed."""
    sums: dict[str, float] = {}
    for line in httpx.get(f"{dev_env.api_url}/metrics", timeout=10).text.splitlines():
        if line.startswith("headwind_") and " " in line:
            key = line.split(",", 1)[0].split(" ", 1)[0].rstrip("}")
            sums[key] = sums.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
    return sums


async def test_polling_ignores_webhooks_and_finds_the_tag_when_it_polls(
    dev_env: DevStatus, kube: Kube, namespace: str, temporal_client: Client
) -> None:
    repository = _repository("hooked")
    image = f"{dev_env.registry}/{repository}"
    _push(f"{image}:1.0.0")
    _deploy(kube, namespace, "web", f"{image}:1.0.0", {"headwind.sh/polling-interval": "1h"})
    await _wait_for_schedule(temporal_client, image)
    time.sleep(3)  # the schedule's first, immediate scan sees only 1.0.0

    _push(f"{image}:1.1.0")
    wait_for(
        lambda: _recorded_pushes(dev_env, repository),
        lambda tags: "1.1.0" in tags,
        what="the registry's notification of the push",
    )
    time.sleep(3)  # Headwind's API got the same notification; it must not act on it
    assert _image(kube, namespace, "web") == f"{image}:1.0.0"

    await temporal_client.get_schedule_handle(polling.schedule_id(image)).trigger()
    _wait_for_image(kube, namespace, "web", f"{image}:1.1.0", timeout=30)


async def test_event_source_none_is_neither_polled_nor_notified(
    dev_env: DevStatus, kube: Kube, namespace: str, temporal_client: Client
) -> None:
    repository = _repository("none")
    image = f"{dev_env.registry}/{repository}"
    _push(f"{image}:1.0.0")
    _deploy(kube, namespace, "ignored", f"{image}:1.0.0", {"headwind.sh/event-source": "none"})
    _deploy(kube, namespace, "webhooked", f"{image}:1.0.0", {"headwind.sh/event-source": "webhook"})
    time.sleep(5)  # the driver looks at the index every 2s
    assert not await _schedule_exists(temporal_client, image)

    # A polling neighbour proves that scans of the repository happen after the push.
    _deploy(kube, namespace, "control", f"{image}:1.0.0")
    await _wait_for_schedule(temporal_client, image)
    _push(f"{image}:1.1.0")
    _wait_for_image(kube, namespace, "control", f"{image}:1.1.0", timeout=30)
    wait_for(
        lambda: _image(kube, namespace, "webhooked"),
        lambda current: current == f"{image}:1.1.0",
        what="the webhook path to update its own subscriber",
    )
    assert _image(kube, namespace, "ignored") == f"{image}:1.0.0"


# -- private registries and pagination --------------------------------------------------------


def _docker_config_secret(kube: Kube, namespace: str, name: str, dev_env: DevStatus) -> None:
    user, password = dev_env.registry_private_username, dev_env.registry_private_password
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = {"auths": {dev_env.registry_private: {"auth": auth}}}
    kube.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": name},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
        },
    )


@pytest.mark.parametrize("where", ["pod", "service-account"])
def test_a_private_registry_is_polled_with_the_workloads_pull_secret(
    dev_env: DevStatus, kube: Kube, namespace: str, where: str
) -> None:
    credentials = (dev_env.registry_private_username, dev_env.registry_private_password)
    image = f"{dev_env.registry_private}/{_repository('private')}"
    _push(f"{image}:1.0.0", credentials=credentials)
    _docker_config_secret(kube, namespace, "pull", dev_env)
    if where == "pod":
        pod: dict[str, Any] = {"imagePullSecrets": [{"name": "pull"}]}
    else:
        kube.core.create_namespaced_service_account(
            namespace, {"metadata": {"name": "puller"}, "imagePullSecrets": [{"name": "pull"}]}
        )
        pod = {"serviceAccountName": "puller"}
    _deploy(kube, namespace, "web", f"{image}:1.0.0", pod=pod)

    _push(f"{image}:1.1.0", credentials=credentials)
    _wait_for_image(kube, namespace, "web", f"{image}:1.1.0", timeout=30)


@pytest.fixture(scope="module")
def paginating_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("v3") / "registry", None, distribution_v3()) as r:
        yield r


async def test_polling_follows_tag_pagination_to_the_last_page(
    dev_env: DevStatus, kube: Kube, namespace: str, paginating_registry: Registry
) -> None:
    # The environment asks for 50 tags a page; v3 sorts tags lexically, so the newest of
    # 1.10.0 … 1.69.0 is on the second page.
    address = paginating_registry.address
    repository = _repository("paged")
    async with httpx.AsyncClient(timeout=30) as http:
        client = uploading.RegistryPusher(http)
        for minor in range(10, 70):
            tag = f"1.{minor}.0"
            built = push.build_image(repository, tag, (push.Platform("linux", "amd64"),))
            await push.push_image(client, address, repository, tag, built)
        first_page = await client.list_tags(address, repository, page_size=50)
        assert len(first_page) == 60
    _deploy(kube, namespace, "web", f"{address}/{repository}:1.10.0")
    _wait_for_image(kube, namespace, "web", f"{address}/{repository}:1.69.0", timeout=30)


# -- a registry that sheds load ---------------------------------------------------------------


@dataclass
class ScriptedRegistry:
    """A loopback registry whose tag list answers 429 first, then the tags."""

    retry_after: int
    tags: list[str]
    limited: int = 1
    """How many tag-list requests get 429 before the tags are served."""
    seen: list[float] = field(default_factory=list)
    address: str = ""


@pytest.fixture
def scripted_registry(request: pytest.FixtureRequest) -> Iterator[ScriptedRegistry]:
    script: ScriptedRegistry = request.param
    tags_path = re.compile(r"^/v2/(.+)/tags/list")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            matched = tags_path.match(self.path)
            if self.path == "/v2/":
                self._send(200, {})
            elif matched is None:
                self._send(404, {"errors": [{"code": "NAME_UNKNOWN"}]})
            else:
                script.seen.append(time.monotonic())
                if len(script.seen) <= script.limited:
                    headers = {"Retry-After": str(script.retry_after)}
                    self._send(429, {"errors": [{"code": "TOOMANYREQUESTS"}]}, headers)
                else:
                    self._send(200, {"name": matched[1], "tags": script.tags})

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    script.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "scripted_registry",
    [ScriptedRegistry(retry_after=2, tags=["1.0.0", "1.1.0"])],
    indirect=True,
    ids=["retry-after-2s"],
)
def test_a_short_retry_after_is_waited_out_then_the_scan_goes_on(
    kube: Kube, namespace: str, scripted_registry: ScriptedRegistry
) -> None:
    image = f"{scripted_registry.address}/limited/app"
    _deploy(kube, namespace, "web", f"{image}:1.0.0")
    _wait_for_image(kube, namespace, "web", f"{image}:1.1.0", timeout=30)
    first, second = scripted_registry.seen[:2]
    assert second - first >= 2.0


@pytest.mark.parametrize(
    "scripted_registry",
    [ScriptedRegistry(retry_after=120, tags=["1.0.0", "1.1.0"])],
    indirect=True,
    ids=["retry-after-2min"],
)
async def test_a_long_retry_after_holds_the_repositorys_scans_back(
    kube: Kube, namespace: str, scripted_registry: ScriptedRegistry, temporal_client: Client
) -> None:
    image = f"{scripted_registry.address}/limited/app"
    _deploy(kube, namespace, "web", f"{image}:1.0.0")
    await _wait_for_schedule(temporal_client, image)
    wait_for(lambda: len(scripted_registry.seen), bool, what="the first scan")

    # Three intervals pass; the scan waits for its retry in Temporal and the schedule skips
    # its ticks meanwhile, so the registry is not asked again.
    time.sleep(15)
    assert len(scripted_registry.seen) == 1
    assert _image(kube, namespace, "web") == f"{image}:1.0.0"
    runs = [
        run
        async for run in temporal_client.list_workflows(
            'WorkflowType = "PollRepository" AND ExecutionStatus = "Running"'
        )
        if run.id.startswith(polling.schedule_id(image))
    ]
    assert len(runs) == 1


# -- force: a new build of the same tag -------------------------------------------------------


def _digests(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    annotations = _raw(kube, namespace, name)["metadata"].get("annotations") or {}
    loaded: dict[str, Any] = json.loads(annotations.get("headwind.sh/digests") or "{}")
    return loaded


def test_force_rolls_a_rebuilt_tag_out_with_a_restart_annotation(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    image = f"{dev_env.registry}/{_repository('force')}"
    first = _push(f"{image}:stable", salt="one")
    _deploy(kube, namespace, "web", f"{image}:stable", {"headwind.sh/policy": "force"})
    wait_for(
        lambda: _digests(kube, namespace, "web"),
        lambda known: known.get("main", {}).get("digest") == first,
        what="the first build to be recorded as the baseline",
        timeout=30,
    )
    template = _raw(kube, namespace, "web")["spec"]["template"]
    assert "headwind.sh/restarted-at" not in (template["metadata"].get("annotations") or {})

    second = _push(f"{image}:stable", salt="two")
    wait_for(
        lambda: _digests(kube, namespace, "web"),
        lambda known: known.get("main", {}).get("digest") == second,
        what="the new build to be rolled out",
        timeout=30,
    )
    obj = _raw(kube, namespace, "web")
    assert obj["spec"]["template"]["metadata"]["annotations"]["headwind.sh/restarted-at"]
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == f"{image}:stable"
    assert obj["metadata"]["generation"] >= 2


def test_pin_digest_moves_the_pinned_reference_to_the_rebuilt_tag(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    image = f"{dev_env.registry}/{_repository('pinned')}"
    first = _push(f"{image}:1.0", salt="one")
    _deploy(
        kube,
        namespace,
        "web",
        f"{image}:1.0@{first}",
        {"headwind.sh/policy": "force", "headwind.sh/pin-digest": "true"},
    )
    second = _push(f"{image}:1.0", salt="two")
    _wait_for_image(kube, namespace, "web", f"{image}:1.0@{second}", timeout=30)
