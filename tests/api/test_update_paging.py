"""`GET /api/v1/updates` a page at a time, and `GET /api/v1/updates/counts`.

The listing behind the route is a fake that pages through a list, but the cursors it hands out
are the real ones, so these tests see what a client sees: `Link` headers to follow, every
update once, and a refused cursor that reaches nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api import auth
from clients.temporal import listing
from headwind.models import WorkloadKind
from tests.api.api_support import LISTED, Api, build, client
from tests.api.test_auth_modes import FakeReviewer

U = "/api/v1/updates"


def _many(count: int) -> list[listing.UpdateSummary]:
    return [
        LISTED.model_copy(update={"request_name": f"r{i:04}", "workflow_id": f"team/r{i:04}"})
        for i in range(count)
    ]


def _cursor(filters: listing.Filters, token: bytes = b"25") -> str:
    stage = listing.stages(filters)[-1]
    return listing.Cursor(stage, token, filters.fingerprint()).encode()


async def _follow(http: httpx.AsyncClient, url: str) -> tuple[list[str], list[str]]:
    """Every request name listed by following `Link: rel="next"`, and the URLs followed."""
    names: list[str] = []
    followed = [url]
    while True:
        response = await http.get(url)
        assert response.status_code == 200, response.text
        names += [item["request_name"] for item in response.json()]
        following = response.links.get("next")
        if following is None:
            return names, followed
        url = following["url"]
        followed.append(url)


# (query string, how many pages a listing of 120 takes)
PAGINGS = [
    pytest.param("", 1, id="default limit: one page"),
    pytest.param("?limit=50", 3, id="limit 50: three pages"),
    pytest.param("?limit=120", 1, id="limit equal to the count"),
    pytest.param("?limit=1&namespace=team", 120, id="one at a time, filters kept"),
]


@pytest.mark.parametrize(("query", "pages"), PAGINGS)
async def test_following_next_links_lists_each_update_once(query: str, pages: int) -> None:
    api = build()
    api.updates.listed = _many(120)
    async with client(api) as http:
        names, followed = await _follow(http, U + query)
    assert names == [s.request_name for s in api.updates.listed]
    assert len(followed) == pages
    if "namespace=team" in query:
        assert all("namespace=team" in url and "limit=1" in url for url in followed)


def _altered(text: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[-1] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


PLAIN = listing.Filters()
# (query parameters, the detail's words)
BAD_CURSORS = [
    pytest.param({"cursor": "garbage"}, "not one this API handed out", id="garbage"),
    pytest.param({"cursor": "a" * 7}, "not one this API handed out", id="too short"),
    pytest.param({"cursor": "abc.def"}, "only letters, digits, - and _", id="a dot"),
    pytest.param({"cursor": "abc=="}, "only letters, digits, - and _", id="padding"),
    pytest.param(
        {"cursor": _altered(_cursor(PLAIN))}, "altered", id="one bit changed in the token"
    ),
    pytest.param({"cursor": _cursor(PLAIN)[:-4]}, "not one this API handed out", id="truncated"),
    pytest.param(
        {"cursor": _cursor(PLAIN), "namespace": "team"},
        "other filters",
        id="made for other filters",
    ),
    pytest.param(
        {"cursor": _cursor(listing.Filters(phase="Completed")), "phase": "Rejected"},
        "other filters",
        id="made for another phase",
    ),
    pytest.param({"cursor": "x" * 5000}, "at most 4096 characters", id="too long"),
]


@pytest.mark.parametrize(("params", "detail"), BAD_CURSORS)
async def test_a_bad_cursor_is_422_and_asks_temporal_nothing(
    params: dict[str, str], detail: str
) -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(U, params=params)
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
    assert api.updates.calls == []


# (query parameters, where the error is)
BAD_QUERIES = [
    pytest.param({"limit": "0"}, "limit", id="limit 0"),
    pytest.param({"limit": "1001"}, "limit", id="limit over 1000"),
    pytest.param({"q": "web app"}, "q", id="space in the search"),
    pytest.param({"q": 'a"b'}, "q", id="quote in the search"),
    pytest.param({"q": "x" * 254}, "q", id="search too long"),
]


@pytest.mark.parametrize(("params", "where"), BAD_QUERIES)
async def test_bad_paging_parameters_are_422(params: dict[str, str], where: str) -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(U, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", where]
    assert api.updates.calls == []


async def test_the_search_text_reaches_the_listing_trimmed() -> None:
    api = build()
    async with client(api) as http:
        response = await http.get(U, params={"q": " ghcr.io/org/app:1.2 "})
    assert response.status_code == 200
    assert api.updates.calls == [("list", listing.Filters(text="ghcr.io/org/app:1.2"))]


async def test_counts_per_phase() -> None:
    api = build()
    api.updates.listed = [*_many(3), LISTED.model_copy(update={"phase": "Completed"})]
    async with client(api) as http:
        response = await http.get(f"{U}/counts", params={"namespace": "team"})
    assert response.status_code == 200, response.text
    assert response.json() == {"total": 4, "phases": {"Pending": 3, "Completed": 1}}


@dataclass
class DeploymentsOnly(FakeReviewer):
    """RBAC that grants the reader `get` on Deployments in `team`, nothing else."""

    async def allowed(self, access: Any) -> tuple[bool, str]:
        self.asked.append(access)
        granted = access.namespace == "team" and access.kind is WorkloadKind.DEPLOYMENT
        return granted and access.verb == "get", ""


def _token_mode(reviewer: FakeReviewer) -> Api:
    api = build(ui_auth_mode="token")
    api.app.dependency_overrides[auth.get_reviewer] = lambda: reviewer
    return api


async def test_token_mode_confines_a_namespaced_listing_to_readable_kinds() -> None:
    api = _token_mode(DeploymentsOnly())
    headers = {"Authorization": "Bearer reader-token"}
    async with client(api) as http:
        listed = await http.get(U, params={"namespace": "team"}, headers=headers)
        counted = await http.get(f"{U}/counts", params={"namespace": "team"}, headers=headers)
        elsewhere = await http.get(U, params={"namespace": "ops"}, headers=headers)
        unscoped = await http.get(f"{U}/counts", headers=headers)
    assert listed.status_code == counted.status_code == elsewhere.status_code == 200
    readable = listing.Filters(namespace="team", kinds=("Deployment",))
    assert ("list", readable) in api.updates.calls
    assert ("count", readable) in api.updates.calls
    assert elsewhere.json() == []
    assert unscoped.status_code == 422
    assert "needs a namespace" in unscoped.json()["detail"]


async def test_token_mode_checks_a_cursor_even_where_nothing_is_readable() -> None:
    api = _token_mode(FakeReviewer())
    headers = {"Authorization": "Bearer patcher-token"}
    async with client(api) as http:
        response = await http.get(
            U, params={"namespace": "ops", "cursor": "garbage"}, headers=headers
        )
    assert response.status_code == 422
    assert api.updates.calls == []
