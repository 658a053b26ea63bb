"""Signed approval links: a GET only shows, the POST decides once; bad links change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api import auth
from headwind import naming
from headwind.notifications import links
from tests.api.api_support import REQUEST, build, client
from tests.api.decisions_support import DecidingUpdates
from tests.api.test_auth_modes import PATCHER, READER, FakeReviewer

SECRET = b"link-secret"
WORKFLOW = naming.update_workflow_id("team", REQUEST)


def link(
    action: links.LinkAction = links.LinkAction.APPROVE,
    *,
    key: bytes = SECRET,
    issued: datetime | None = None,
    workflow_id: str = WORKFLOW,
) -> str:
    token = links.sign(
        key,
        action=action,
        namespace="team",
        name=REQUEST,
        workflow_id=workflow_id,
        now=issued or datetime.now(UTC),
        ttl=timedelta(hours=1),
    )
    return f"/approvals/{token}"


def api_with(updates: DecidingUpdates, **values: Any) -> Any:
    return build(updates=updates, approval_link_secret=SECRET.decode(), **values)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("action", "button", "decision"),
    [
        (links.LinkAction.APPROVE, "Approve</button>", "approve"),
        (links.LinkAction.REJECT, "Reject</button>", "reject"),
    ],
    ids=["approve link", "reject link"],
)
async def test_opening_shows_a_form_and_only_the_post_decides(
    action: links.LinkAction, button: str, decision: str
) -> None:
    updates = DecidingUpdates()
    api = api_with(updates)
    async with client(api) as http:
        page = await http.get(link(action))
        assert page.status_code == 200
        assert button in page.text
        assert "<form method=post>" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert updates.acted() == ["status"]  # opening changed nothing

        done = await http.post(
            link(action), content=b"approver=Dana+Smith&reason=not+now", headers=FORM
        )
    assert done.status_code == 200
    assert "Thank you, Dana Smith" in done.text
    assert updates.acted() == ["status", "status", decision]
    approver = updates.calls[-1][1].approver
    assert approver == "Dana Smith"


async def test_a_used_link_says_already_decided() -> None:
    updates = DecidingUpdates()
    api = api_with(updates)
    async with client(api) as http:
        first = await http.post(link(), content=b"approver=dana", headers=FORM)
        again = await http.post(link(), content=b"approver=eve", headers=FORM)
        reopened = await http.get(link())
    assert first.status_code == 200
    assert again.status_code == 409
    assert "Already decided" in again.text
    assert "approved by dana" in again.text
    assert reopened.status_code == 409
    assert "<form" not in reopened.text
    assert [c for c in updates.acted() if c != "status"] == ["approve", "approve"]


def _flip(path: str) -> str:
    return path[:-1] + ("A" if path[-1] != "A" else "B")


@pytest.mark.parametrize(
    ("path", "code", "title"),
    [
        (link(issued=datetime.now(UTC) - timedelta(hours=2)), 410, "This link has expired"),
        (_flip(link()), 400, "This link is not valid"),
        (link(key=b"another-key"), 400, "This link is not valid"),
        ("/approvals/garbage", 400, "This link is not valid"),
        (link(workflow_id="headwind-update/team/an-older-run"), 409, "Already decided"),
    ],
    ids=["expired", "tampered", "signed with another key", "garbage", "for another workflow run"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_bad_link_shows_a_clear_page_and_changes_nothing(
    path: str, code: int, title: str, method: str
) -> None:
    updates = DecidingUpdates()
    api = api_with(updates)
    async with client(api) as http:
        response = await http.request(method, path, content=b"approver=mallory", headers=FORM)
    assert response.status_code == code
    assert f"<h1>{title}</h1>" in response.text
    assert "approve" not in updates.acted()
    assert "Nothing was changed" in response.text


@pytest.mark.parametrize(
    "form",
    [b"", b"approver=", b"approver=%00evil"],
    ids=["no name", "blank name", "control character"],
)
async def test_the_form_needs_a_plain_name(form: bytes) -> None:
    updates = DecidingUpdates()
    api = api_with(updates)
    async with client(api) as http:
        response = await http.post(link(), content=form, headers=FORM)
    assert response.status_code == 400
    assert updates.calls == []


async def test_without_a_link_secret_links_are_off() -> None:
    updates = DecidingUpdates()
    api = build(updates=updates)
    async with client(api) as http:
        response = await http.get(link())
    assert response.status_code == 404
    assert updates.calls == []


def _authenticating(mode: str, updates: DecidingUpdates) -> Any:
    api = api_with(updates, ui_auth_mode=mode)
    reviewer = FakeReviewer()
    api.app.dependency_overrides[auth.get_reviewer] = lambda: reviewer
    return api


AUTHENTICATED = [
    pytest.param("simple", {"X-User": "alice"}, {}, "alice", id="simple: X-User"),
    pytest.param("proxy", {"X-Forwarded-User": "bob"}, {}, "bob", id="proxy: its header"),
    pytest.param(
        "token", {}, {auth.TOKEN_COOKIE: "patcher-token"}, PATCHER, id="token: signed-in patcher"
    ),
]


@pytest.mark.parametrize(("mode", "headers", "cookies", "who"), AUTHENTICATED)
async def test_with_an_auth_mode_the_authenticated_user_decides(
    mode: str, headers: dict[str, str], cookies: dict[str, str], who: str
) -> None:
    updates = DecidingUpdates()
    async with client(_authenticating(mode, updates)) as http:
        http.cookies.update(cookies)
        page = await http.get(link(), headers=headers)
        named = await http.post(link(), content=b"approver=mallory", headers={**FORM, **headers})
        done = await http.post(link(), content=b"", headers={**FORM, **headers})
    assert page.status_code == 200
    assert f"You decide as {who}." in page.text
    assert "name=approver" not in page.text
    assert named.status_code == 400, "a typed name never stands in for the authenticated user"
    assert "identity comes from authentication" in named.text
    assert done.status_code == 200
    assert f"Thank you, {who}." in done.text
    assert next(c for c in updates.calls if c[0] == "approve")[1].approver == who


REFUSED = [
    pytest.param("simple", {}, {}, 401, "Who are you?", id="simple: no X-User"),
    pytest.param("proxy", {"X-User": "bob"}, {}, 401, "Who are you?", id="proxy: no proxy header"),
    pytest.param("token", {}, {}, 401, "Sign in first", id="token: not signed in"),
    pytest.param(
        "token", {}, {auth.TOKEN_COOKIE: "forged"}, 401, "Sign in first", id="token: bad token"
    ),
    pytest.param(
        "token",
        {},
        {auth.TOKEN_COOKIE: "reader-token"},
        403,
        "Not allowed",
        id="token: may not patch the workload",
    ),
]


@pytest.mark.parametrize(("mode", "headers", "cookies", "code", "title"), REFUSED)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_with_an_auth_mode_nobody_else_decides(
    mode: str,
    headers: dict[str, str],
    cookies: dict[str, str],
    code: int,
    title: str,
    method: str,
) -> None:
    updates = DecidingUpdates()
    async with client(_authenticating(mode, updates)) as http:
        http.cookies.update(cookies)
        response = await http.request(method, link(), content=b"", headers={**FORM, **headers})
    assert response.status_code == code
    assert f"<h1>{title}</h1>" in response.text
    assert "Nothing was changed" in response.text
    assert "<form" not in response.text
    assert "approve" not in updates.acted()


async def test_sign_in_first_leads_back_to_the_link() -> None:
    updates = DecidingUpdates()
    async with client(_authenticating("token", updates)) as http:
        response = await http.get(link())
    assert f'href="/signin?next={link().replace("/", "%2F")}"' in response.text
    assert READER not in response.text
