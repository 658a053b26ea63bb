"""The detector: list+watch of the five kinds in background threads, feeding the image index.

One `clients.kube.watching.Watcher` per kind, cluster-wide, or per kind and namespace when
`HEADWIND_WATCH_NAMESPACES` scopes Headwind (namespaced RBAC cannot list across namespaces).
Each runs in a daemon thread: the kubernetes client blocks, and a watch lasts minutes.

The watch and the index run in every replica, because the API of every replica matches
webhooks against its own index. Leader election decides only who does once-per-cluster work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from clients.kube import client as kube_client
from clients.kube import watching
from headwind.index import ImageIndex
from headwind.models import WorkloadKind
from worker.detecting.indexing import IndexUpdater, Observer

__all__ = ["Detector"]

log = logging.getLogger("headwind.detector")


class Detector:
    """Watches annotated workloads and keeps `index` current until `stop`."""

    def __init__(
        self,
        source: watching.Source,
        index: ImageIndex,
        observer: Observer,
        *,
        namespaces: Sequence[str] = (),
        kinds: Sequence[WorkloadKind] = tuple(WorkloadKind),
        timing: watching.WatchTiming | None = None,
    ) -> None:
        self.index = index
        scopes: Sequence[str | None] = tuple(namespaces) or (None,)
        self.watchers = [
            watching.Watcher(
                source,
                kube_client.collection_path(kind, namespace),
                IndexUpdater(kind, index, observer, namespace=namespace),
                timing=timing or watching.WatchTiming(),
                name=f"{kind.value}s in {namespace or 'all namespaces'}",
            )
            for kind in kinds
            for namespace in scopes
        ]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for watcher in self.watchers:
            thread = threading.Thread(target=watcher.run, name=f"watch {watcher.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("watching %s", ", ".join(w.name for w in self.watchers))
        threading.Thread(target=self._mark_synced, name="index sync", daemon=True).start()

    def _mark_synced(self) -> None:
        while not self.wait_synced(timeout=60.0):
            if any(watcher.stopping for watcher in self.watchers):
                return
        self.index.mark_synced()
        log.info("image index complete: %d workloads watched", len(self.index.watched()))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every watch and wait (up to `timeout` in all) for their threads to end."""
        for watcher in self.watchers:
            watcher.stop()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            log.warning("watch threads still running at shutdown: %s", ", ".join(stuck))
        self._threads.clear()

    @property
    def synced(self) -> bool:
        """Every collection was listed at least once (the index is complete)."""
        return all(watcher.synced.is_set() for watcher in self.watchers)

    def wait_synced(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for watcher in self.watchers:
            if not watcher.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True
