"""When to retry a registry request and how long to wait first.

Registries shed load with `429 Too Many Requests` (Docker Hub, GHCR) or `503`, usually with
`Retry-After`, either delta-seconds or an HTTP date. The client honours it when it is short,
otherwise backs off exponentially; both with jitter, so that the workers and workflows that
were throttled together do not all come back in the same instant.
"""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime

from .settings import OciSettings

__all__ = [
    "RETRY_ALWAYS",
    "RETRY_IF_IDEMPOTENT",
    "backoff_delay",
    "is_idempotent",
    "parse_retry_after",
    "should_retry",
]

RETRY_ALWAYS = frozenset({429, 503})
"""The registry refused before doing anything: safe to resend any request."""

RETRY_IF_IDEMPOTENT = frozenset({502, 504})
"""A gateway failed; the registry may have acted, so only GET/HEAD/PUT are resent."""

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


def is_idempotent(method: str) -> bool:
    return method.upper() in _IDEMPOTENT_METHODS


def should_retry(method: str, status: int) -> bool:
    """Whether a response with `status` to `method` is worth another attempt."""
    return status in RETRY_ALWAYS or (status in RETRY_IF_IDEMPOTENT and is_idempotent(method))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds from now (never negative), or None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(
    attempt: int, settings: OciSettings, rng: random.Random, retry_after: float | None = None
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    With `retry_after`: that long plus up to `backoff_base` of jitter (never sooner than the
    registry asked). Without: "equal jitter" exponential backoff, between half and all of
    `backoff_base * 2**attempt`, capped at `backoff_max`.
    """
    if retry_after is not None:
        return retry_after + rng.uniform(0, settings.backoff_base)
    ceiling = min(settings.backoff_max, settings.backoff_base * 2.0**attempt)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
