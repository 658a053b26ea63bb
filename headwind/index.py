"""The in-memory index from image repository to the workload containers that run it.

The Kubernetes watcher keeps it current; webhooks and pollers read it. A registry event is
matched by normalised `registry/repository`, so handling a webhook never lists the
cluster and a push to `registry.example.com/team/nginx` never touches Docker Hub's `nginx`.
Thread-safe: the watch runs in its own thread while the API reads.

Besides the subscribers, the index keeps what the watcher saw of each workload (a
`WatchedWorkload`: parsed annotations, their problems, containers it could not index), so the
API can answer "what is watched, and why is this container not considered" without asking
the cluster.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from headwind.annotations import AnnotationProblem, WorkloadAnnotations
from headwind.models import WorkloadKind, WorkloadRef

__all__ = ["ImageIndex", "Subscriber", "Unindexed", "WatchedWorkload"]


@dataclass(frozen=True)
class Subscriber:
    """One workload container that runs an image of a repository (or a HelmRelease's chart)."""

    workload: WorkloadRef
    container: str
    image: str
    """The reference as written on the workload (`chart:version` for a HelmRelease)."""
    repository: str
    """Normalised `registry/repository`, or `helm:<namespace>/<source>/<chart>` for charts."""
    tag: str
    """The current tag (or chart version); empty for a digest-only reference."""
    digest: str | None
    annotations: WorkloadAnnotations


@dataclass(frozen=True)
class Unindexed:
    """A container of a watched workload that no registry event can reach, and why."""

    container: str
    image: str
    reason: str


@dataclass(frozen=True)
class WatchedWorkload:
    """Everything the watcher learnt from one annotated workload, as of `resource_version`."""

    workload: WorkloadRef
    uid: str
    """The object's UID: Events point at it, and a re-created object gets a new one."""
    generation: int
    resource_version: str
    annotations: WorkloadAnnotations
    problems: tuple[AnnotationProblem, ...]
    """Annotation values Headwind could not use (reported as a Warning Event)."""
    subscribers: tuple[Subscriber, ...]
    unindexed: tuple[Unindexed, ...] = ()


class ImageIndex:
    """Repository → subscribers, replaced per workload as watch events arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workload: dict[WorkloadRef, tuple[Subscriber, ...]] = {}
        self._by_repository: dict[str, dict[tuple[WorkloadRef, str], Subscriber]] = {}
        self._watched: dict[WorkloadRef, WatchedWorkload] = {}
        self._synced = threading.Event()

    @property
    def synced(self) -> bool:
        """Whether every watched collection has been listed once (the index is complete)."""
        return self._synced.is_set()

    def mark_synced(self) -> None:
        self._synced.set()

    def put(self, watched: WatchedWorkload) -> None:
        """Record what the watcher saw of a workload, replacing its earlier subscribers."""
        with self._lock:
            self._watched[watched.workload] = watched
            self._replace(watched.workload, watched.subscribers)

    def replace(self, workload: WorkloadRef, subscribers: Iterable[Subscriber]) -> None:
        """Set what a workload runs now (an empty list removes its subscribers)."""
        with self._lock:
            self._replace(workload, tuple(subscribers))

    def remove(self, workload: WorkloadRef) -> None:
        """Forget a workload entirely (deleted, or no longer annotated)."""
        with self._lock:
            self._watched.pop(workload, None)
            self._replace(workload, ())

    def _replace(self, workload: WorkloadRef, fresh: tuple[Subscriber, ...]) -> None:
        for old in self._by_workload.pop(workload, ()):
            entries = self._by_repository.get(old.repository)
            if entries is not None:
                entries.pop((old.workload, old.container), None)
                if not entries:
                    del self._by_repository[old.repository]
        if fresh:
            self._by_workload[workload] = fresh
        for sub in fresh:
            self._by_repository.setdefault(sub.repository, {})[(workload, sub.container)] = sub

    def lookup(self, repository: str) -> list[Subscriber]:
        """Every container running `repository`, in a stable order."""
        with self._lock:
            found = list(self._by_repository.get(repository, {}).values())
        return sorted(found, key=lambda s: (str(s.workload), s.container))

    def repositories(self) -> dict[str, list[Subscriber]]:
        """A snapshot of the whole index (for pollers)."""
        with self._lock:
            return {repo: list(entries.values()) for repo, entries in self._by_repository.items()}

    def get(self, workload: WorkloadRef) -> WatchedWorkload | None:
        with self._lock:
            return self._watched.get(workload)

    def watched(self) -> list[WatchedWorkload]:
        """Every watched workload, in a stable order."""
        with self._lock:
            found = list(self._watched.values())
        return sorted(found, key=lambda w: str(w.workload))

    def workloads(self) -> list[WorkloadRef]:
        with self._lock:
            return list(self._watched.keys() | self._by_workload.keys())

    def count_by_kind(self) -> dict[WorkloadKind, int]:
        """Watched workloads per kind, for the `headwind_*_watched` gauges."""
        with self._lock:
            counts = Counter(w.kind for w in self._watched.keys() | self._by_workload.keys())
        return {kind: counts.get(kind, 0) for kind in WorkloadKind}

    def clear(self) -> None:
        with self._lock:
            self._by_workload.clear()
            self._by_repository.clear()
            self._watched.clear()
