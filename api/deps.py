"""Dependencies of the route handlers: the clients the lifespan opened, as `Annotated` aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api import limits
from api.backends import Cluster, KubeCluster, NoCluster, TemporalUpdates, Updates
from api.deliveries import DeliveryMemory
from api.explaining import TagSource
from clients.kube.client import Kube
from clients.kube.reviews import KubeReviews
from clients.temporal import operations
from headwind.index import ImageIndex
from headwind.settings import Settings

__all__ = [
    "ClusterDep",
    "Services",
    "ServicesDep",
    "TagsDep",
    "UpdatesDep",
    "get_cluster",
    "get_tags",
    "get_updates",
]


@dataclass
class Services:
    """What the app opened once at start and shares between requests."""

    settings: Settings
    temporal: Client
    kube: Kube | None
    index: ImageIndex
    """Repository → workload containers, kept current by the watcher of the same process."""
    deadlines: operations.Deadlines = limits.DEADLINES
    deliveries: DeliveryMemory = field(default_factory=DeliveryMemory)
    """Webhook deliveries already accepted (replays are answered "duplicate")."""
    reviews: KubeReviews | None = None
    """TokenReview and SubjectAccessReview with their short cache (`token` auth mode)."""
    tags: TagSource | None = None
    """Lists registry tags for "why not updated?" (None: no registry clients were opened)."""


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# Dependencies are coroutines although they only read attributes: FastAPI runs a plain `def`
# dependency on the thread pool, a hop that cost more than the rest of an unmatched webhook.
ServicesDep = Annotated[Services, Depends(_services)]


async def get_updates(services: ServicesDep) -> Updates:
    """The starter on the app's Temporal client; tests override this dependency."""
    return TemporalUpdates(
        services.temporal,
        task_queue=services.settings.temporal_task_queue,
        deadlines=services.deadlines,
    )


async def get_cluster(services: ServicesDep) -> Cluster:
    """Reads from the app's apiserver connection; tests override this dependency."""
    if services.kube is None:
        return NoCluster()
    return KubeCluster(services.kube, timeout=limits.KUBE_TIMEOUT_SECONDS)


UpdatesDep = Annotated[Updates, Depends(get_updates)]
ClusterDep = Annotated[Cluster, Depends(get_cluster)]


class _NoTags:
    async def tags(self, sub: object) -> list[str]:
        raise ConnectionError("no registry clients: the API was started without Kubernetes")


async def get_tags(services: ServicesDep) -> TagSource:
    """Registry tags through the app's registry clients; tests override this dependency."""
    return services.tags if services.tags is not None else _NoTags()


TagsDep = Annotated[TagSource, Depends(get_tags)]
