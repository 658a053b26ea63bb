"""The poll activity on a fake registry (httpx.MockTransport) and a fake cluster.

What it asks the registry (paginated tag lists, HEAD for digests), what it proposes, what it
records, and how registry failures become Temporal retry decisions.
"""

import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.polling import PollingActivities
from clients import charts, oci
from headwind import watched
from headwind.index import ImageIndex
from headwind.models import Proposal, WorkloadKind
from headwind.polling import PollRequest, PollResult
from metrics import registries as metrics
from tests.clients.oci_support import json_response
from tests.clients.polling_support import FakeKube, docker_config_secret

REGISTRY = "registry.example.com"
REPO = f"{REGISTRY}/team/app"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
MANIFEST = "application/vnd.oci.image.manifest.v1+json"

Handler = Callable[[httpx.Request], httpx.Response]


def deployment(name: str, image: str, **values: str) -> dict[str, Any]:
    written = {"headwind.sh/event-source": "polling", "headwind.sh/policy": "minor"}
    written |= {f"headwind.sh/{k.replace('_', '-')}": v for k, v in values.items()}
    return {
        "metadata": {
            "name": name,
            "namespace": "apps",
            "resourceVersion": "42",
            "annotations": written,
        },
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}},
    }


def path_of(name: str) -> str:
    return f"/apis/apps/v1/namespaces/apps/deployments/{name}"


@dataclass
class Rig:
    """The activity with its fakes, and what it did to them."""

    activities: PollingActivities
    index: ImageIndex
    kube: FakeKube
    requests: list[httpx.Request]
    proposed: list[Proposal] = field(default_factory=list)

    def add(self, obj: dict[str, Any]) -> None:
        entry = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
        assert entry is not None
        self.index.put(entry)
        self.kube.objects[path_of(obj["metadata"]["name"])] = obj

    async def poll(self, repository: str = REPO) -> PollResult:
        result: PollResult = await ActivityEnvironment().run(
            self.activities.poll_repository, PollRequest(repository=repository)
        )
        return result

    def sent(self) -> list[str]:
        return [
            f"{r.method} {r.url.path}?{r.url.query.decode()}".rstrip("?") for r in self.requests
        ]


@asynccontextmanager
async def rig(handler: Handler, *, synced: bool = True) -> AsyncIterator[Rig]:
    requests: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    async def no_sleep(seconds: float) -> None:
        return None

    async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as http:
        registry = oci.RegistryClient(
            http,
            oci.OciSettings(max_retries=1),
            on_response=metrics.count_registry_response,
            sleep=no_sleep,
            rng=random.Random(1),
        )
        index, kube = ImageIndex(), FakeKube()
        proposed: list[Proposal] = []

        async def propose(proposal: Proposal) -> str:
            proposed.append(proposal)
            return f"headwind-update/{proposal.workload.name}/{proposal.tag}"

        activities = PollingActivities(
            index,
            kube,
            registry,
            charts.HelmVersions(kube, http, registry),
            synced=lambda: synced,
            propose=propose,
        )
        yield Rig(activities, index, kube, requests, proposed)


