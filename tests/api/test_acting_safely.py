"""What the REST API acts on, and what it answers when Temporal or the apiserver cannot act.

- Scoping: with `HEADWIND_WATCH_NAMESPACES`, nothing outside those namespaces (403).
- Existence: a proposal or rollback for a workload (or container) that does not exist is a
  404 and starts nothing.
- Temporal's answers: unknown (404), not Pending (409), unreachable (503 with `Retry-After`),
  too slow or no worker (504, saying what was recorded).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.errors import ErrorOut
from clients.temporal import listing, operations
from headwind.annotations import UPDATE_HISTORY
from headwind.models import Phase
from tests.api.api_support import REQUEST, WEB, FakeCluster, FakeUpdates, build, client, deployment

U, W = "/api/v1/updates", "/api/v1/workloads"
PROPOSAL = {"kind": "Deployment", "namespace": "team", "name": "web", "container": "app"}
PROPOSAL["tag"] = "1.1.0"


def elsewhere(**changes: Any) -> dict[str, Any]:
    return {**PROPOSAL, "namespace": "other", **changes}


# (method, path, body, what would have reached Temporal)
OUTSIDE = [
    pytest.param("POST", U, elsewhere(), id="propose"),
    pytest.param("GET", f"{U}/other/{REQUEST}", None, id="status"),
    pytest.param("GET", f"{U}?namespace=other", None, id="list with a namespace"),
    pytest.param("POST", f"{U}/other/{REQUEST}/approve", {"approver": "me"}, id="approve"),
    pytest.param("POST", f"{U}/other/{REQUEST}/reject", {}, id="reject"),
    pytest.param("POST", f"{W}/deployment/other/web/rollback", {"container": "app"}, id="rollback"),
    pytest.param("GET", f"{W}/deployment/other/web/history", None, id="history"),
]


@pytest.mark.parametrize(("method", "path", "body"), OUTSIDE)
async def test_outside_the_watched_namespaces_is_403(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    api = build(watch_namespaces="team,ops")
    async with client(api) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 403, response.text
    assert "HEADWIND_WATCH_NAMESPACES" in ErrorOut.model_validate(response.json()).detail
    assert api.updates.calls == []


INSIDE = [
    pytest.param("POST", U, PROPOSAL, 202, id="propose"),
    pytest.param("GET", f"{U}/team/{REQUEST}", None, 200, id="status"),
    pytest.param("POST", f"{U}/team/{REQUEST}/approve", {"approver": "me"}, 200, id="approve"),
    pytest.param("POST", f"{W}/deployment/team/web/rollback", {"container": "app"}, 200,
                 id="rollback"),
    pytest.param("GET", f"{W}/deployment/team/web/history", None, 200, id="history"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "code"), INSIDE)
async def test_inside_the_watched_namespaces_is_served(
    method: str, path: str, body: dict[str, Any] | None, code: int
) -> None:
    api = build(watch_namespaces="team,ops")
    async with client(api) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == code, response.text


async def test_a_scoped_listing_without_a_namespace_lists_only_the_scope() -> None:
    api = build(watch_namespaces="team,ops")
    async with client(api) as http:
        response = await http.get(U, params={"phase": "pending", "kind": "deploy"})
    assert response.status_code == 200
    assert api.updates.calls == [
        ("list", listing.Filters(phase="Pending", kind="Deployment", namespaces=("team", "ops"))),
    ]


# (method, path, body, the refusal's detail)
ABSENT = [
    pytest.param("POST", U, {**PROPOSAL, "name": "ghost"}, "Deployment/team/ghost does not exist",
                 id="propose: no such workload"),
    pytest.param("POST", U, {**PROPOSAL, "kind": "StatefulSet"},
                 "StatefulSet/team/web does not exist", id="propose: same name, other kind"),
    pytest.param("POST", U, {**PROPOSAL, "container": "sidecar"},
                 "Deployment/team/web has no container 'sidecar'", id="propose: no such container"),
    pytest.param("POST", f"{W}/deployment/team/ghost/rollback", {"container": "app"},
                 "Deployment/team/ghost does not exist", id="rollback: no such workload"),
    pytest.param("POST", f"{W}/deployment/team/web/rollback", {"container": "sidecar"},
                 "Deployment/team/web has no container 'sidecar'", id="rollback: no container"),
    pytest.param("GET", f"{W}/deployment/team/ghost/history", None,
                 "Deployment/team/ghost does not exist", id="history: no such workload"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "detail"), ABSENT)
async def test_what_does_not_exist_is_404_and_starts_nothing(
    method: str, path: str, body: dict[str, Any] | None, detail: str
) -> None:
    api = build()
    async with client(api) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert ErrorOut.model_validate(response.json()).detail == detail
    assert api.updates.calls == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", U, PROPOSAL, id="propose"),
        pytest.param("POST", f"{W}/deployment/team/web/rollback", {"container": "app"},
                     id="rollback"),
        pytest.param("GET", f"{W}/deployment/team/web/history", None, id="history"),
    ],
)  # fmt: skip
async def test_an_apiserver_that_does_not_answer_is_503(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    api = build(cluster=FakeCluster(up=False))
    async with client(api) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "apiserver" in ErrorOut.model_validate(response.json()).detail
    assert api.updates.calls == []


async def test_history_is_read_from_the_workload() -> None:
    entry = {
        "at": "2026-01-01T00:00:00Z",
        "kind": "update",
        "container": "app",
        "image": "r.local/web:1.1",
        "previous_image": "r.local/web:1.0",
        "by": "alice",
    }
    obj = deployment()
    obj["metadata"]["annotations"][UPDATE_HISTORY] = json.dumps([entry])
    api = build(cluster=FakeCluster(objects={WEB: obj}))
    async with client(api) as http:
        response = await http.get(f"{W}/deploy/team/web/history")
    assert response.status_code == 200, response.text
    assert [h["by"] for h in response.json()] == ["alice"]


RECORDED = operations.DeadlineExceededError(
    "no worker took the approve within 30s; it is recorded and takes effect when a worker runs",
    recorded=True,
)
SLOW = operations.DeadlineExceededError("Temporal did not list update workflows within 10s")
DOWN = operations.TemporalUnavailableError("Temporal is unavailable: connection refused")
EXPIRED = operations.WrongPhaseError("cannot approve: the update is Expired, not Pending")
STARTED = operations.DeadlineExceededError("the rollback started as workflow r", recorded=True)

# (failure, method, path, body, status, a phrase the detail must hold)
TEMPORAL = [
    pytest.param(RECORDED, "POST", f"{U}/team/{REQUEST}/approve", {"approver": "me"}, 504,
                 "recorded and takes effect", id="approve, no worker: 504, recorded"),
    pytest.param(RECORDED, "POST", f"{U}/team/{REQUEST}/reject", {}, 504,
                 "recorded and takes effect", id="reject, no worker: 504, recorded"),
    pytest.param(DOWN, "POST", f"{U}/team/{REQUEST}/approve", {}, 503, "unavailable",
                 id="approve, Temporal down: 503"),
    pytest.param(EXPIRED, "POST", f"{U}/team/{REQUEST}/approve", {}, 409, "Expired",
                 id="approve, expired: 409"),
    pytest.param(SLOW, "GET", U, None, 504, "within 10s", id="list, Temporal slow: 504"),
    pytest.param(DOWN, "GET", f"{U}/team/{REQUEST}", None, 503, "unavailable",
                 id="status, Temporal down: 503"),
    pytest.param(DOWN, "POST", U, PROPOSAL, 503, "unavailable", id="propose, Temporal down: 503"),
    pytest.param(STARTED, "POST", f"{W}/deployment/team/web/rollback", {"container": "app"}, 504,
                 "rollback started", id="rollback, no worker: 504, started"),
]  # fmt: skip


@pytest.mark.parametrize(("failure", "method", "path", "body", "code", "phrase"), TEMPORAL)
async def test_temporal_trouble_is_answered_with_what_happened(
    failure: Exception,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    code: int,
    phrase: str,
) -> None:
    api = build(updates=FakeUpdates(failure=failure))
    async with client(api) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == code, response.text
    assert phrase in ErrorOut.model_validate(response.json()).detail
    if code == 503:
        assert response.headers["retry-after"] == "5"


async def test_an_unknown_request_is_404() -> None:
    api = build()
    async with client(api) as http:
        status = await http.get(f"{U}/team/nothing")
        approve = await http.post(f"{U}/team/nothing/approve")
    assert (status.status_code, approve.status_code) == (404, 404)


async def test_an_approval_is_audited_with_its_outcome(caplog: pytest.LogCaptureFixture) -> None:
    api = build(updates=FakeUpdates(failure=RECORDED))
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            await http.post(f"{U}/team/{REQUEST}/approve", json={"approver": "alice"})
    [line] = [r.getMessage() for r in caplog.records if r.name == "headwind.audit"]
    assert '"result": "recorded"' in line
    assert '"label": "alice"' in line


async def test_a_completed_approval_answers_the_final_status() -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(f"{U}/team/{REQUEST}/approve", json={"approver": "alice"})
    assert response.status_code == 200
    assert (response.json()["phase"], response.json()["approved_by"]) == (
        Phase.COMPLETED.value,
        "alice",
    )
