"""The local registries: pushes land, are listed, and their notifications arrive.

Images are pushed with `headwind dev push` (the project's own OCI pusher) and read back over
the Distribution API with httpx. The notification recorder is the registries' second
endpoint and checks the same bearer token Headwind's `/webhook/registry` does, so an event
recorded there proves the registry is configured the way Headwind expects.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e.conftest import headwind_cli
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def _push(reference: str, *extra: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [*headwind_cli(), "dev", "push", reference, *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _repository() -> str:
    return f"e2e/app-{uuid.uuid4().hex[:8]}"


def _recorded(dev_env: DevStatus, source: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{dev_env.recorder_url}/notifications/{source}", timeout=5)
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_pushed_image_is_listed_and_its_notification_arrives(dev_env: DevStatus) -> None:
    repository = _repository()
    digest = _push(f"{dev_env.registry}/{repository}:1.0.0")

    tags = httpx.get(f"http://{dev_env.registry}/v2/{repository}/tags/list", timeout=5).json()
    assert tags == {"name": repository, "tags": ["1.0.0"]}

    def pushes() -> list[dict[str, Any]]:
        return [
            event
            for event in _recorded(dev_env, "registry")
            if event.get("action") == "push"
            and event["target"].get("repository") == repository
            and event["target"].get("tag") == "1.0.0"
        ]

    events = wait_for(pushes, bool, what=f"the push notification of {repository}:1.0.0", timeout=30)
    assert events[0]["target"]["digest"] == digest
    assert events[0]["request"]["host"] == dev_env.registry
    assert dev_env.registry_notify_urls[0] == f"{dev_env.api_url}/webhook/registry"


def test_multi_platform_push_yields_an_image_index(dev_env: DevStatus) -> None:
    repository = _repository()
    digest = _push(
        f"{dev_env.registry}/{repository}:2.0.0", "--platforms", "linux/amd64,linux/arm64"
    )

    response = httpx.get(
        f"http://{dev_env.registry}/v2/{repository}/manifests/2.0.0",
        headers={"Accept": ", ".join(INDEX_TYPES)},
        timeout=5,
    )
    response.raise_for_status()
    index = response.json()
    assert response.headers["Docker-Content-Digest"] == digest
    assert index["mediaType"] in INDEX_TYPES
    platforms = {(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]}
    assert platforms == {("linux", "amd64"), ("linux", "arm64")}


def test_private_registry_requires_its_credentials(dev_env: DevStatus) -> None:
    base = f"http://{dev_env.registry_private}/v2/"
    auth = (dev_env.registry_private_username, dev_env.registry_private_password)
    anonymous = httpx.get(base, timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")

    repository = _repository()
    _push(
        f"{dev_env.registry_private}/{repository}:1.0.0",
        "--username",
        auth[0],
        "--password",
        auth[1],
    )

    tags_url = f"{base}{repository}/tags/list"
    assert httpx.get(tags_url, timeout=5).status_code == 401
    assert httpx.get(tags_url, auth=auth, timeout=5).json()["tags"] == ["1.0.0"]
