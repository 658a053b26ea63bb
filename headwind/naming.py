"""Deterministic names: UpdateRequest names and Temporal workflow IDs.

The same candidate for the same workload container must always map to the same workflow ID, so
that a webhook, a poll and a manual proposal of one tag coalesce into one workflow. The
UpdateRequest name is derived from the same inputs and the workflow ID from that name, so the
REST path `/api/v1/updates/{namespace}/{name}` leads straight to the workflow without a lookup.
"""

from __future__ import annotations

import hashlib
import re

from headwind.models import WorkloadRef

__all__ = [
    "TASK_QUEUE",
    "request_name",
    "rollback_workflow_id",
    "slot_task_queue",
    "slot_workflow_id",
    "update_workflow_id",
]

TASK_QUEUE = "headwind"
"""The task queue of every workflow and activity but the container slots."""


def slot_task_queue(task_queue: str) -> str:
    """The container slots' own task queue, served by a worker of its own in each process.

    An update waits for its slot's answer inside one of its workflow tasks (a local activity),
    holding that task's slot in the worker; were the slots on the same queue, a burst of
    updates could take every task slot and leave none for the slots that must answer them.
    """
    return f"{task_queue}-slots"


_UNSAFE = re.compile(r"[^a-z0-9-]+")
_MAX_STEM = 52  # leaves room for "-" + 10 hash characters inside the 63 a label allows


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:10]


def request_name(workload: WorkloadRef, container: str, tag: str) -> str:
    """A DNS-1123 label naming the UpdateRequest for this candidate.

    Readable (workload, container, tag) yet unique: sanitising may merge two tags
    (`1.2_3` and `1.2-3`), so a hash of the exact inputs is appended.
    """
    stem = _UNSAFE.sub("-", f"{workload.name}-{container}-{tag}".lower())
    stem = re.sub("-{2,}", "-", stem).strip("-")[:_MAX_STEM].rstrip("-")
    return (
        f"{stem}-{_digest(workload.kind.value, workload.namespace, workload.name, container, tag)}"
    )


def update_workflow_id(namespace: str, name: str) -> str:
    """The update workflow of the UpdateRequest `namespace/name`."""
    return f"headwind-update/{namespace}/{name}"


def slot_workflow_id(workload: WorkloadRef, container: str) -> str:
    """The workflow that lets one update at a time be pending or applying for a container."""
    return f"headwind-slot/{workload.kind.value}/{workload.namespace}/{workload.name}/{container}"


def rollback_workflow_id(workload: WorkloadRef, container: str, request_id: str) -> str:
    """A manual rollback; `request_id` makes a retried REST call land on the same workflow."""
    return (
        f"headwind-rollback/{workload.kind.value}/{workload.namespace}/{workload.name}/"
        f"{container}/{request_id}"
    )
