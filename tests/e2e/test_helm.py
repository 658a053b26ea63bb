"""Helm chart discovery end to end: a newer chart version is published → the HelmRelease's
`spec.chart.spec.version` is patched.

The environment serves one Helm HTTP repository directory twice (anonymously and behind basic
auth) and has an OCI registry; the tests publish minimal charts as `headwind dev
publish-chart` does, point a Flux `HelmRepository` at them and let polling do the rest (no
Flux controllers run: Headwind reads the HelmRepository's spec, not its status).
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev import charts, uploading
from headwind_dev.status import DevStatus

from tests.e2e.conftest import Kube
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

ANNOTATIONS = {
    "headwind.sh/policy": "minor",
    "headwind.sh/event-source": "polling",
    "headwind.sh/polling-interval": "5s",
    "headwind.sh/require-approval": "false",
    "headwind.sh/min-update-interval": "0",
}


def _chart_name() -> str:
    return f"hw-{uuid.uuid4().hex[:8]}"


def _publish_http(dev_env: DevStatus, name: str, version: str) -> None:
    archive = charts.build_chart(name, version)
    charts.publish_to_directory(
        Path(dev_env.helm_repo_dir), archive, charts.chart_metadata(name, version)
    )


def _publish_oci(registry: str, path: str, name: str, version: str) -> None:
    async def push() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            await charts.push_chart_oci(
                uploading.RegistryPusher(http),
                registry,
                f"{path}/{name}",
                charts.build_chart(name, version),
                charts.chart_metadata(name, version),
            )

    asyncio.run(push())


def _helm_repository(kube: Kube, namespace: str, spec: dict[str, Any]) -> None:
    kube.custom.create_namespaced_custom_object(
        "source.toolkit.fluxcd.io",
        "v1",
        namespace,
        "helmrepositories",
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmRepository",
            "metadata": {"name": "charts"},
            "spec": {"interval": "10m", **spec},
        },
    )


def _helm_release(kube: Kube, namespace: str, chart: str, version: str) -> None:
    kube.custom.create_namespaced_custom_object(
        "helm.toolkit.fluxcd.io",
        "v2",
        namespace,
        "helmreleases",
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "web", "annotations": ANNOTATIONS},
            "spec": {
                "interval": "10m",
                "chart": {
                    "spec": {
                        "chart": chart,
                        "version": version,
                        "sourceRef": {"kind": "HelmRepository", "name": "charts"},
                    }
                },
            },
        },
    )


def _version(kube: Kube, namespace: str) -> str:
    release = kube.custom.get_namespaced_custom_object(
        "helm.toolkit.fluxcd.io", "v2", namespace, "helmreleases", "web"
    )
    return str(release["spec"]["chart"]["spec"]["version"])


def _wait_for_version(kube: Kube, namespace: str, version: str) -> None:
    wait_for(
        lambda: _version(kube, namespace),
        lambda current: current == version,
        what=f"the HelmRelease to ask for chart version {version}",
        timeout=30,
    )


@pytest.mark.parametrize("access", ["anonymous", "basic-auth"])
def test_an_http_repository_publishes_a_newer_chart_and_the_release_follows(
    dev_env: DevStatus, kube: Kube, namespace: str, access: str
) -> None:
    chart = _chart_name()
    _publish_http(dev_env, chart, "1.0.0")
    if access == "anonymous":
        _helm_repository(kube, namespace, {"url": dev_env.helm_repo_url})
    else:
        kube.core.create_namespaced_secret(
            namespace,
            {
                "metadata": {"name": "helm-auth"},
                "data": {
                    "username": base64.b64encode(dev_env.helm_repo_username.encode()).decode(),
                    "password": base64.b64encode(dev_env.helm_repo_password.encode()).decode(),
                },
            },
        )
        _helm_repository(
            kube,
            namespace,
            {"url": dev_env.helm_repo_private_url, "secretRef": {"name": "helm-auth"}},
        )
    _helm_release(kube, namespace, chart, "1.0.0")

    _publish_http(dev_env, chart, "1.1.0")
    _publish_http(dev_env, chart, "2.0.0")  # another major: not for policy minor
    _wait_for_version(kube, namespace, "1.1.0")


def test_an_oci_repository_publishes_a_newer_chart_and_the_release_follows(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    chart, path = _chart_name(), f"charts-{uuid.uuid4().hex[:8]}"
    _publish_oci(dev_env.registry, path, chart, "1.0.0")
    _helm_repository(kube, namespace, {"type": "oci", "url": f"oci://{dev_env.registry}/{path}"})
    _helm_release(kube, namespace, chart, "1.0.0")

    # `helm push` stores `+` as `_` in the tag; the release must get the version back.
    _publish_oci(dev_env.registry, path, chart, "1.1.0+build.7")
    _wait_for_version(kube, namespace, "1.1.0+build.7")
