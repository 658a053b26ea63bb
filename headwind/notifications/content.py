"""The event model every sink renders: headline, facts, links and the stable event id.

One place decides what a notification says, so Slack, Teams and the generic webhook never
disagree about an update; each renderer only lays these parts out in its own format.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from headwind.models import Notification, NotificationEvent, UpdateStatus

__all__ = [
    "HEADLINES",
    "Links",
    "decided_by",
    "event_id",
    "facts",
    "headline",
    "links",
    "offers_decision",
]

HEADLINES: dict[NotificationEvent, str] = {
    NotificationEvent.DETECTED: "Update detected",
    NotificationEvent.REQUEST_CREATED: "Approval requested",
    NotificationEvent.APPROVED: "Update approved",
    NotificationEvent.REJECTED: "Update rejected",
    NotificationEvent.COMPLETED: "Update completed",
    NotificationEvent.FAILED: "Update failed",
    NotificationEvent.ROLLBACK_TRIGGERED: "Rollback triggered",
    NotificationEvent.ROLLBACK_COMPLETED: "Rollback completed",
    NotificationEvent.ROLLBACK_FAILED: "Rollback failed",
    NotificationEvent.EXPIRED: "Approval request expired",
    NotificationEvent.SUPERSEDED: "Update superseded",
}
"""A short, stable title per event: the first thing a reader sees in every sink."""


class Links(BaseModel):
    """Where a reader can look further or decide; each is None when it cannot be offered."""

    model_config = ConfigDict(frozen=True)

    details: str | None = None
    """The update request in Headwind's REST API."""
    temporal: str | None = None
    """The update's workflow in the Temporal Web UI."""
    approve: str | None = None
    """A signed approval link (confirmation page); only on a pending request."""
    reject: str | None = None
    """A signed rejection link (confirmation page); only on a pending request."""


def event_id(notification: Notification) -> str:
    """Stable per transition (workflow ID + event): a retried send repeats it, receivers dedupe."""
    return f"{notification.status.workflow_id}/{notification.event.value}"


def headline(notification: Notification) -> str:
    status = notification.status
    return f"{HEADLINES[notification.event]}: {status.workload} ({status.container})"


def offers_decision(notification: Notification) -> bool:
    """Only the request itself carries Approve and Reject; every later message reports."""
    return notification.event is NotificationEvent.REQUEST_CREATED


def decided_by(status: UpdateStatus) -> str | None:
    """Who approved or rejected, as the workflow recorded it."""
    if status.rejected_by:
        return f"rejected by {status.rejected_by}"
    if status.approved_by:
        return f"approved by {status.approved_by}"
    return None


def facts(status: UpdateStatus) -> list[tuple[str, str]]:
    """Label and value pairs, in reading order; empty values are left out."""
    rows = [
        ("Workload", str(status.workload)),
        ("Container", status.container),
        ("Image", f"{status.current_image or '?'} → {status.new_image or status.tag}"),
        ("Policy", status.policy),
        ("Phase", status.phase.value),
        ("Reason", status.message or status.reason),
        ("Decision", decided_by(status) or ""),
    ]
    if status.expires_at is not None and status.approved_by is None:
        rows.append(("Expires", status.expires_at.strftime("%Y-%m-%d %H:%M UTC")))
    return [(label, value) for label, value in rows if value]


def links(
    status: UpdateStatus,
    *,
    public_url: str,
    temporal_ui_url: str | None,
    temporal_namespace: str,
    approve: str | None = None,
    reject: str | None = None,
) -> Links:
    """The links of one notification; URLs are given without a trailing slash."""
    ns = quote(status.workload.namespace, safe="")
    name = quote(status.request_name, safe="")
    temporal = None
    if temporal_ui_url:
        workflow = quote(status.workflow_id, safe="")
        temporal = (
            f"{temporal_ui_url}/namespaces/{quote(temporal_namespace, safe='')}"
            f"/workflows/{workflow}"
        )
    return Links(
        details=f"{public_url}/updates/{ns}/{name}",  # the web UI's page of the update
        temporal=temporal,
        approve=approve,
        reject=reject,
    )
