"""The web UI rendered in process: each page answers, actions go through the API's own checks.

The browser test (`tests/e2e/test_ui.py`) drives the same pages in Chromium on the real
environment; these run without one, with the fakes of `api_support`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api import auth
from headwind import naming, watched
from headwind.models import Phase, WorkloadKind
from tests.api.api_support import REQUEST, WEB, build, client
from tests.api.test_auth_modes import PATCHER, FakeReviewer

HTMX = {"HX-Request": "true"}

PAGES = [
    pytest.param("/", "Updates", id="updates"),
    pytest.param(f"/updates/team/{REQUEST}", "Timeline", id="update-detail"),
    pytest.param("/workloads", "Workloads", id="workloads"),
    pytest.param("/observability", "Observability", id="observability"),
    pytest.param("/signin", "Sign in", id="signin"),
]


@pytest.mark.parametrize(("path", "heading"), PAGES)
async def test_every_page_renders(path: str, heading: str) -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text
    assert heading in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_the_updates_page_lists_counts_and_offers_actions_on_pending() -> None:
    api = build()
    async with client(api) as http:
        response = await http.get("/")
    page = response.text
    assert "Pending 1" in page
    assert f"/ui/updates/team/{REQUEST}/approve" in page
    assert "hx-confirm" in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        pytest.param("q=web", True, id="search-workload"),
        pytest.param("q=r.local", True, id="search-image"),
        pytest.param("q=nothing-like-it", False, id="search-miss"),
        pytest.param("phase=Completed", False, id="phase-filter"),
    ],
)
async def test_filters(query: str, shown: bool) -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(f"/?{query}", headers=HTMX)
    assert response.status_code == 200
    assert (f"row-{REQUEST}" in response.text) is shown


async def test_a_bad_filter_is_422() -> None:
    api = build()
    async with client(api) as http:
        response = await http.get("/?namespace=Not_A_Namespace")
    assert response.status_code == 422


async def test_approve_from_the_ui_is_audited_as_the_header_user(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = build(ui_auth_mode="simple")
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            response = await http.post(
                f"/ui/updates/team/{REQUEST}/approve", headers={**HTMX, "X-User": "alice"}
            )
    assert response.status_code == 200
    assert "Completed by alice" in response.text
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "headwind.audit"]
    assert (line["user"], line["action"], line["result"]) == ("alice", "approve", "Completed")


async def test_reject_from_the_ui_records_the_reason() -> None:
    api = build(ui_auth_mode="simple")
    async with client(api) as http:
        response = await http.post(
            f"/ui/updates/team/{REQUEST}/reject",
            headers={**HTMX, "X-User": "alice"},
            data={"reason": "breaks checkout"},
        )
    assert "Rejected by alice" in response.text
    [(_, rejection)] = [c for c in api.updates.calls if c[0] == "reject"]
    assert (rejection.approver, rejection.reason) == ("alice", "breaks checkout")


async def test_a_cross_site_post_is_refused() -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(f"/ui/updates/team/{REQUEST}/approve")
    assert response.status_code == 403
    assert api.updates.acted() == []


@pytest.mark.parametrize(
    ("mode", "code"),
    [pytest.param("simple", 401, id="simple-page"), pytest.param("token", 303, id="token-signin")],
)
async def test_an_unknown_visitor(mode: str, code: int) -> None:
    api = build(ui_auth_mode=mode)
    async with client(api) as http:
        response = await http.get("/workloads")
    assert response.status_code == code
    if code == 303:
        assert response.headers["location"] == "/signin?next=%2Fworkloads"


async def test_token_sign_in_sets_an_http_only_cookie_and_shows_the_user() -> None:
    api = build(ui_auth_mode="token")
    reviewer = FakeReviewer()
    api.app.dependency_overrides[auth.get_reviewer] = lambda: reviewer
    async with client(api) as http:
        refused = await http.post("/signin", data={"token": "forged"})
        signed = await http.post("/signin", data={"token": "patcher-token", "next": "//evil"})
        page = await http.get("/")
    assert refused.status_code == 401
    assert (signed.status_code, signed.headers["location"]) == (303, "/")
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert PATCHER in page.text


async def test_actions_a_reader_may_not_take_are_not_offered() -> None:
    api = build(ui_auth_mode="token")
    reviewer = FakeReviewer()
    api.app.dependency_overrides[auth.get_reviewer] = lambda: reviewer
    async with client(api) as http:
        http.cookies.set(auth.TOKEN_COOKIE, "reader-token")
        page = await http.get("/")
        detail = await http.get(f"/updates/team/{REQUEST}")
    assert f"row-{REQUEST}" in page.text
    assert "/approve" not in page.text
    assert "/approve" not in detail.text


async def test_pagination_over_many_updates() -> None:
    api = build()
    summary = (
        await api.updates.list_updates(namespace=None, phase=None, kind=None, namespaces=())
    )[0]
    many = [
        summary.model_copy(update={"request_name": f"r{i:03}", "workflow_id": f"w{i}"})
        for i in range(60)
    ]

    async def listing(**_: Any) -> Any:
        return list(many)

    api.updates.list_updates = listing  # type: ignore[method-assign]
    async with client(api) as http:
        first = await http.get("/", headers=HTMX)
        last = await http.get("/?page=3", headers=HTMX)
        beyond = await http.get("/?page=9", headers=HTMX)
    assert "Page 1 of 3 · 60 updates" in first.text
    assert first.text.count('<tr id="row-') == 25
    assert last.text.count('<tr id="row-') == 10
    assert "Page 3 of 3" in beyond.text


async def test_the_update_page_links_to_temporal() -> None:
    api = build(temporal_ui_url="http://temporal.example:8233")
    async with client(api) as http:
        page = await http.get(f"/updates/team/{REQUEST}")
    workflow = naming.update_workflow_id("team", REQUEST).replace("/", "%2F")
    assert f"http://temporal.example:8233/namespaces/default/workflows/{workflow}" in page.text
    assert Phase.PENDING.value in page.text


async def test_the_observability_page_reads_live_metrics() -> None:
    api = build()
    async with client(api) as http:
        page = await http.get("/observability")
    assert page.text.count('data-testid="headline"') == 6
    assert "headwind_" in page.text


async def test_the_workload_page_offers_rollback_from_history() -> None:
    history = json.dumps(
        [
            {
                "container": "app",
                "image": "r.local/web:1.1",
                "previousImage": "r.local/web:1.0",
                "at": "2026-01-01T00:00:00Z",
                "kind": "update",
                "by": "alice",
            }
        ]
    )
    obj = {
        "metadata": {
            "name": "web",
            "namespace": "team",
            "uid": "u",
            "annotations": {"headwind.sh/policy": "minor", "headwind.sh/update-history": history},
        },
        "spec": {
            "template": {"spec": {"containers": [{"name": "app", "image": "r.local/web:1.1"}]}}
        },
    }
    api = build()
    api.cluster.objects[WEB] = obj
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    api.index.put(found)
    async with client(api) as http:
        page = await http.get("/workloads/deployment/team/web")
        rolled = await http.post(
            "/ui/workloads/deployment/team/web/rollback", headers=HTMX, data={"container": "app"}
        )
    assert page.status_code == 200, page.text
    assert "Roll back" in page.text
    assert "/ui/workloads/deployment/team/web/explain" in page.text
    assert "rolled back to r.local/web:1.0" in rolled.text
    assert api.updates.acted() == ["rollback"]


async def test_the_refresh_keeps_the_filters_and_the_page() -> None:
    api = build()
    async with client(api) as http:
        response = await http.get("/?namespace=team&page=1", headers=HTMX)
    assert 'hx-get="/?namespace=team&amp;sort=started&amp;page=1"' in response.text
