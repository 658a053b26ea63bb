"""Helpers for the OCI client's unit tests: a client on `httpx.MockTransport`, no waiting.

Each test writes its registry as a small handler function; `registry_client` wires it into a
`RegistryClient` whose sleeps are recorded instead of slept and whose clock is a counter.
`harnessed` does the same for a class extending the client (the local environment's pusher).
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from clients import oci

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]
ClientT = TypeVar("ClientT", bound=oci.RegistryClient)


@dataclass
class Harness(Generic[ClientT]):
    """A client and what it did: requests sent, sleeps asked for, responses reported."""

    client: ClientT
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    reported: list[tuple[str, int]] = field(default_factory=list)
    now: list[float] = field(default_factory=lambda: [1000.0])

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@asynccontextmanager
async def registry_client(
    handler: Handler, settings: oci.OciSettings | None = None
) -> AsyncIterator[Harness[oci.RegistryClient]]:
    async with harnessed(oci.RegistryClient, handler, settings) as harness:
        yield harness


@asynccontextmanager
async def harnessed(
    kind: type[ClientT], handler: Handler, settings: oci.OciSettings | None = None
) -> AsyncIterator[Harness[ClientT]]:
    """A `kind` (the client or a class extending it) answered by `handler`."""
    seen: list[httpx.Request] = []

    async def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        response = handler(request)
        if not isinstance(response, httpx.Response):
            response = await response
        return response

    async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as http:
        harness: Harness[ClientT]

        async def sleep(seconds: float) -> None:
            harness.sleeps.append(seconds)

        client = kind(
            http,
            settings,
            on_response=lambda registry, status: harness.reported.append((registry, status)),
            sleep=sleep,
            rng=random.Random(7),
            clock=lambda: harness.now[0],
        )
        harness = Harness(client, seen)
        yield harness


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def oci_error(status: int, code: str, message: str = "", **headers: str) -> httpx.Response:
    return json_response(status, {"errors": [{"code": code, "message": message}]}, headers)


BEARER_CHALLENGE = (
    'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
    'scope="repository:team/app:pull"'
)
