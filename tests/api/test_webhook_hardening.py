"""Webhooks under abuse and at the wrong time: deep JSON, an unsynced index, replayed deliveries.

Built on the route tests' helpers (`tests.api.test_webhook_routes`): the real app, a recorder
in place of Temporal, every source's credentials.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.deliveries import DeliveryMemory
from api.errors import ErrorOut
from headwind.index import ImageIndex
from headwind.webhooks.sources import Source
from tests.api.test_webhook_routes import (
    SECRET,
    Recorder,
    build,
    counted,
    credentials,
    fixture,
    indexed,
    subscriber,
)

DEPTHS = [1_000, 100_000]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[FastAPI], httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []

    def make(app: FastAPI) -> httpx.AsyncClient:
        opened.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h")
        )
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


def nested(depth: int, kind: str) -> bytes:
    if kind == "objects":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("kind", ["objects", "arrays"])
@pytest.mark.parametrize("depth", DEPTHS, ids=lambda d: f"{d:,} levels")
@pytest.mark.parametrize("source", list(Source), ids=str)
async def test_deeply_nested_json_is_400_on_every_source(
    client_for: Any, recorder: Recorder, source: Source, depth: int, kind: str
) -> None:
    client = client_for(build(ImageIndex(), recorder))
    body = nested(depth, kind)
    headers, query = credentials(source, body)
    response = await client.post(
        f"/webhook/{source.value}", content=body, headers=headers, params=query
    )
    assert response.status_code == 400, response.text
    assert "nested too deeply" in ErrorOut.model_validate(response.json()).detail
    assert recorder.proposals == []


@pytest.mark.parametrize("depth", DEPTHS, ids=lambda d: f"{d:,} levels")
async def test_a_deeply_nested_gar_message_is_refused(
    client_for: Any, recorder: Recorder, depth: int
) -> None:
    inner = base64.b64encode(nested(depth, "objects")).decode()
    body = f'{{"message": {{"data": "{inner}"}}, "subscription": "s"}}'.encode()
    client = client_for(build(ImageIndex(), recorder))
    headers, query = credentials(Source.GAR, body)
    response = await client.post("/webhook/gar", content=body, headers=headers, params=query)
    assert response.status_code == 422, response.text
    assert "nested too deeply" in response.json()["detail"]
    assert recorder.proposals == []


HUB = subscriber("web", "docker.io/svendowideit/testhook:old")


def unsynced(app: FastAPI) -> ImageIndex:
    """Give `app` an index holding `HUB` that has not been listed in full yet."""
    index = ImageIndex()
    index.replace(HUB.workload, [HUB])
    app.state.services.index = index
    return index


async def test_a_push_before_the_index_synced_is_503_with_retry_after(
    client_for: Any, recorder: Recorder
) -> None:
    app = build(ImageIndex(), recorder)
    index = unsynced(app)
    client = client_for(app)
    push = fixture("dockerhub-push.json")
    before = counted("dockerhub", "not_ready")

    response = await client.post("/webhook/dockerhub", content=push, params={"token": SECRET})

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "has not synced" in response.json()["detail"]
    assert recorder.proposals == []
    assert counted("dockerhub", "not_ready") == before + 1

    index.mark_synced()  # the sender retries once the watcher has listed everything
    retried = await client.post("/webhook/dockerhub", content=push, params={"token": SECRET})
    assert retried.status_code == 202, retried.text
    assert [p.workload.name for p in recorder.proposals] == ["web"]


async def test_an_event_that_is_no_push_needs_no_index(client_for: Any, recorder: Recorder) -> None:
    app = build(ImageIndex(), recorder)
    unsynced(app)
    body = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    headers, _ = credentials(Source.GHCR, body)
    response = await client_for(app).post(
        "/webhook/ghcr", content=body, headers={**headers, "X-GitHub-Event": "ping"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["images"] == 0


PACKAGE = fixture("ghcr-package-published-tagged.json")
HELLO = subscriber("web", "ghcr.io/codertocat/hello-world:1.2.0")


async def _deliver(client: Any, delivery: str, body: bytes = PACKAGE) -> Any:
    headers, _ = credentials(Source.GHCR, body)
    return await client.post(
        "/webhook/ghcr", content=body, headers={**headers, "X-GitHub-Delivery": delivery}
    )


async def test_a_replayed_github_delivery_proposes_nothing(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(build(indexed(HELLO), recorder))
    before = counted("ghcr", "duplicate")

    first = await _deliver(client, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    again = await _deliver(client, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    other = await _deliver(client, "a1b2c3d4-0000-11e3-81ab-4c9367dc0958")

    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 202)
    assert again.json() == {
        "source": "ghcr",
        "delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "duplicate": True,
        "detail": "this delivery was accepted before; nothing was proposed again",
    }
    assert len(recorder.proposals) == 2  # the first delivery and the other one
    assert counted("ghcr", "duplicate") == before + 1


async def test_a_delivery_that_failed_is_processed_when_sent_again(client_for: Any) -> None:
    failing = Recorder(fail=True)
    app = build(indexed(HELLO), failing)
    client = client_for(app)
    assert (await _deliver(client, "d-1")).status_code == 503
    failing.fail = False
    assert (await _deliver(client, "d-1")).status_code == 202
    assert len(failing.proposals) == 1


async def test_a_replay_must_still_prove_the_secret(client_for: Any, recorder: Recorder) -> None:
    client = client_for(build(indexed(HELLO), recorder))
    assert (await _deliver(client, "d-2")).status_code == 202
    forged = await client.post(
        "/webhook/ghcr",
        content=PACKAGE,
        headers={"X-GitHub-Delivery": "d-2", "X-Hub-Signature-256": "sha256=" + "0" * 64},
    )
    assert forged.status_code == 401


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_deliveries_are_forgotten_after_their_time() -> None:
    clock = Clock()
    memory = DeliveryMemory(ttl=60, capacity=10, clock=clock)
    memory.remember("a")
    clock.now = 59
    assert memory.seen("a")
    clock.now = 61
    assert not memory.seen("a")


def test_the_oldest_deliveries_go_first_when_full() -> None:
    memory = DeliveryMemory(ttl=60, capacity=3, clock=Clock())
    for delivery in "abcd":
        memory.remember(delivery)
    assert [memory.seen(d) for d in "abcd"] == [False, True, True, True]
