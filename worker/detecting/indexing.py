"""Turns one watched collection's events into index updates and problem reports.

One `IndexUpdater` per watch (a kind, cluster-wide or in one namespace). A (re)list carries
the whole collection, so whatever the index holds for that scope and the list lacks was
deleted while the watch was down: it is dropped here, which is what makes a relist after
410 Gone correct. An object whose owner removed every Headwind annotation leaves the index
as if it had been deleted.
"""

from __future__ import annotations

from typing import Any, Protocol

from headwind import watched
from headwind.index import ImageIndex, WatchedWorkload
from headwind.models import WorkloadKind, WorkloadRef

__all__ = ["IndexUpdater", "Observer"]


class Observer(Protocol):
    """Hears about every indexed workload (the bad-annotation reporter)."""

    def observe(self, watched: WatchedWorkload) -> None: ...
    def forget(self, workload: WorkloadRef) -> None: ...


class IndexUpdater:
    """A `clients.kube.watching.WatchHandler` that keeps `index` current for one scope."""

    def __init__(
        self,
        kind: WorkloadKind,
        index: ImageIndex,
        observer: Observer,
        *,
        namespace: str | None = None,
    ) -> None:
        self.kind = kind
        self.namespace = namespace
        self._index = index
        self._observer = observer

    def listed(self, objects: list[dict[str, Any]]) -> None:
        present = {ref for obj in objects if (ref := self._apply(obj)) is not None}
        for ref in self._index.workloads():
            if self._in_scope(ref) and ref not in present:
                self._drop(ref)

    def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        if event_type == "DELETED":
            ref = watched.workload_ref(self.kind, obj)
            if ref is not None:
                self._drop(ref)
        else:
            self._apply(obj)

    def _apply(self, obj: dict[str, Any]) -> WorkloadRef | None:
        found = watched.from_object(self.kind, obj)
        if found is None:
            ref = watched.workload_ref(self.kind, obj)
            if ref is not None:
                self._drop(ref)
            return None
        self._index.put(found)
        self._observer.observe(found)
        return found.workload

    def _drop(self, ref: WorkloadRef) -> None:
        self._index.remove(ref)
        self._observer.forget(ref)

    def _in_scope(self, ref: WorkloadRef) -> bool:
        return ref.kind == self.kind and self.namespace in (None, ref.namespace)
