"""Webhook deliveries already acted on, so a replayed delivery proposes nothing.

GitHub names every delivery (`X-GitHub-Delivery`, kept on a redelivery) but signs only the
body, so a captured request could be sent again with a valid signature. The ids of accepted
deliveries are remembered for a bounded time and number; a delivery seen again within it is
answered "duplicate". Proposals coalesce anyway, so this spares the work and the log noise
more than it protects a workload. Each API replica remembers its own deliveries.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["DeliveryMemory"]


class DeliveryMemory:
    """Delivery ids seen in the last `ttl` seconds, at most `capacity` of them (oldest go)."""

    def __init__(
        self,
        *,
        ttl: float = 24 * 3600.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def _forget_expired(self, now: float) -> None:
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) <= self._capacity:
                return
            del self._seen[oldest]

    def seen(self, delivery: str) -> bool:
        with self._lock:
            self._forget_expired(self._clock())
            return delivery in self._seen

    def remember(self, delivery: str) -> None:
        with self._lock:
            now = self._clock()
            self._seen[delivery] = now
            self._seen.move_to_end(delivery)
            self._forget_expired(now)
