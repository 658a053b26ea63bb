"""More than 500 updates listed through the REST API, page by page, each seen exactly once.

The updates are real update workflows started by the real starter (`operations.propose`, so
workflow IDs and search attributes are exactly a proposal's) on a task queue no worker polls:
each stays where a proposal waits for a worker to evaluate it, and costs the environment's
worker nothing. They are terminated at the end.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from headwind_dev.status import DevStatus
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from clients.temporal import operations
from headwind.models import Proposal, WorkloadKind, WorkloadRef
from tests.e2e.polling import wait_for_async

pytestmark = pytest.mark.e2e

UPDATES = 520
"""Past the 500 a listing returned before it was paged."""


@pytest.fixture
async def starter(dev_env: DevStatus) -> Client:
    return await Client.connect(
        dev_env.temporal_address,
        namespace=dev_env.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


@pytest.fixture
async def proposed(starter: Client) -> AsyncIterator[tuple[str, set[str]]]:
    """A namespace of its own holding `UPDATES` proposals, and their request names."""
    namespace = f"e2e-paging-{secrets.token_hex(3)}"
    idle = f"e2e-paging-idle-{secrets.token_hex(4)}"
    gate = asyncio.Semaphore(32)

    async def propose(i: int) -> operations.ProposalAccepted:
        workload = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace=namespace, name=f"w{i}")
        proposal = Proposal(workload=workload, container="app", tag="1.1.0", source="e2e")
        async with gate:
            return await operations.propose(starter, proposal, task_queue=idle)

    accepted = await asyncio.gather(*(propose(i) for i in range(UPDATES)))
    try:
        yield namespace, {a.request_name for a in accepted}
    finally:

        async def end(workflow_id: str) -> None:
            async with gate:
                await starter.get_workflow_handle(workflow_id).terminate("e2e test done")

        await asyncio.gather(*(end(a.workflow_id) for a in accepted))


async def test_more_than_500_updates_page_through_the_rest_api(
    dev_env: DevStatus, proposed: tuple[str, set[str]]
) -> None:
    namespace, expected = proposed
    assert len(expected) == UPDATES
    async with httpx.AsyncClient(base_url=dev_env.api_url, timeout=60) as api:
        await wait_for_async(
            lambda: api.get("/api/v1/updates/counts", params={"namespace": namespace}),
            lambda counted: counted.json().get("total") == UPDATES,
            what=f"Temporal visibility to count {UPDATES} updates",
            timeout=60,
            interval=0.5,
        )
        seen: list[str] = []
        url: str | None = f"/api/v1/updates?namespace={namespace}&limit=100"
        pages = 0
        while url is not None:
            response = await api.get(url)
            assert response.status_code == 200, response.text
            listed = response.json()
            assert 0 < len(listed) <= 100
            assert {u["namespace"] for u in listed} == {namespace}
            seen += [u["request_name"] for u in listed]
            pages += 1
            following = response.links.get("next")
            url = following["url"] if following else None
        first_page = await api.get("/", params={"namespace": namespace})
        unpaged = await api.get("/api/v1/updates", params={"namespace": namespace})
    assert pages == 6
    assert len(seen) == len(set(seen)) == UPDATES
    assert set(seen) == expected
    assert "Page 1 of 21 · 520 updates" in first_page.text
    assert len(unpaged.json()) == 500
    assert 'rel="next"' in unpaged.headers["link"]
