"""Authentication: the bearer token flow (anonymous and with credentials) and Basic auth."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from clients import oci
from tests.clients.oci_support import (
    BEARER_CHALLENGE,
    Handler,
    json_response,
    oci_error,
    registry_client,
)

REGISTRY = "registry.example.com"
TAGS = "/v2/team/app/tags/list"
ALICE = oci.Credentials("alice", "s3cret")


def basic(credentials: oci.Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class TokenRegistry:
    """A registry behind a Docker-style token server that issues one token per identity."""

    def __init__(self, *, expires_in: int = 300, users: dict[str, str] | None = None) -> None:
        self.expires_in = expires_in
        self.users = users or {"alice": "s3cret"}
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            return self.token(request)
        expected = {f"Bearer token-{n}" for n in range(1, self.issued + 1)}
        if request.headers.get("Authorization") not in expected:
            return oci_error(401, "UNAUTHORIZED", **{"WWW-Authenticate": BEARER_CHALLENGE})
        return json_response(200, {"name": "team/app", "tags": ["1.0"]})

    def token(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization")
        if header is not None and header not in {
            basic(oci.Credentials(u, p)) for u, p in self.users.items()
        }:
            return json_response(401, {"details": "incorrect username or password"})
        self.issued += 1
        return json_response(200, {"token": f"token-{self.issued}", "expires_in": self.expires_in})


async def test_anonymous_bearer_flow_fetches_one_token_and_reuses_it() -> None:
    registry = TokenRegistry()
    async with registry_client(registry) as harness:
        assert await harness.client.list_tags(REGISTRY, "team/app") == ["1.0"]
        assert await harness.client.list_tags(REGISTRY, "team/app") == ["1.0"]

    assert harness.paths() == [f"GET {TAGS}", "GET /token", f"GET {TAGS}", f"GET {TAGS}"]
    token_request = harness.requests[1]
    assert "Authorization" not in token_request.headers
    assert token_request.url.params["scope"] == "repository:team/app:pull"
    assert token_request.url.params["service"] == "registry.example.com"
    assert harness.requests[3].headers["Authorization"] == "Bearer token-1"


async def test_credentials_are_exchanged_for_a_token_with_basic_auth() -> None:
    registry = TokenRegistry()
    async with registry_client(registry) as harness:
        await harness.client.list_tags(REGISTRY, "team/app", credentials=ALICE)

    token_request = harness.requests[1]
    assert token_request.headers["Authorization"] == basic(ALICE)
    assert token_request.url.params["account"] == "alice"
    assert harness.requests[2].headers["Authorization"] == "Bearer token-1"


async def test_expired_token_is_replaced_before_sending() -> None:
    registry = TokenRegistry(expires_in=60)
    async with registry_client(registry) as harness:
        await harness.client.list_tags(REGISTRY, "team/app")
        harness.now[0] += 120
        await harness.client.list_tags(REGISTRY, "team/app")

    assert harness.paths()[3:] == ["GET /token", f"GET {TAGS}"]
    assert harness.requests[-1].headers["Authorization"] == "Bearer token-2"


async def test_anonymous_and_authenticated_tokens_are_not_shared() -> None:
    registry = TokenRegistry()
    async with registry_client(registry) as harness:
        await harness.client.list_tags(REGISTRY, "team/app")
        await harness.client.list_tags(REGISTRY, "team/app", credentials=ALICE)
        wrong = oci.Credentials("alice", "wrong")
        with pytest.raises(oci.AuthenticationError, match="refused user 'alice'"):
            await harness.client.list_tags(REGISTRY, "team/app", credentials=wrong)

    assert [r.url.path for r in harness.requests].count("/token") == 3


async def test_concurrent_requests_share_one_token_request() -> None:
    registry = TokenRegistry(expires_in=60)
    async with registry_client(registry) as harness:
        await harness.client.list_tags(REGISTRY, "team/app")
        harness.now[0] += 120
        await asyncio.gather(*(harness.client.list_tags(REGISTRY, "team/app") for _ in range(5)))

    assert [r.url.path for r in harness.requests].count("/token") == 2


async def test_basic_registry_gets_credentials_after_its_challenge_then_up_front() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != basic(ALICE):
            return oci_error(401, "UNAUTHORIZED", **{"WWW-Authenticate": 'Basic realm="r"'})
        return json_response(200, {"name": "team/app", "tags": ["1.0"]})

    async with registry_client(handler) as harness:
        await harness.client.list_tags("localhost:5000", "team/app", credentials=ALICE)
        await harness.client.list_tags("localhost:5000", "team/app", credentials=ALICE)

    assert [r.headers.get("Authorization") for r in harness.requests] == [
        None,
        basic(ALICE),
        basic(ALICE),
    ]


def unauthorized(challenge: str) -> httpx.Response:
    response = oci_error(401, "UNAUTHORIZED", "authentication required")
    response.headers["WWW-Authenticate"] = challenge
    return response


FAILURES = [
    pytest.param(
        lambda r: unauthorized('Basic realm="r"'),
        None,
        oci.AuthenticationError,
        "requires credentials .Basic auth. and none were given",
        id="basic-registry-without-credentials",
    ),
    pytest.param(
        lambda r: unauthorized('Basic realm="r"'),
        ALICE,
        oci.AuthenticationError,
        "rejected the credentials of user 'alice'",
        id="basic-registry-wrong-credentials",
    ),
    pytest.param(
        TokenRegistry(users={"bob": "x"}),
        ALICE,
        oci.AuthenticationError,
        "token endpoint https://auth.example.com/token refused user 'alice'",
        id="token-endpoint-refuses-credentials",
    ),
    pytest.param(
        lambda r: (
            json_response(200, {"token": "useless"})
            if r.url.host == "auth.example.com"
            else unauthorized(BEARER_CHALLENGE + ',error="insufficient_scope"')
        ),
        None,
        oci.AuthenticationError,
        "refused anonymous access after bearer authentication: insufficient_scope "
        ".a private repository",
        id="anonymous-token-not-enough-for-private-repository",
    ),
    pytest.param(
        lambda r: oci_error(401, "UNAUTHORIZED"),
        None,
        oci.AuthenticationError,
        "401 without a Bearer or Basic challenge",
        id="401-without-challenge",
    ),
    pytest.param(
        lambda r: unauthorized('Bearer realm="http://auth.example.com/token"'),
        ALICE,
        oci.AuthenticationError,
        "refusing to send credentials to a plain-http token endpoint",
        id="credentials-never-sent-to-plain-http-realm",
    ),
    pytest.param(
        lambda r: (
            json_response(200, {"nothing": "here"})
            if r.url.host == "auth.example.com"
            else unauthorized(BEARER_CHALLENGE)
        ),
        None,
        oci.RegistryProtocolError,
        "answered without a token",
        id="token-response-without-token",
    ),
    pytest.param(
        lambda r: unauthorized('Bearer service="x"'),
        None,
        oci.RegistryProtocolError,
        "no usable realm",
        id="bearer-challenge-without-realm",
    ),
    pytest.param(
        lambda r: oci_error(403, "DENIED", "requested access to the resource is denied"),
        ALICE,
        oci.AccessDeniedError,
        "HTTP 403 .DENIED: requested access to the resource is denied.",
        id="403-denied",
    ),
]


@pytest.mark.parametrize(("handler", "credentials", "error", "message"), FAILURES)
async def test_authentication_failures_are_clear(
    handler: Handler,
    credentials: oci.Credentials | None,
    error: type[oci.RegistryError],
    message: str,
) -> None:
    async with registry_client(handler) as harness:
        with pytest.raises(error, match=message) as raised:
            await harness.client.list_tags(REGISTRY, "team/app", credentials=credentials)
    assert raised.value.registry == REGISTRY
    assert raised.value.repository == "team/app"
    assert not raised.value.retryable
