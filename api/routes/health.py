"""Liveness: the process answers and its Temporal connection works."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, str]:
    """Report that the API runs and which Temporal namespace it serves."""
    return {"status": "ok", "temporal_namespace": services.temporal.namespace}
