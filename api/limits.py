"""The API's bounds: how large a request may be, how long it may wait, when to come back.

A request that is too large, or that would wait on Temporal or the apiserver for ever, is
refused with an answer that says so (413, 503, 504) instead of holding memory or a connection.
"""

from __future__ import annotations

from clients.temporal import operations

__all__ = [
    "DEADLINES",
    "KUBE_TIMEOUT_SECONDS",
    "REST_MAX_BODY_BYTES",
    "RETRY_AFTER_SECONDS",
]

REST_MAX_BODY_BYTES = 64 * 1024
"""Largest body of a REST request (`/api/v1/…`), in bytes. The largest real body, a rejection
with a 1,024-character reason, is far below; webhooks have their own limit
(`HEADWIND_WEBHOOK_MAX_BODY_BYTES`)."""

DEADLINES = operations.DEADLINES
"""How long a REST call waits on Temporal (10 s) and on a worker (30 s, e.g. an approval until
the workload is patched)."""

KUBE_TIMEOUT_SECONDS = 10.0
"""How long a REST call waits on the apiserver (reading the workload a proposal names)."""

RETRY_AFTER_SECONDS = 5
"""What a 503 tells its sender to wait before retrying: the index syncs within seconds of a
start, and a Temporal frontend restarts about as fast."""
