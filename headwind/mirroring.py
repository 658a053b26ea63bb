"""The UpdateRequest custom resource that mirrors an approval-gated update.

The workflow is the source of truth; the UpdateRequest shows it to `kubectl get ur` with the
CRD's printer columns. This module builds the object from the workflow's status (pure, so its
shape is unit-tested); the transition activity writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from headwind.models import UpdateStatus

__all__ = ["API_VERSION", "PLURAL", "request_body", "stamp"]

API_VERSION = "headwind.sh/v1alpha1"
PLURAL = "updaterequests"


def stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_body(
    status: UpdateStatus, *, ui_url: str | None = None, temporal_url: str | None = None
) -> dict[str, Any]:
    """The UpdateRequest object that mirrors `status`; `ui_url` and `temporal_url` are where
    people see the update in Headwind's web UI and its workflow in the Temporal Web UI."""
    w = status.workload
    spec: dict[str, Any] = {
        "targetRef": {
            "apiVersion": w.kind.api_version,
            "kind": w.kind.value,
            "name": w.name,
        },
        "containerName": status.container,
        "currentImage": status.current_image,
        "newImage": status.new_image,
        "policy": status.policy,
        "reason": status.reason,
        "workflowId": status.workflow_id,
    }
    if status.expires_at:
        spec["expiresAt"] = stamp(status.expires_at)
    state: dict[str, Any] = {
        "phase": status.phase.value,
        "message": status.message,
        "lastUpdated": stamp(datetime.now(UTC)),
    }
    for key, value in (
        ("approvedBy", status.approved_by),
        ("approvedAt", stamp(status.approved_at)),
        ("rejectedBy", status.rejected_by),
        ("rejectedAt", stamp(status.rejected_at)),
    ):
        if value:
            state[key] = value
    links = {key: url for key, url in (("ui", ui_url), ("temporal", temporal_url)) if url}
    if links:
        state["links"] = links
    return {
        "apiVersion": API_VERSION,
        "kind": "UpdateRequest",
        "metadata": {
            "name": status.request_name,
            "namespace": w.namespace,
            "labels": {
                "headwind.sh/target-kind": w.kind.value.lower(),
                "headwind.sh/target-name": w.name[:63],
            },
        },
        "spec": spec,
        "status": state,
    }
