"""What the routes ask of Temporal and of the cluster, as two small protocols.

The routes speak to `Updates` (the starter's operations on the app's Temporal client, with
the app's task queue and deadlines) and to `Cluster` (reading one workload, with a deadline,
off the event loop). The app wires the real ones; tests hand in fakes through the same
dependencies (`api.deps.get_updates`, `api.deps.get_cluster`), so every route runs in
process without a Temporal server or an apiserver.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from temporalio.client import Client

from clients.kube.client import TRANSPORT_ERRORS, Kube, KubeError, NotFound, resource_path
from clients.temporal import listing, operations
from headwind.models import (
    ApprovalIn,
    Proposal,
    RejectIn,
    RollbackRequest,
    RollbackResult,
    UpdateStatus,
    WorkloadRef,
)

__all__ = [
    "Cluster",
    "ClusterUnavailableError",
    "KubeCluster",
    "NoCluster",
    "TemporalUpdates",
    "Updates",
]

JsonObj = dict[str, Any]

_UNREACHABLE: tuple[type[Exception], ...] = (TimeoutError, *TRANSPORT_ERRORS)
_TROUBLE: tuple[type[Exception], ...] = (KubeError, *_UNREACHABLE)


class ClusterUnavailableError(ConnectionError):
    """The apiserver could not be asked in time, or refused to answer (HTTP 503)."""


class Updates(Protocol):
    """The starter's operations, bound to one Temporal client."""

    async def propose(self, proposal: Proposal) -> operations.ProposalAccepted: ...

    async def status(self, namespace: str, name: str) -> UpdateStatus: ...

    async def list_updates(
        self, filters: listing.Filters, *, limit: int, cursor: listing.Cursor | None
    ) -> listing.Page: ...

    async def count_updates(self, filters: listing.Filters) -> listing.Counts: ...

    async def approve(self, namespace: str, name: str, body: ApprovalIn) -> UpdateStatus: ...

    async def reject(self, namespace: str, name: str, body: RejectIn) -> UpdateStatus: ...

    async def rollback(
        self, request: RollbackRequest, request_id: str | None
    ) -> RollbackResult: ...

    async def reachable(self) -> bool: ...


class Cluster(Protocol):
    """Reads the API needs from the apiserver."""

    async def workload(self, workload: WorkloadRef) -> JsonObj | None:
        """The object, or None when it does not exist."""
        ...

    async def reachable(self) -> bool: ...


class TemporalUpdates:
    """`Updates` on a Temporal client."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        deadlines: operations.Deadlines = operations.DEADLINES,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._deadlines = deadlines

    async def propose(self, proposal: Proposal) -> operations.ProposalAccepted:
        return await operations.propose(
            self._client, proposal, task_queue=self._task_queue, deadlines=self._deadlines
        )

    async def status(self, namespace: str, name: str) -> UpdateStatus:
        return await operations.get_status(self._client, namespace, name, deadlines=self._deadlines)

    async def list_updates(
        self, filters: listing.Filters, *, limit: int, cursor: listing.Cursor | None
    ) -> listing.Page:
        return await listing.list_updates(
            self._client, filters, limit=limit, cursor=cursor, deadlines=self._deadlines
        )

    async def count_updates(self, filters: listing.Filters) -> listing.Counts:
        return await listing.count_updates(self._client, filters, deadlines=self._deadlines)

    async def approve(self, namespace: str, name: str, body: ApprovalIn) -> UpdateStatus:
        return await operations.approve(
            self._client, namespace, name, body, deadlines=self._deadlines
        )

    async def reject(self, namespace: str, name: str, body: RejectIn) -> UpdateStatus:
        return await operations.reject(
            self._client, namespace, name, body, deadlines=self._deadlines
        )

    async def rollback(self, request: RollbackRequest, request_id: str | None) -> RollbackResult:
        return await operations.rollback(
            self._client,
            request,
            task_queue=self._task_queue,
            request_id=request_id,
            deadlines=self._deadlines,
        )

    async def reachable(self) -> bool:
        return await operations.ping(self._client, deadlines=self._deadlines)


class KubeCluster:
    """`Cluster` on the blocking JSON client, run in a thread with a deadline."""

    def __init__(self, kube: Kube, *, timeout: float = 10.0) -> None:
        self._kube = kube
        self._timeout = timeout

    async def _get(self, path: str) -> JsonObj:
        def get() -> JsonObj:
            return self._kube.request("GET", path, timeout=self._timeout)

        async with asyncio.timeout(self._timeout + 1):
            return await asyncio.to_thread(get)

    async def workload(self, workload: WorkloadRef) -> JsonObj | None:
        path = resource_path(workload.kind, workload.namespace, workload.name)
        try:
            return await self._get(path)
        except NotFound:
            return None
        except KubeError as exc:
            raise ClusterUnavailableError(
                f"the apiserver refused to read {workload}: {exc}"
            ) from exc
        except _UNREACHABLE as exc:
            raise ClusterUnavailableError(
                f"the apiserver did not answer in {self._timeout:g}s: {exc or 'timeout'}"
            ) from exc

    async def reachable(self) -> bool:
        try:
            await self._get("/version")
        except _TROUBLE:
            return False
        return True


class NoCluster:
    """`Cluster` of an app started without a Kubernetes connection."""

    async def workload(self, workload: WorkloadRef) -> JsonObj | None:
        raise ClusterUnavailableError("no Kubernetes connection")

    async def reachable(self) -> bool:
        return False
