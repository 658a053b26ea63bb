"""The audit log: one structured JSON line for every approve, reject and rollback."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["record"]

_log = logging.getLogger("headwind.audit")


def record(action: str, *, actor: str | None, target: str, outcome: str, **extra: object) -> None:
    _log.info(
        json.dumps(
            {
                "audit": action,
                "actor": actor or "anonymous",
                "target": target,
                "outcome": outcome,
                "at": datetime.now(UTC).isoformat(),
                **extra,
            },
            default=str,
        )
    )
