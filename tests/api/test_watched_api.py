"""`GET /api/v1/workloads`: the watched workloads, read from the index and never the cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.deps import Services
from api.routes import workloads
from headwind.index import ImageIndex
from headwind.models import WorkloadKind
from headwind.settings import Settings
from worker.detecting.indexing import IndexUpdater
from worker.detecting.problems import ProblemReporter

H = "headwind.sh/"


def _deployment(name: str, image: str, annotations: dict[str, str], ns: str = "team") -> Any:
    return {
        "metadata": {"name": name, "namespace": ns, "uid": name, "annotations": annotations},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
    }


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    index = ImageIndex()
    reporter = ProblemReporter(lambda _: True, is_leader=lambda: False)
    deployments = IndexUpdater(WorkloadKind.DEPLOYMENT, index, reporter)
    deployments.listed(
        [
            _deployment("web", "nginx:1.25", {H + "policy": "minor", H + "images": "side"}),
            _deployment("api", "registry.example.com/nginx:1.25", {H + "policy": "patch"}),
            _deployment("typo", "redis:7", {H + "policy": "sometimes"}, ns="other"),
            _deployment("plain", "nginx:1.25", {}),
        ]
    )
    index.mark_synced()
    app = FastAPI()
    app.include_router(workloads.router)
    # No Temporal and no Kubernetes: the listing must not need either.
    app.state.services = Services(
        settings=Settings(), temporal=cast(Client, None), kube=None, index=index
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://headwind") as client:
        yield client


def _names(body: dict[str, Any]) -> list[str]:
    return [f"{w['namespace']}/{w['name']}" for w in body["workloads"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["other/typo", "team/api", "team/web"]),
        ("?namespace=team", ["team/api", "team/web"]),
        ("?kind=deploy", ["other/typo", "team/api", "team/web"]),
        ("?kind=cronjobs", []),
        ("?image=nginx", ["team/web"]),
        ("?image=docker.io/library/nginx:9", ["team/web"]),
        ("?image=registry.example.com/nginx", ["team/api"]),
        ("?repository=docker.io/library/redis", ["other/typo"]),
    ],
    ids=[
        "all",
        "by-namespace",
        "by-kind-alias",
        "other-kind",
        "by-image-short-name",
        "by-image-any-tag",
        "same-name-other-registry",
        "by-index-key",
    ],
)
async def test_listing(client: httpx.AsyncClient, query: str, expected: list[str]) -> None:
    response = await client.get("/api/v1/workloads" + query)
    assert response.status_code == 200
    body = response.json()
    assert _names(body) == expected
    assert body["count"] == len(expected)
    assert body["synced"] is True


async def test_a_workload_shows_containers_policy_and_problems(client: httpx.AsyncClient) -> None:
    web = (await client.get("/api/v1/workloads/deployment/team/web")).json()
    assert web["policy"] == "minor"
    assert web["images"] == ["side"]
    assert web["containers"] == [
        {
            "name": "web",
            "image": "nginx:1.25",
            "repository": "docker.io/library/nginx",
            "tag": "1.25",
            "digest": None,
            "tracked": False,
            "note": None,
        }
    ]
    typo = (await client.get("/api/v1/workloads/Deployment/other/typo")).json()
    assert typo["policy"] == "none"
    assert [p["key"] for p in typo["problems"]] == [H + "policy"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/workloads/deployment/team/plain", 404),
        ("/api/v1/workloads/widget/team/web", 422),
        ("/api/v1/workloads?kind=widget", 422),
        ("/api/v1/workloads?image=Not%20An%20Image", 422),
    ],
    ids=["unannotated", "unknown-kind", "unknown-kind-filter", "bad-image"],
)
async def test_errors(client: httpx.AsyncClient, path: str, status: int) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert response.json()["detail"]