def tags_pages(pages: list[list[str]]) -> Handler:
    """A registry that paginates its tag list with `Link` headers, and serves digests."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/team/app/tags/list":
            page = int(request.url.params.get("page", "0"))
            headers = {}
            if page + 1 < len(pages):
                headers["Link"] = f'</v2/team/app/tags/list?page={page + 1}>; rel="next"'
            return json_response(200, {"name": "team/app", "tags": pages[page]}, headers)
        if request.method == "HEAD" and request.url.path.startswith("/v2/team/app/manifests/"):
            return httpx.Response(
                200,
                headers={
                    "Docker-Content-Digest": NEW,
                    "Content-Type": MANIFEST,
                    "Content-Length": "123",
                },
            )
        return httpx.Response(404)

    return handler


def value(counter: Any, **labels: str) -> float:
    metric = counter.labels(**labels) if labels else counter
    return float(metric._value.get())


async def test_a_scan_follows_pagination_and_proposes_each_subscribers_choice() -> None:
    async with rig(tags_pages([["1.0.0", "1.0.1"], ["1.1.0", "2.0.0"], ["latest"]])) as r:
        r.add(deployment("patchy", f"{REPO}:1.0.0", policy="patch"))
        r.add(deployment("minor", f"{REPO}:1.0.0", policy="minor"))
        r.add(deployment("hooked", f"{REPO}:1.0.0", event_source="webhook"))
        cycles = value(metrics.POLLING_CYCLES)
        checked = value(metrics.POLLING_IMAGES_CHECKED)
        found = value(metrics.POLLING_NEW_TAGS)

        result = await r.poll()

    assert [(p.workload.name, p.tag, p.source) for p in r.proposed] == [
        ("minor", "1.1.0", "polling"),
        ("patchy", "1.0.1", "polling"),
    ]
    assert r.sent() == [
        "GET /v2/team/app/tags/list",
        "GET /v2/team/app/tags/list?page=1",
        "GET /v2/team/app/tags/list?page=2",
    ]
    assert (result.subscribers, result.tags, len(result.proposed)) == (2, 5, 2)
    assert value(metrics.POLLING_CYCLES) == cycles + 1
    assert value(metrics.POLLING_IMAGES_CHECKED) == checked + 2
    assert value(metrics.POLLING_NEW_TAGS) == found + 2
    assert value(metrics.REGISTRY_REQUESTS, registry=REGISTRY, status="200") >= 3


async def test_force_asks_for_the_digest_with_head_and_proposes_a_new_build() -> None:
    async with rig(tags_pages([["1.0.0", "1.1.0"]])) as r:
        r.add(deployment("web", f"{REPO}:1.0.0@{OLD}", policy="force"))
        await r.poll()
    assert r.sent() == ["GET /v2/team/app/tags/list", "HEAD /v2/team/app/manifests/1.0.0"]
    assert [(p.tag, p.digest) for p in r.proposed] == [("1.0.0", NEW)]


async def test_force_records_the_first_build_it_sees_instead_of_rolling_out() -> None:
    async with rig(tags_pages([["latest"]])) as r:
        r.add(deployment("web", f"{REPO}:latest", policy="force"))
        result = await r.poll()
    assert r.proposed == []
    assert result.baselines == 1
    ((path, ops),) = r.kube.patches
    assert path == path_of("web")
    assert ops[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "42"}
    (written,) = [op["value"] for op in ops if op["path"].endswith("headwind.sh~1digests")]
    assert json.loads(written) == {"main": {"tag": "latest", "digest": NEW}}


async def test_a_baseline_is_not_written_when_the_workload_changed_meanwhile() -> None:
    async with rig(tags_pages([["latest"]])) as r:
        r.add(deployment("web", f"{REPO}:latest", policy="force"))
        r.kube.objects[path_of("web")] = deployment("web", f"{REPO}:other", policy="force")
        result = await r.poll()
    assert (result.baselines, r.kube.patches) == (0, [])


async def test_credentials_come_from_the_workloads_pull_secret() -> None:
    def private(request: httpx.Request) -> httpx.Response:
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="private"'})
        return json_response(200, {"name": "team/app", "tags": ["1.0.0", "1.1.0"]})

    async with rig(private) as r:
        obj = deployment("web", f"{REPO}:1.0.0")
        obj["spec"]["template"]["spec"]["imagePullSecrets"] = [{"name": "pull"}]
        r.add(obj)
        r.kube.objects["/api/v1/namespaces/apps/secrets/pull"] = docker_config_secret(
            REGISTRY, "robot", "t0ken"
        )
        await r.poll()
    assert [p.tag for p in r.proposed] == ["1.1.0"]
    assert r.requests[-1].headers["Authorization"].startswith("Basic ")


async def test_a_long_retry_after_becomes_the_next_retry_delay() -> None:
    def limited(request: httpx.Request) -> httpx.Response:
        return json_response(
            429, {"errors": [{"code": "TOOMANYREQUESTS"}]}, {"Retry-After": "3600"}
        )

    async with rig(limited) as r:
        r.add(deployment("web", f"{REPO}:1.0.0"))
        errors = value(metrics.POLLING_ERRORS, registry=REGISTRY)
        with pytest.raises(ApplicationError) as caught:
            await r.poll()
    assert caught.value.type == "RateLimited"
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(hours=1)
    assert len(r.requests) == 1  # not retried inside the activity: Temporal waits the hour
    assert value(metrics.POLLING_ERRORS, registry=REGISTRY) == errors + 1


async def test_bad_credentials_are_not_retried() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="private"'})

    async with rig(refusing) as r:
        r.add(deployment("web", f"{REPO}:1.0.0"))
        with pytest.raises(ApplicationError) as caught:
            await r.poll()
    assert caught.value.type == "AuthenticationError"
    assert caught.value.non_retryable


async def test_an_unsynced_index_is_a_retryable_error_not_an_empty_scan() -> None:
    async with rig(tags_pages([["1.0.0"]]), synced=False) as r:
        with pytest.raises(ApplicationError) as caught:
            await r.poll()
    assert caught.value.type == "IndexNotSynced"
    assert not caught.value.non_retryable
    assert r.requests == []


async def test_a_repository_nobody_polls_is_not_asked_anything() -> None:
    async with rig(tags_pages([["1.0.0"]])) as r:
        r.add(deployment("web", f"{REPO}:1.0.0", event_source="webhook"))
        result = await r.poll()
    assert (result.subscribers, r.requests) == (0, [])


async def test_a_helm_release_is_offered_the_newest_allowed_chart_version() -> None:
    index_yaml = (
        "entries:\n  podinfo:\n    - version: 6.0.1\n    - version: 6.1.0\n    - version: 7.0.0\n"
    )

    def helm_repo(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "http://charts.example.com/index.yaml"
        return httpx.Response(200, text=index_yaml)

    release = {
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "annotations": {"headwind.sh/policy": "minor", "headwind.sh/event-source": "both"},
        },
        "spec": {
            "chart": {
                "spec": {
                    "chart": "podinfo",
                    "version": "6.0.0",
                    "sourceRef": {"kind": "HelmRepository", "name": "charts"},
                }
            }
        },
    }
    async with rig(helm_repo) as r:
        entry = watched.from_object(WorkloadKind.HELMRELEASE, release)
        assert entry is not None
        r.index.put(entry)
        r.kube.objects[
            "/apis/source.toolkit.fluxcd.io/v1/namespaces/apps/helmrepositories/charts"
        ] = {"spec": {"url": "http://charts.example.com"}}
        scans = value(metrics.HELM_SCANS)
        result = await r.poll("helm:apps/charts/podinfo")
    assert [(p.container, p.tag, p.source) for p in r.proposed] == [("chart", "6.1.0", "helm")]
    assert result.tags == 3
    assert value(metrics.HELM_SCANS) == scans + 1


async def test_a_missing_helm_repository_fails_the_scan_for_good() -> None:
    release = {
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "annotations": {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"},
        },
        "spec": {
            "chart": {"spec": {"chart": "podinfo", "version": "6.0.0", "sourceRef": {"name": "x"}}}
        },
    }
    async with rig(lambda request: httpx.Response(500)) as r:
        entry = watched.from_object(WorkloadKind.HELMRELEASE, release)
        assert entry is not None
        r.index.put(entry)
        errors = value(metrics.HELM_ERRORS)
        with pytest.raises(ApplicationError) as caught:
            await r.poll("helm:apps/x/podinfo")
    assert caught.value.non_retryable
    assert value(metrics.HELM_ERRORS) == errors + 1
