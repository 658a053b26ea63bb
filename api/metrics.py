"""`/metrics`: the process's Prometheus registry, plus gauges read from Temporal visibility.

`headwind_updates_pending` is counted from Temporal rather than kept in memory, so it is right
after any restart and the same from every API replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Counter, Gauge
from temporalio.client import Client

from headwind import names, search_attributes

__all__ = [
    "UPDATES_PENDING",
    "WEBHOOK_EVENTS",
    "WEBHOOK_IMAGES_PROCESSED",
    "refresh_forever",
    "refresh_pending",
]

log = logging.getLogger(__name__)

UPDATES_PENDING = Gauge(
    "headwind_updates_pending", "Update requests waiting for an approval (from Temporal)."
)

WEBHOOK_EVENTS = Counter(
    "headwind_webhook_events_total",
    "Webhook deliveries, by source and result (accepted, duplicate, unauthorized, invalid, "
    "too_large, not_ready, error).",
    ("source", "result"),
)
WEBHOOK_IMAGES_PROCESSED = Gauge(
    "headwind_webhook_events_processed",
    "Pushed images from accepted webhooks that were matched against the image index "
    "(one delivery may carry several). Only ever increases.",
    ("source",),
)
"""A gauge only for its name: prometheus_client appends `_total` to every counter, and the
seed's `headwind_webhook_events_processed` has none. Read it with `increase()` like a counter."""

_PENDING_QUERY = (
    f'WorkflowType = "{names.UPDATE_WORKFLOW}" AND ExecutionStatus = "Running" '
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
