"""`/metrics`: the process's Prometheus registry, plus gauges read from Temporal visibility.

`headwind_updates_pending` is counted from Temporal rather than kept in memory, so it is right
after any restart and the same from every API replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Gauge
from temporalio.client import Client

from headwind import search_attributes

__all__ = ["UPDATES_PENDING", "refresh_forever", "refresh_pending"]

log = logging.getLogger(__name__)

UPDATES_PENDING = Gauge(
    "headwind_updates_pending", "Update requests waiting for an approval (from Temporal)."
)

_PENDING_QUERY = (
    f'WorkflowType = "Update" AND ExecutionStatus = "Running" '
    f'AND {search_attributes.PHASE.name} = "Pending"'
)


async def refresh_pending(client: Client) -> int:
    count = (await client.count_workflows(_PENDING_QUERY)).count
    UPDATES_PENDING.set(count)
    return count


async def refresh_forever(client: Client, every: float = 10.0) -> None:
    while True:
        with contextlib.suppress(Exception):
            await refresh_pending(client)
        await asyncio.sleep(every)
