"""Every REST request is checked at the door: 422 (or 413) with a JSON `detail`, nothing acted on.

Path segments, query filters and body fields are held to the grammar of the place they go
(Kubernetes names, OCI tags, bounded plain text); a body over the REST limit is refused before
it is read whole; nothing the client sent comes back whole in the error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api import limits
from api.errors import ErrorOut
from tests.api.api_support import REQUEST, build, client

PROPOSAL = {"kind": "Deployment", "namespace": "team", "name": "web", "container": "app"}
APPROVE = f"/api/v1/updates/team/{REQUEST}/approve"
REJECT = f"/api/v1/updates/team/{REQUEST}/reject"
ROLLBACK = "/api/v1/workloads/deployment/team/web/rollback"


def proposal(**changes: Any) -> dict[str, Any]:
    return {**PROPOSAL, "tag": "1.1.0", **changes}


U, W = "/api/v1/updates", "/api/v1/workloads"


def get(path: str, field: str, case: str) -> Any:
    """A GET of `path` that must be refused, naming `field`."""
    return pytest.param("GET", path, None, field, id=case)


def post(path: str, body: dict[str, Any] | bytes, field: str, case: str) -> Any:
    return pytest.param("POST", path, body, field, id=case)


INVALID = [
    get(f"{U}/Team/x", "namespace", "status: upper-case namespace"),
    get(f"{U}/te%23am/x", "namespace", "status: '#' in namespace"),
    get(f"{U}/team/a%23b", "name", "status: '#' in request name"),
    get(f"{U}/team/%2E", "name", "status: request named '.'"),
    post(f"{U}/team/%2E%2E/approve", {}, "name", "approve: request named '..'"),
    get(f"{W}/deployment/team/%2E/history", "name", "history: '.' (would read the collection)"),
    get(f"{W}/deployment/team/%2E%2E/history", "name", "history: workload named '..'"),
    get(f"{W}/deployment/te%23am/web/history", "namespace", "history: '#' in namespace"),
    get(f"{W}/pod/team/web/history", "kind", "history: unknown kind"),
    get(f"{W}/cronjob/team/{'c' * 53}/history", "name", "history: CronJob name over 52"),
    get(f"{W}/deployment/team/a_b", "name", "watched: '_' in name"),
    post(f"{W}/deployment/team/Web/rollback", {"container": "app"}, "name", "rollback: bad name"),
    post(ROLLBACK, {"container": "App"}, "container", "rollback: upper-case container"),
    post(ROLLBACK, {"container": "app", "to": "1.0 ; rm"}, "to", "rollback: 'to' is no tag"),
    post(
        ROLLBACK,
        {"container": "app", "requested_by": "c\x00"},
        "requested_by",
        "rollback: NUL in requested_by",
    ),
    post(
        ROLLBACK,
        {"container": "app", "requested_by": "c" * 254},
        "requested_by",
        "rollback: requested_by over 253",
    ),
    post(U, proposal(namespace="a#b"), "namespace", "propose: '#' in namespace"),
    post(U, proposal(namespace="n" * 64), "namespace", "propose: namespace over 63"),
    post(U, proposal(name="web/x"), "name", "propose: '/' in name"),
    post(U, proposal(name="."), "name", "propose: name '.'"),
    post(U, proposal(kind="cronjob", name="c" * 53), "name", "propose: CronJob name over 52"),
    post(U, proposal(kind="Pod"), "kind", "propose: unknown kind"),
    post(U, proposal(container="App"), "container", "propose: upper-case container"),
    post(U, proposal(tag="-1.0"), "tag", "propose: tag starts with '-'"),
    post(U, proposal(tag="1.0+build"), "tag", "propose: '+' in an image tag"),
    post(U, proposal(tag="t" * 129), "tag", "propose: tag over 128"),
    post(U, proposal(tag="1.0\x00"), "tag", "propose: NUL in tag"),
    post(U, proposal(digest="md5:abc"), "digest", "propose: bad digest"),
    post(U, proposal(proposed_by="p" * 254), "proposed_by", "propose: proposed_by over 253"),
    post(
        U, proposal(proposed_by="a\u202eb"), "proposed_by", "propose: bidi override in proposed_by"
    ),
    post(U, proposal(surprise=1), "surprise", "propose: unknown field"),
    post(APPROVE, {"approver": "a" * 254}, "approver", "approve: approver over 253"),
    post(APPROVE, {"approver": "me\x00"}, "approver", "approve: NUL in approver"),
    post(APPROVE, b'{"approver": "me\\ud800"}', "approver", "approve: lone surrogate"),
    post(APPROVE, {"reason": "no"}, "reason", "approve: a rejection's field"),
    post(REJECT, {"reason": "r" * 1025}, "reason", "reject: reason over 1024"),
    post(REJECT, {"reason": "bad\x1b[31m"}, "reason", "reject: escape in reason"),
    get(f"{U}?namespace=te%27am", "namespace", "list: quote in namespace"),
    get(f"{U}?namespace=team%00", "namespace", "list: NUL in namespace"),
    get(f"{U}?phase=Pending%22%20OR%20%221", "phase", "list: quote in phase"),
    get(f"{U}?phase=Pending%00", "phase", "list: NUL in phase"),
    get(f"{U}?phase=Sleeping", "phase", "list: unknown phase"),
    get(f"{U}?kind=Pod", "kind", "list: unknown kind"),
    get(f"{W}?namespace=a%23b", "namespace", "watched: '#' in namespace"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), INVALID)
async def test_invalid_requests_are_422_with_the_field_and_act_on_nothing(
    method: str, path: str, body: dict[str, Any] | bytes | None, field: str
) -> None:
    api = build()
    async with client(api) as http:
        if isinstance(body, bytes):
            response = await http.request(method, path, content=body)
        else:
            response = await http.request(method, path, json=body)
    assert response.status_code == 422, response.text
    error = ErrorOut.model_validate(response.json())
    assert error.detail.startswith("invalid request: ")
    assert any(e.loc[-1] == field for e in error.errors), error
    assert api.updates.calls == []


@pytest.mark.parametrize(
    ("field", "path"),
    [
        pytest.param("approver", APPROVE, id="approver"),
        pytest.param("reason", REJECT, id="reason"),
    ],
)
async def test_a_huge_field_is_refused_without_being_echoed(field: str, path: str) -> None:
    huge = "x" * (limits.REST_MAX_BODY_BYTES - 100)
    api = build()
    async with client(api) as http:
        response = await http.post(path, json={field: huge})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert huge[:400] not in response.text


async def _chunks(total: int) -> AsyncIterator[bytes]:
    yield b'{"approver": "'
    sent = 0
    while sent < total:
        yield b"x" * 8192
        sent += 8192
    yield b'"}'


BIG = limits.REST_MAX_BODY_BYTES + 1


@pytest.mark.parametrize(
    ("path", "content"),
    [
        pytest.param(APPROVE, b'{"approver": "' + b"x" * 5_000_000 + b'"}', id="approve: 5 MB"),
        pytest.param(REJECT, b'{"reason": "' + b"x" * BIG + b'"}', id="reject: just over"),
        pytest.param(U, b'{"proposed_by": "' + b"x" * 1_000_000 + b'"}', id="propose: 1 MB"),
        pytest.param(ROLLBACK, b'{"requested_by": "' + b"x" * BIG + b'"}', id="rollback: over"),
    ],
)
async def test_a_body_over_the_rest_limit_is_413(path: str, content: bytes) -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(
            path, content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert ErrorOut.model_validate(response.json()).detail == (
        f"request body is larger than {limits.REST_MAX_BODY_BYTES} bytes"
    )
    assert api.updates.calls == []


async def test_a_body_over_the_limit_without_content_length_is_413() -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(
            APPROVE,
            content=_chunks(limits.REST_MAX_BODY_BYTES * 4),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert api.updates.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no Content-Type"),
        pytest.param({"content-type": "application/x-www-form-urlencoded"}, id="curl -d"),
        pytest.param({"content-type": "text/plain"}, id="text/plain"),
        pytest.param({"content-type": "application/json; charset=utf-8"}, id="JSON with charset"),
    ],
)
async def test_a_json_body_counts_whatever_the_content_type(headers: dict[str, str]) -> None:
    api = build()
    async with client(api) as http:
        approved = await http.post(APPROVE, content=b'{"approver":"me"}', headers=headers)
        proposed = await http.post(U, content=json.dumps(proposal()).encode(), headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "me"
    assert proposed.status_code == 202, proposed.text


async def test_a_browser_form_post_is_not_read_as_json() -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(
            APPROVE,
            content=b'{"approver":"me"}',
            headers={"content-type": "text/plain", "origin": "https://elsewhere.example"},
        )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert api.updates.calls == []


DEEP = 1_000


@pytest.mark.parametrize(
    ("path", "content"),
    [
        pytest.param(APPROVE, b'{"approver":' * DEEP + b"1" + b"}" * DEEP, id="approve: objects"),
        pytest.param("/api/v1/updates", b"[" * DEEP + b"]" * DEEP, id="propose: arrays"),
        pytest.param(ROLLBACK, b"[" * 20_000 + b"]" * 20_000, id="rollback: 20,000 levels"),
    ],
)
async def test_deeply_nested_json_is_400_not_500(path: str, content: bytes) -> None:
    api = build()
    async with client(api) as http:
        response = await http.post(
            path, content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code in (400, 422), response.text
    ErrorOut.model_validate(response.json())
    assert api.updates.calls == []


async def test_errors_of_unknown_routes_share_the_model() -> None:
    async with client(build()) as http:
        missing = await http.get("/api/v1/nothing")
        wrong_method = await http.delete("/api/v1/updates")
    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    for response in (missing, wrong_method):
        ErrorOut.model_validate(response.json())
