"""The app as `create_app` builds it, with fakes for Temporal (`Updates`) and the apiserver.

The fakes record every call, so a test can say "refused, and nothing was proposed"; a test
makes Temporal or the apiserver fail by setting `failure` or `up`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api import deps
from api.backends import ClusterUnavailableError
from api.deps import Services
from api.main import create_app
from api.routes import webhooks as webhook_route
from clients.temporal import listing, operations
from headwind import naming
from headwind.index import ImageIndex
from headwind.models import (
    ApprovalIn,
    Phase,
    Proposal,
    RejectIn,
    RollbackRequest,
    RollbackResult,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.settings import Settings

WEB = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="team", name="web")
REQUEST = naming.request_name(WEB, "app", "1.1.0")


LISTED = listing.UpdateSummary(
    workflow_id=naming.update_workflow_id("team", REQUEST),
    request_name=REQUEST,
    namespace="team",
    kind="Deployment",
    name="web",
    container="app",
    tag="1.1.0",
    repository="r.local/web",
    phase="Pending",
    started_at=datetime(2026, 1, 1, tzinfo=UTC),
    closed_at=None,
    running=True,
)


def deployment(name: str = "web", container: str = "app", image: str = "r.local/web:1.0") -> Any:
    return {
        "metadata": {"name": name, "namespace": "team", "annotations": {}},
        "spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}},
    }


def status_of(phase: Phase = Phase.PENDING, **changes: Any) -> UpdateStatus:
    return UpdateStatus(
        workflow_id=naming.update_workflow_id("team", REQUEST),
        request_name=REQUEST,
        workload=WEB,
        container="app",
        tag="1.1.0",
        phase=phase,
        **changes,
    )


@dataclass
class FakeUpdates:
    """Stands in for the starter; `failure` is raised by every call that reaches Temporal."""

    failure: Exception | None = None
    up: bool = True
    requests: tuple[str, ...] | None = (REQUEST,)
    """The update requests that exist (None: any name does)."""
    calls: list[tuple[str, Any]] = field(default_factory=list)
    listed: list[listing.UpdateSummary] = field(default_factory=lambda: [LISTED])
    """What the listing holds, in its order."""

    def _call(self, what: str, argument: Any) -> None:
        self.calls.append((what, argument))
        if self.failure is not None:
            raise self.failure

    def _known(self, namespace: str, name: str) -> None:
        if self.requests is not None and name not in self.requests:
            raise operations.NotFoundError(f"no update request {namespace}/{name}")

    async def propose(self, proposal: Proposal) -> operations.ProposalAccepted:
        self._call("propose", proposal)
        name = naming.request_name(proposal.workload, proposal.container, proposal.tag)
        return operations.ProposalAccepted(
            workflow_id=naming.update_workflow_id(proposal.workload.namespace, name),
            run_id="run",
            request_name=name,
            namespace=proposal.workload.namespace,
        )

    async def status(self, namespace: str, name: str) -> UpdateStatus:
        self._call("status", (namespace, name))
        self._known(namespace, name)
        return status_of()

    async def list_updates(
        self, filters: listing.Filters, *, limit: int, cursor: listing.Cursor | None
    ) -> listing.Page:
        self._call("list", filters)
        # The fake's page token is the offset into `listed`; the cursor around it is real.
        start = int(cursor.token) if cursor else 0
        end = start + limit
        following = None
        if end < len(self.listed):
            stage = listing.stages(filters)[-1]
            following = listing.Cursor(stage, str(end).encode(), filters.fingerprint())
        return listing.Page(items=self.listed[start:end], next=following)

    async def count_updates(self, filters: listing.Filters) -> listing.Counts:
        self._call("count", filters)
        phases = Counter(s.phase for s in self.listed)
        return listing.Counts(total=len(self.listed), phases=dict(phases))

    async def approve(self, namespace: str, name: str, body: ApprovalIn) -> UpdateStatus:
        self._call("approve", body)
        self._known(namespace, name)
        return status_of(Phase.COMPLETED, approved_by=body.approver or "anonymous")

    async def reject(self, namespace: str, name: str, body: RejectIn) -> UpdateStatus:
        self._call("reject", body)
        self._known(namespace, name)
        return status_of(Phase.REJECTED, rejected_by=body.approver or "anonymous")

    async def rollback(self, request: RollbackRequest, request_id: str | None) -> RollbackResult:
        self._call("rollback", request)
        return RollbackResult(
            workflow_id="rollback",
            workload=request.workload,
            container=request.container,
            rolled_back=True,
            message="rolled back",
            from_image="r.local/web:1.1",
            to_image="r.local/web:1.0",
            requested_by=request.requested_by,
        )

    async def reachable(self) -> bool:
        return self.up

    def acted(self) -> list[str]:
        """What reached Temporal, by operation name."""
        return [what for what, _ in self.calls]


@dataclass
class FakeCluster:
    """Stands in for the apiserver: the objects it holds, and whether it answers."""

    objects: dict[WorkloadRef, Any] = field(default_factory=lambda: {WEB: deployment()})
    up: bool = True

    async def workload(self, workload: WorkloadRef) -> Any:
        if not self.up:
            raise ClusterUnavailableError("the apiserver did not answer in 10s: timeout")
        return self.objects.get(workload)

    async def reachable(self) -> bool:
        return self.up


@dataclass
class Api:
    app: FastAPI
    updates: FakeUpdates
    cluster: FakeCluster
    index: ImageIndex


def build(
    *,
    updates: FakeUpdates | None = None,
    cluster: FakeCluster | None = None,
    index: ImageIndex | None = None,
    synced: bool = True,
    **values: Any,
) -> Api:
    """The real app with fakes behind its two dependencies; `values` are settings."""
    settings = Settings.model_validate({"webhook_token": "secret", **values})
    index = index if index is not None else ImageIndex()
    if synced:
        index.mark_synced()
    updates = updates or FakeUpdates()
    cluster = cluster or FakeCluster()
    app = create_app(settings, index=index)
    app.state.services = Services(
        settings=settings, temporal=cast(Client, None), kube=None, index=index
    )
    app.dependency_overrides[deps.get_updates] = lambda: updates
    app.dependency_overrides[deps.get_cluster] = lambda: cluster
    app.dependency_overrides[webhook_route.get_proposer] = lambda: updates.propose
    return Api(app=app, updates=updates, cluster=cluster, index=index)


def client(api: Api) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://headwind")
