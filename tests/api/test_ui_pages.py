"""The web UI rendered in process: each page answers, actions go through the API's own checks.

The browser test (`tests/e2e/test_ui.py`) drives the same pages in Chromium on the real
environment; these run without one, with the fakes of `api_support`.
"""

from __future__ import annotations

import json
import re

import pytest

from api import auth
from clients.temporal import listing
from headwind import naming, watched
from headwind.models import Phase, WorkloadKind
from tests.api.api_support import LISTED, REQUEST, WEB, build, client
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
    ("query", "filters"),
    [
        pytest.param("q=web", listing.Filters(text="web"), id="search"),
        pytest.param("q=+web+", listing.Filters(text="web"), id="search trimmed"),
        pytest.param("phase=completed", listing.Filters(phase="Completed"), id="phase"),
        pytest.param(
            "namespace=team&kind=sts",
            listing.Filters(namespace="team", kind="StatefulSet"),
            id="namespace and kind",
        ),
    ],
)
async def test_filters_go_to_the_listing(query: str, filters: listing.Filters) -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(f"/?{query}", headers=HTMX)
    assert response.status_code == 200
    assert ("list", filters) in api.updates.calls
    assert ("count", filters) in api.updates.calls


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


def _pager(html: str) -> dict[str, str]:
    """The pager's links by their `rel`, as the browser would follow them."""
    links = re.findall(r'<a href="([^"]+)"[^>]*rel="(\w+)"', html)
    return {rel: href.replace("&amp;", "&") for href, rel in links}


async def test_pagination_over_many_updates_follows_cursors() -> None:
    api = build()
    api.updates.listed = [
        LISTED.model_copy(update={"request_name": f"r{i:03}", "workflow_id": f"w{i}"})
        for i in range(60)
    ]
    seen: list[str] = []
    async with client(api) as http:
        first = await http.get("/", headers=HTMX)
        assert "Page 1 of 3 · 60 updates" in first.text
        assert set(_pager(first.text)) == {"next"}
        page = first
        for number in (2, 3):
            seen += re.findall(r'<tr id="row-(r\d+)"', page.text)
            page = await http.get(_pager(page.text)["next"], headers=HTMX)
            assert f"Page {number} of 3" in page.text
        seen += re.findall(r'<tr id="row-(r\d+)"', page.text)
        links = _pager(page.text)
        back = await http.get(links["prev"], headers=HTMX)
        back_again = await http.get(_pager(back.text)["prev"], headers=HTMX)
    assert set(links) == {"first", "prev"}
    assert seen == [f"r{i:03}" for i in range(60)]
    assert "Page 2 of 3" in back.text
    assert re.findall(r'<tr id="row-(r\d+)"', back.text) == seen[25:50]
    assert "Page 1 of 3" in back_again.text
    assert set(_pager(back_again.text)) == {"next"}


# (query string, what the page says instead of rows)
BAD_PAGES = [
    pytest.param("cursor=garbage", "not one this API handed out", id="garbage cursor"),
    pytest.param("q=web%20app", "may hold only letters", id="space in the search"),
    pytest.param("q=%22x%22", "may hold only letters", id="quote in the search"),
]


@pytest.mark.parametrize(("query", "message"), BAD_PAGES)
async def test_a_bad_cursor_or_search_is_shown_and_asks_nothing(query: str, message: str) -> None:
    api = build()
    async with client(api) as http:
        page = await http.get(f"/?{query}", headers=HTMX)
    assert page.status_code == 200
    assert message in page.text
    assert api.updates.calls == []


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
    api.updates.listed = [LISTED] * 30
    async with client(api) as http:
        first = await http.get("/?namespace=team", headers=HTMX)
        second = await http.get(_pager(first.text)["next"], headers=HTMX)
    refresh = re.search(r'<div hidden hx-get="([^"]+)"', second.text)
    assert refresh is not None
    assert refresh.group(1).replace("&amp;", "&") == _pager(first.text)["next"]
    assert refresh.group(1).startswith("/?namespace=team&amp;cursor=")
