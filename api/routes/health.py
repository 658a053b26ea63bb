"""Probes: `/livez` (the process answers), `/readyz` (it can do its work), `/health`.

Readiness needs three things: Temporal answers, the apiserver answers, and the image index has
been listed once since start. Before that, a webhook would be matched against an index that
looks empty and be lost, so webhooks are answered 503 with `Retry-After` too.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict

from api.deps import ClusterDep, ServicesDep, UpdatesDep

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str


class Readiness(BaseModel):
    """Whether this replica can serve, and which dependency holds it back."""

    model_config = ConfigDict(frozen=True)

    ready: bool
    temporal: bool
    """Temporal's frontend answered a health check."""
    apiserver: bool
    """The Kubernetes apiserver answered `/version`."""
    index_synced: bool
    """Every watched collection has been listed once since start."""


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, str]:
    """Report that the API runs and which Temporal namespace it serves."""
    return {"status": "ok", "temporal_namespace": services.settings.temporal_namespace}


@router.get("/livez")
async def livez() -> Liveness:
    """The process answers (restart it if not); depends on nothing else."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    responses={
        status.HTTP_503_SERVICE_UNAVAILABLE: {
            "model": Readiness,
            "description": "Not ready: the fields say what is missing.",
        }
    },
)
async def readyz(
    response: Response, services: ServicesDep, updates: UpdatesDep, cluster: ClusterDep
) -> Readiness:
    """Ready when Temporal and the apiserver answer and the image index has synced."""
    temporal, apiserver = await asyncio.gather(updates.reachable(), cluster.reachable())
    synced = services.index.synced
    readiness = Readiness(
        ready=temporal and apiserver and synced,
        temporal=temporal,
        apiserver=apiserver,
        index_synced=synced,
    )
    if not readiness.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return readiness
