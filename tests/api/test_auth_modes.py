"""Who may do what, per `HEADWIND_UI_AUTH_MODE`: allowed, unauthenticated (401), forbidden (403).

The app is the real one; Temporal, the apiserver's workloads and its TokenReview /
SubjectAccessReview answers are fakes that record what reached them, so each case can say
"refused, and nothing was approved".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from api import auth
from clients.kube.reviews import Access, ReviewedUser
from tests.api.api_support import REQUEST, WEB, Api, build, client

U = "/api/v1/updates"
W = "/api/v1/workloads/deployment/team/web"
PATCHER = "system:serviceaccount:team:patcher"
READER = "system:serviceaccount:team:reader"


@dataclass
class FakeReviewer:
    """TokenReview knows two tokens; RBAC grants the patcher patch+get, the reader get."""

    tokens: dict[str, ReviewedUser] = field(
        default_factory=lambda: {
            "patcher-token": ReviewedUser(PATCHER, ("system:serviceaccounts:team",)),
            "reader-token": ReviewedUser(READER, ("system:serviceaccounts:team",)),
        }
    )
    grants: set[tuple[str, str, str]] = field(
        default_factory=lambda: {
            (PATCHER, "patch", "team"),
            (PATCHER, "get", "team"),
            (READER, "get", "team"),
        }
    )
    up: bool = True
    asked: list[Access] = field(default_factory=list)

    async def authenticate(self, token: str) -> ReviewedUser | None:
        if not self.up:
            raise ConnectionError("apiserver down")
        return self.tokens.get(token)

    async def allowed(self, access: Access) -> tuple[bool, str]:
        self.asked.append(access)
        return (access.username, access.verb, access.namespace) in self.grants, ""


def _build(mode: str, reviewer: FakeReviewer | None = None, **values: Any) -> Api:
    api = build(ui_auth_mode=mode, **values)
    fake = reviewer or FakeReviewer()
    api.app.dependency_overrides[auth.get_reviewer] = lambda: fake
    return api


APPROVALS = [
    pytest.param("none", {}, None, 200, "anonymous", id="none-anonymous"),
    pytest.param("none", {}, {"approver": "alice"}, 200, "alice", id="none-body-label"),
    pytest.param("simple", {"X-User": "alice"}, None, 200, "alice", id="simple-header"),
    pytest.param("simple", {}, None, 401, None, id="simple-without-header"),
    pytest.param("simple", {"X-User": " "}, None, 401, None, id="simple-blank-header"),
    pytest.param(
        "simple", {"X-User": "alice"}, {"approver": "mallory"}, 422, None, id="simple-body-name"
    ),
    pytest.param("proxy", {"X-Forwarded-User": "bob"}, None, 200, "bob", id="proxy-default-header"),
    pytest.param("proxy", {"X-User": "bob"}, None, 401, None, id="proxy-ignores-x-user"),
    pytest.param(
        "token", {"Authorization": "Bearer patcher-token"}, None, 200, PATCHER, id="token-patcher"
    ),
    pytest.param(
        "token", {"Authorization": "Bearer reader-token"}, None, 403, None, id="token-reader"
    ),
    pytest.param("token", {"Authorization": "Bearer forged"}, None, 401, None, id="token-forged"),
    pytest.param("token", {}, None, 401, None, id="token-missing"),
    pytest.param("token", {"X-User": PATCHER}, None, 401, None, id="token-ignores-x-user"),
    pytest.param(
        "token",
        {"Authorization": "Bearer patcher-token"},
        {"approver": "mallory"},
        422,
        None,
        id="token-body-name",
    ),
]


@pytest.mark.parametrize(("mode", "headers", "body", "code", "approver"), APPROVALS)
async def test_approve_per_mode(
    mode: str, headers: dict[str, str], body: Any, code: int, approver: str | None
) -> None:
    api = _build(mode)
    async with client(api) as http:
        response = await http.post(f"{U}/team/{REQUEST}/approve", headers=headers, json=body)
    assert response.status_code == code, response.text
    if code == 200:
        assert response.json()["approved_by"] == approver
    else:
        assert "approve" not in api.updates.acted()
        assert response.json()["detail"]


async def test_a_forbidden_approval_names_the_missing_permission() -> None:
    api = _build("token")
    async with client(api) as http:
        response = await http.post(
            f"{U}/team/{REQUEST}/approve", headers={"Authorization": "Bearer reader-token"}
        )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"{READER} may not patch deployments.apps 'web' in namespace 'team'"
    )


async def test_an_unauthenticated_token_call_is_challenged() -> None:
    api = _build("token")
    async with client(api) as http:
        response = await http.get(U)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_proxy_headers_are_configurable_and_groups_are_audited(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = _build(
        "proxy",
        ui_auth_proxy_header="X-Auth-Request-User",
        ui_auth_proxy_groups_header="X-Auth-Request-Groups",
    )
    headers = {"X-Auth-Request-User": "carol", "X-Auth-Request-Groups": "ops, sre"}
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            response = await http.post(f"{U}/team/{REQUEST}/reject", headers=headers)
    assert (response.status_code, response.json()["rejected_by"]) == (200, "carol")
    [record] = _audit(caplog)
    assert (record["user"], record["groups"], record["auth_mode"]) == (
        "carol",
        ["ops", "sre"],
        "proxy",
    )


def _audit(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "headwind.audit"]


ACTIONS = [
    pytest.param("approve", "POST", f"{U}/team/{REQUEST}/approve", None, id="approve"),
    pytest.param("reject", "POST", f"{U}/team/{REQUEST}/reject", {"reason": "no"}, id="reject"),
    pytest.param(
        "propose",
        "POST",
        U,
        {"kind": "deployment", "namespace": "team", "name": "web", "container": "app", "tag": "2"},
        id="propose",
    ),
    pytest.param("rollback", "POST", f"{W}/rollback", {"container": "app"}, id="rollback"),
]


@pytest.mark.parametrize(("action", "method", "path", "body"), ACTIONS)
@pytest.mark.parametrize(
    ("token", "result"),
    [
        pytest.param("patcher-token", None, id="allowed"),
        pytest.param("reader-token", "forbidden", id="forbidden"),
        pytest.param("forged", "unauthenticated", id="unauthenticated"),
    ],
)
async def test_every_action_is_audited_allowed_or_refused(
    caplog: pytest.LogCaptureFixture,
    action: str,
    method: str,
    path: str,
    body: Any,
    token: str,
    result: str | None,
) -> None:
    api = _build("token")
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "req-1"}
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            response = await http.request(method, path, headers=headers, json=body)
    [record] = _audit(caplog)
    assert (record["action"], record["request_id"], record["auth_mode"]) == (
        action,
        "req-1",
        "token",
    )
    if result is None:
        assert response.status_code < 300, response.text
        assert record["user"] == PATCHER
        assert record["result"] not in {"forbidden", "unauthenticated"}
        assert (record["kind"], record["namespace"], record["name"]) == (
            "Deployment",
            "team",
            "web",
        )
    else:
        assert record["result"] == result
        assert record["reason"]
        assert action not in api.updates.acted()
    assert set(record) >= {
        "time",
        "user",
        "groups",
        "auth_mode",
        "action",
        "kind",
        "namespace",
        "name",
        "container",
        "tag",
        "result",
        "reason",
        "request_id",
    }


READS = [
    pytest.param(U, id="list-updates"),
    pytest.param(f"{U}/team/{REQUEST}", id="update-status"),
    pytest.param("/api/v1/workloads", id="list-workloads"),
    pytest.param(f"{W}/history", id="history"),
]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    ("mode", "headers", "code"),
    [
        pytest.param("none", {}, 200, id="none"),
        pytest.param("simple", {"X-User": "alice"}, 200, id="simple"),
        pytest.param("simple", {}, 401, id="simple-anonymous"),
        pytest.param("proxy", {}, 401, id="proxy-anonymous"),
        pytest.param("token", {"Authorization": "Bearer reader-token"}, 200, id="token-reader"),
        pytest.param("token", {}, 401, id="token-anonymous"),
    ],
)
async def test_reads_need_an_authenticated_user(
    path: str, mode: str, headers: dict[str, str], code: int
) -> None:
    api = _build(mode)
    async with client(api) as http:
        response = await http.get(path, headers=headers)
    assert response.status_code == code, response.text


async def test_a_token_user_sees_only_what_they_may_get() -> None:
    reviewer = FakeReviewer(grants={(READER, "get", "elsewhere")})
    api = _build("token", reviewer)
    headers = {"Authorization": "Bearer reader-token"}
    async with client(api) as http:
        listing = await http.get(U, headers=headers)
        one = await http.get(f"{U}/team/{REQUEST}", headers=headers)
    assert (listing.status_code, listing.json()) == (200, [])
    assert one.status_code == 403
    assert "may not get deployments.apps 'web'" in one.json()["detail"]
    assert reviewer.asked[0] == Access(
        username=READER,
        groups=("system:serviceaccounts:team",),
        verb="get",
        kind=WEB.kind,
        namespace="team",
        name=None,
    )


async def test_an_unreachable_apiserver_is_503_not_401() -> None:
    api = _build("token", FakeReviewer(up=False))
    async with client(api) as http:
        response = await http.post(
            f"{U}/team/{REQUEST}/approve", headers={"Authorization": "Bearer patcher-token"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert api.updates.acted() == []


async def test_the_ui_cookie_carries_the_token() -> None:
    api = _build("token")
    async with client(api) as http:
        http.cookies.set(auth.TOKEN_COOKIE, "patcher-token")
        response = await http.post(f"{U}/team/{REQUEST}/approve")
    assert (response.status_code, response.json()["approved_by"]) == (200, PATCHER)


def test_none_on_a_public_address_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="HEADWIND_UI_AUTH_ALLOW_INSECURE=true"):
        build(api_host="0.0.0.0")


async def test_none_on_a_public_address_may_be_allowed_explicitly() -> None:
    api = build(api_host="0.0.0.0", ui_auth_allow_insecure=True)
    async with client(api) as http:
        response = await http.post(f"{U}/team/{REQUEST}/approve")
    assert response.status_code == 200


async def test_outside_token_mode_nothing_asks_the_apiserver() -> None:
    reviewer = FakeReviewer()
    api = _build("simple", reviewer)
    async with client(api) as http:
        response = await http.post(f"{U}/team/{REQUEST}/approve", headers={"X-User": "alice"})
    assert response.status_code == 200
    assert reviewer.asked == []


@pytest.mark.parametrize(("action", "method", "path", "body"), ACTIONS)
async def test_an_action_outside_the_watched_namespaces_is_audited(
    caplog: pytest.LogCaptureFixture, action: str, method: str, path: str, body: Any
) -> None:
    api = _build("simple", watch_namespaces="ops")
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            response = await http.request(method, path, headers={"X-User": "alice"}, json=body)
    assert response.status_code == 403
    [record] = _audit(caplog)
    assert (record["action"], record["user"], record["result"]) == (action, "alice", "forbidden")
    assert "HEADWIND_WATCH_NAMESPACES" in record["reason"]
    assert api.updates.acted() == []


REFUSED_BODIES = [
    pytest.param("reject", f"{U}/team/{REQUEST}/reject", {"reason": 7}, id="reject"),
    pytest.param("propose", U, {"kind": "deployment", "tag": "2"}, id="propose"),
    pytest.param("rollback", f"{W}/rollback", {"container": ["app"]}, id="rollback"),
]


@pytest.mark.parametrize(("action", "path", "body"), REFUSED_BODIES)
async def test_an_action_whose_body_is_refused_before_the_route_is_audited(
    caplog: pytest.LogCaptureFixture, action: str, path: str, body: Any
) -> None:
    api = _build("token")
    headers = {"Authorization": "Bearer patcher-token", "X-Request-ID": "req-9"}
    with caplog.at_level("INFO", logger="headwind.audit"):
        async with client(api) as http:
            response = await http.post(path, headers=headers, json=body)
    assert response.status_code == 422, response.text
    [record] = _audit(caplog)
    assert (record["action"], record["user"], record["result"], record["request_id"]) == (
        action,
        PATCHER,
        "invalid",
        "req-9",
    )
    assert record["reason"].startswith("invalid request: body")
    assert action not in api.updates.acted()
