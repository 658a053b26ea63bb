"""Chart versions from a HelmRepository: `index.yaml` parsing, HTTP with basic auth, OCI tags."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from clients import charts, oci
from tests.clients.oci_support import json_response
from tests.clients.polling_support import FakeKube, basic_auth_secret, docker_config_secret

INDEX = """\
apiVersion: v1
entries:
  podinfo:
    - version: 6.1.0
      urls: [podinfo-6.1.0.tgz]
    - version: 6.0.0+build.7
      urls: [podinfo-6.0.0+build.7.tgz]
    - version: 6.0.0
      urls: [podinfo-6.0.0.tgz]
  redis:
    - version: 17.0.0
generated: "2025-01-02T03:04:05Z"
"""


@pytest.mark.parametrize(
    ("index", "chart", "expected"),
    [
        pytest.param(
            INDEX, "podinfo", ["6.1.0", "6.0.0+build.7", "6.0.0"], id="versions-of-one-chart"
        ),
        pytest.param(INDEX, "redis", ["17.0.0"], id="another-chart"),
        pytest.param(INDEX, "absent", [], id="chart-not-in-the-index"),
        pytest.param("apiVersion: v1\nentries: {}\n", "podinfo", [], id="empty-index"),
        pytest.param("apiVersion: v1\n", "podinfo", [], id="no-entries"),
        pytest.param(
            "entries:\n  app:\n    - version: 1.0\n    - {}\n    - version: 1.0\n",
            "app",
            ["1.0"],
            id="numbers-are-text-and-duplicates-and-blanks-dropped",
        ),
    ],
)
def test_chart_versions(index: str, chart: str, expected: list[str]) -> None:
    assert charts.chart_versions(index, chart) == expected


@pytest.mark.parametrize(
    "index",
    [
        pytest.param("entries: [1, 2", id="not-yaml"),
        pytest.param("- a list", id="not-a-mapping"),
        pytest.param("entries: [a]", id="entries-not-a-mapping"),
    ],
)
def test_a_broken_index_is_a_chart_error(index: str) -> None:
    with pytest.raises(charts.ChartError):
        charts.chart_versions(index, "app")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("helm:apps/charts/podinfo", charts.ChartSource("apps", "charts", "podinfo")),
        ("helm:flux-system/bitnami/redis", charts.ChartSource("flux-system", "bitnami", "redis")),
    ],
)
def test_parse_source(key: str, expected: charts.ChartSource) -> None:
    assert charts.parse_source(key) == expected


@pytest.mark.parametrize("key", ["docker.io/library/nginx", "helm:apps/podinfo", "helm:a//c"])
def test_parse_source_refuses_other_keys(key: str) -> None:
    with pytest.raises(ValueError, match="helm:"):
        charts.parse_source(key)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"url": "https://charts.example.com"},
            charts.HelmRepository("https://charts.example.com", oci=False, secret=None),
            id="http-default-type",
        ),
        pytest.param(
            {"url": "oci://ghcr.io/org/charts", "type": "oci", "secretRef": {"name": "creds"}},
            charts.HelmRepository("oci://ghcr.io/org/charts", oci=True, secret="creds"),
            id="oci-with-secret",
        ),
    ],
)
def test_helm_repository_from_object(spec: dict[str, Any], expected: charts.HelmRepository) -> None:
    assert charts.HelmRepository.from_object({"spec": spec}) == expected


SOURCE = charts.ChartSource("apps", "charts", "podinfo")
REPO_PATH = "/apis/source.toolkit.fluxcd.io/v1/namespaces/apps/helmrepositories/charts"
SECRET_PATH = "/api/v1/namespaces/apps/secrets/creds"


async def versions(
    kube: FakeKube, handler: Any, source: charts.ChartSource = SOURCE
) -> tuple[list[str], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        response: httpx.Response = handler(request)
        return response

    async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as http:
        helm = charts.HelmVersions(kube, http, oci.RegistryClient(http, oci.OciSettings()))
        repo, secret = helm.repository(source)
        return await helm.versions(source, repo, secret), seen


async def test_http_repository_with_basic_auth_from_its_secret() -> None:
    kube = FakeKube(
        {
            REPO_PATH: {
                "spec": {"url": "https://charts.example.com/", "secretRef": {"name": "creds"}}
            },
            SECRET_PATH: basic_auth_secret("helm", "pa55"),
        }
    )

    def handler(request: httpx.Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode(b"helm:pa55").decode()
        if request.headers.get("Authorization") != expected:
            return httpx.Response(401)
        return httpx.Response(200, text=INDEX)

    found, seen = await versions(kube, handler)
    assert found == ["6.1.0", "6.0.0+build.7", "6.0.0"]
    assert [str(r.url) for r in seen] == ["https://charts.example.com/index.yaml"]


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        pytest.param(401, False, id="unauthorized-is-final"),
        pytest.param(404, False, id="not-found-is-final"),
        pytest.param(503, True, id="server-error-is-retried"),
        pytest.param(429, True, id="rate-limit-is-retried"),
    ],
)
async def test_http_repository_errors(status: int, retryable: bool) -> None:
    kube = FakeKube({REPO_PATH: {"spec": {"url": "https://charts.example.com"}}})
    with pytest.raises(charts.ChartError, match=f"HTTP {status}") as caught:
        await versions(kube, lambda request: httpx.Response(status))
    assert caught.value.retryable is retryable


async def test_missing_helm_repository() -> None:
    with pytest.raises(charts.ChartError, match="does not exist"):
        await versions(FakeKube(), lambda request: httpx.Response(200))


async def test_oci_repository_lists_tags_and_reads_underscores_as_plus() -> None:
    kube = FakeKube(
        {
            REPO_PATH: {
                "spec": {
                    "type": "oci",
                    "url": "oci://registry.example.com/charts",
                    "secretRef": {"name": "creds"},
                }
            },
            SECRET_PATH: docker_config_secret("registry.example.com", "robot", "t0ken"),
        }
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v2/charts/podinfo/tags/list"
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return json_response(200, {"name": "charts/podinfo", "tags": ["6.0.0", "6.0.1_build.2"]})

    found, _ = await versions(kube, handler)
    assert found == ["6.0.0", "6.0.1+build.2"]
