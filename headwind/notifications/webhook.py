"""The generic webhook: a JSON body per transition, signed so a receiver can trust it.

`X-Headwind-Signature: sha256=<hex>` is HMAC-SHA256 over `"<timestamp>.<body>"`, with the
timestamp (Unix seconds) sent as `X-Headwind-Timestamp`: binding the time into the MAC lets a
receiver refuse replays of an old delivery. `X-Headwind-Event-Id` repeats the event id, the
same on every retry of one transition, for the receiver to deduplicate.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from headwind.models import Notification
from headwind.notifications import content

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "payload",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Headwind-Signature"
TIMESTAMP_HEADER = "X-Headwind-Timestamp"
EVENT_ID_HEADER = "X-Headwind-Event-Id"


def payload(
    notification: Notification, links: content.Links, *, sent_at: datetime
) -> dict[str, Any]:
    """The JSON body: the event, the whole update as the REST API shows it, and the links."""
    return {
        "id": content.event_id(notification),
        "event": notification.event.value,
        "summary": content.headline(notification),
        "sentAt": sent_at.isoformat(),
        "update": notification.status.model_dump(mode="json", exclude={"timeline", "running"}),
        "links": links.model_dump(exclude_none=True),
    }


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Headwind-Signature` value of one delivery."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes,
    *,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    now: float,
    tolerance_seconds: float = 300,
) -> bool:
    """What a receiver does: the MAC matches and the timestamp is recent (no replay)."""
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
