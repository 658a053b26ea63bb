"""`/livez` answers while the process runs; `/readyz` only once it can do its work."""

from __future__ import annotations

import pytest

from tests.api.api_support import FakeCluster, FakeUpdates, build, client

# (Temporal answers, apiserver answers, index synced)
READINESS = [
    pytest.param(True, True, True, id="all up: ready"),
    pytest.param(False, True, True, id="Temporal down"),
    pytest.param(True, False, True, id="apiserver down"),
    pytest.param(True, True, False, id="index not synced yet"),
    pytest.param(False, False, False, id="nothing yet"),
]


@pytest.mark.parametrize(("temporal", "apiserver", "synced"), READINESS)
async def test_readyz_says_what_holds_the_replica_back(
    temporal: bool, apiserver: bool, synced: bool
) -> None:
    api = build(updates=FakeUpdates(up=temporal), cluster=FakeCluster(up=apiserver), synced=synced)
    async with client(api) as http:
        ready = await http.get("/readyz")
        live = await http.get("/livez")
    everything = temporal and apiserver and synced
    assert ready.status_code == (200 if everything else 503)
    assert ready.json() == {
        "ready": everything,
        "temporal": temporal,
        "apiserver": apiserver,
        "index_synced": synced,
    }
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


async def test_health_names_the_temporal_namespace() -> None:
    async with client(build(temporal_namespace="prod")) as http:
        response = await http.get("/health")
    assert response.json() == {"status": "ok", "temporal_namespace": "prod"}
