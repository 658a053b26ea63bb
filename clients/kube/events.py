"""Kubernetes Events about workloads: the one writer of every Event Headwind emits.

Owners look at `kubectl describe` and `kubectl get events` first, so phase changes of updates
and bad annotations are reported there. Names are derived from a key (a workflow's transition,
or the workload's UID and problem set), so every replica, every retry and every restart that
reports the same thing writes the same Event once: the apiserver's 409 is the deduplication.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from datetime import UTC, datetime
from urllib.parse import quote

from clients.kube.client import Conflict, Kube
from headwind.models import WorkloadRef

__all__ = ["MESSAGE_LIMIT", "EventType", "emit", "event_name", "warn"]

MESSAGE_LIMIT = 1024
"""Longest message written: events.k8s.io/v1 caps an Event's `note` at 1 KiB, and a line of
`kubectl describe` gains nothing from more."""


class EventType(enum.StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


def event_name(workload: WorkloadRef, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{workload.name[:200]}.hw{digest}"


def emit(
    kube: Kube,
    workload: WorkloadRef,
    *,
    event_type: EventType,
    reason: str,
    message: str,
    key: str,
    uid: str = "",
) -> bool:
    """Create an Event on `workload`; False when the same Event exists already."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {
        "apiVersion": workload.kind.api_version,
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
        "type": event_type.value,
        "source": {"component": "headwind"},
        "reportingComponent": "headwind.sh/headwind",
        "reportingInstance": "headwind",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    with contextlib.suppress(Conflict):
        kube.create(f"/api/v1/namespaces/{quote(workload.namespace, safe='')}/events", body)
        return True
    return False


def warn(
    kube: Kube, workload: WorkloadRef, *, uid: str, reason: str, message: str, key: str
) -> bool:
    """A Warning Event on `workload`; False when the same Event exists already."""
    return emit(
        kube,
        workload,
        event_type=EventType.WARNING,
        reason=reason,
        message=message,
        key=key,
        uid=uid,
    )
