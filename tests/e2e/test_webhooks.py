"""Webhooks end to end: real API, real watcher and index, real Temporal, real registry.

Every supported format is posted, signed as its sender signs, to the environment's API, which
must propose the workload container running the pushed repository and nothing else (a
Deployment running the same repository path on another registry stays untouched); a forged
signature is refused and proposes nothing. Finally the real thing: `headwind dev push` to the
environment's registry makes Distribution notify `/webhook/registry`, and the matching
Deployment (no approval required) is patched with no manual step.

The environment's Headwind has `HEADWIND_WEBHOOK_TOKEN` set (`DevStatus.webhook_token`), the
secret of every source but `registry`, whose bearer token the registries send.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli
from tests.e2e.polling import wait_for
from tests.webhook_deliveries import BUILDERS, Delivery

pytestmark = pytest.mark.e2e

CURRENT, PUSHED = "1.0.0", "1.4.2"
MINOR = {"headwind.sh/policy": "minor", "headwind.sh/min-update-interval": "0"}


@pytest.fixture(scope="module")
def api(dev_env: DevStatus) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_env.api_url, timeout=60) as client:
        yield client


def _deploy(kube: Kube, namespace: str, name: str, image: str, **annotations: str) -> None:
    manifest = manifests.deployment(name, image, replicas=1)
    manifest["metadata"]["annotations"] = {**MINOR, **annotations}
    kube.apps.create_namespaced_deployment(namespace, manifest)


def _image(kube: Kube, namespace: str, name: str) -> str:
    deployment = kube.apps.read_namespaced_deployment(name, namespace)
    return str(deployment.spec.template.spec.containers[0].image)


def _post(api: httpx.Client, delivery: Delivery) -> httpx.Response:
    return api.post(
        delivery.path, content=delivery.body, headers=delivery.headers, params=delivery.params
    )


def _wait_until_indexed(api: httpx.Client, image: str, token: str, count: int = 1) -> None:
    """Until the watcher has indexed `count` containers running `image` (at CURRENT).

    Asked through the native webhook with the current tag: the answer says how many containers
    matched, and the same tag is never a candidate, so the probe proposes nothing.
    """

    def matched() -> int:
        response = api.post(
            "/webhook/native",
            json={"image": f"{image}:{CURRENT}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202, response.text
        assert response.json()["proposed"] == 0
        return int(response.json()["matched"])

    wait_for(matched, lambda n: n >= count, what=f"the index to hold {image}", timeout=60)


def _updates(api: httpx.Client, namespace: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/updates", params={"namespace": namespace})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def _elsewhere(image: str) -> str:
    """The same repository path on another registry."""
    host, _, path = image.partition("/")
    if "." not in host and ":" not in host:  # a Docker Hub name without host
        path = image
    return f"other-registry.e2e.example/{path}"


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_every_format_proposes_the_pushed_container_and_only_it(
    dev_env: DevStatus, kube: Kube, namespace: str, api: httpx.Client, fmt: str
) -> None:
    name = f"web-{uuid.uuid4().hex[:8]}"
    # `registry` has its own secret in the environment; every other source the shared token.
    secret = dev_env.registry_webhook_token if fmt == "registry" else dev_env.webhook_token
    delivery = BUILDERS[fmt](name, PUSHED, secret)
    _deploy(kube, namespace, "target", f"{delivery.image}:{CURRENT}")
    _deploy(kube, namespace, "decoy", f"{_elsewhere(delivery.image)}:{CURRENT}")
    _wait_until_indexed(api, delivery.image, dev_env.webhook_token)

    response = _post(api, delivery)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["matched"], answer["proposed"]) == (1, 1), answer
    updates = wait_for(
        lambda: _updates(api, namespace), bool, what="the proposal to be listed", timeout=30
    )
    assert [(u["name"], u["container"], u["tag"]) for u in updates] == [("target", "main", PUSHED)]
    assert _image(kube, namespace, "decoy").endswith(f":{CURRENT}")


def test_forged_signature_is_refused_and_nothing_is_proposed(
    dev_env: DevStatus, kube: Kube, namespace: str, api: httpx.Client
) -> None:
    name = f"web-{uuid.uuid4().hex[:8]}"
    delivery = BUILDERS["ghcr"](name, PUSHED, dev_env.webhook_token)
    _deploy(kube, namespace, "target", f"{delivery.image}:{CURRENT}")
    _wait_until_indexed(api, delivery.image, dev_env.webhook_token)

    for forged in (delivery.forged(), BUILDERS["native"](name, PUSHED, "not-the-secret")):
        response = _post(api, forged)
        assert response.status_code == 401, response.text

    time.sleep(3)  # what a wrongly accepted proposal would need to show up in visibility
    assert _updates(api, namespace) == []


def _push(reference: str) -> None:
    result = subprocess.run(
        [*headwind_cli(), "dev", "push", reference],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def _accepted_registry_webhooks(api: httpx.Client) -> float:
    total = 0.0
    for line in api.get("/metrics").text.splitlines():
        if line.startswith("headwind_webhook_events_total{") and all(
            label in line for label in ('source="registry"', 'result="accepted"')
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_a_push_to_the_local_registry_patches_the_deployment_with_no_manual_step(
    dev_env: DevStatus, kube: Kube, namespace: str, api: httpx.Client
) -> None:
    repository = f"e2e/live-{uuid.uuid4().hex[:8]}"
    image = f"{dev_env.registry}/{repository}"
    same_name_elsewhere = f"{dev_env.registry_private}/{repository}"
    _push(f"{image}:{CURRENT}")
    _deploy(
        kube, namespace, "web", f"{image}:{CURRENT}", **{"headwind.sh/require-approval": "false"}
    )
    _deploy(
        kube,
        namespace,
        "other",
        f"{same_name_elsewhere}:{CURRENT}",
        **{"headwind.sh/require-approval": "false"},
    )
    _wait_until_indexed(api, image, dev_env.webhook_token)
    _wait_until_indexed(api, same_name_elsewhere, dev_env.webhook_token)
    accepted_before = _accepted_registry_webhooks(api)

    _push(f"{image}:{PUSHED}")

    wait_for(
        lambda: _image(kube, namespace, "web"),
        lambda current: current == f"{image}:{PUSHED}",
        what=f"Deployment web to run {image}:{PUSHED}",
        timeout=90,
    )
    assert _image(kube, namespace, "other") == f"{same_name_elsewhere}:{CURRENT}"
    assert _accepted_registry_webhooks(api) > accepted_before
    updates = _updates(api, namespace)
    assert [(u["name"], u["tag"]) for u in updates] == [("web", PUSHED)]
