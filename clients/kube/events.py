"""Kubernetes Events about a workload that are not tied to an update workflow.

The detector tells owners about bad annotations where they look first (`kubectl describe`,
`kubectl get events`). Names are derived from a key (the workload's UID and the problem set),
so every replica, and every restart, that reports the same thing writes the same Event once:
the apiserver's 409 is the deduplication.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime

from clients.kube.client import Conflict, Kube, api_version
from headwind.models import WorkloadRef

__all__ = ["MESSAGE_LIMIT", "event_name", "warn"]

MESSAGE_LIMIT = 1024
"""Longest message written: events.k8s.io/v1 caps an Event's `note` at 1 KiB, and a line of
`kubectl describe` gains nothing from more."""


def event_name(workload: WorkloadRef, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{workload.name[:200]}.hw{digest}"


def warn(
    kube: Kube, workload: WorkloadRef, *, uid: str, reason: str, message: str, key: str
) -> bool:
    """Create a Warning Event on `workload`; False when the same Event exists already."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {
        "apiVersion": api_version(workload.kind),
        "kind": workload.kind.value,
        "name": workload.name,
        "namespace": workload.namespace,
    }
    if uid:
        involved["uid"] = uid
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name(workload, key), "namespace": workload.namespace},
        "involvedObject": involved,
        "reason": reason,
        "message": message[:MESSAGE_LIMIT],
        "type": "Warning",
        "source": {"component": "headwind"},
        "reportingComponent": "headwind.sh/headwind",
        "reportingInstance": "headwind",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    with contextlib.suppress(Conflict):
        kube.create(f"/api/v1/namespaces/{workload.namespace}/events", body)
        return True
    return False
