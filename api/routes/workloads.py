"""Workloads: manual rollback and the update history Headwind wrote on them."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from activities.kube.client import NotFound, resource_path
from api import audit, operations
from api.deps import ServicesDep
from headwind import annotations, records
from headwind.models import RollbackRequest, RollbackResult, WorkloadKind, WorkloadRef

router = APIRouter(prefix="/api/v1/workloads", tags=["workloads"])


class RollbackIn(BaseModel):
    """Which container to roll back, and optionally to what (default: the previous image)."""

    model_config = ConfigDict(extra="forbid")

    container: str = Field(min_length=1, max_length=253)
    to: str | None = Field(default=None, max_length=512)
    requested_by: str | None = None


def _workload(kind: str, namespace: str, name: str) -> WorkloadRef:
    try:
        return WorkloadRef(kind=WorkloadKind.parse(kind), namespace=namespace, name=name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.post("/{kind}/{namespace}/{name}/rollback")
async def rollback(
    kind: str,
    namespace: str,
    name: str,
    body: RollbackIn,
    services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> RollbackResult:
    """Roll a container back (durably); the abandoned tag is not proposed again."""
    workload = _workload(kind, namespace, name)
    request = RollbackRequest(
        workload=workload, container=body.container, to=body.to, requested_by=body.requested_by
    )
    result = await operations.rollback(
        services.temporal,
        request,
        task_queue=services.settings.temporal_task_queue,
        request_id=idempotency_key,
    )
    audit.record(
        "rollback",
        actor=body.requested_by,
        target=f"{workload}/{body.container}",
        outcome="rolled-back" if result.rolled_back else "refused",
        to=result.to_image,
        message=result.message,
    )
    if not result.rolled_back:
        raise HTTPException(status.HTTP_409_CONFLICT, result.message)
    return result


@router.get("/{kind}/{namespace}/{name}/history")
def history(
    kind: str, namespace: str, name: str, services: ServicesDep
) -> list[records.HistoryEntry]:
    """The update history annotation of a workload, newest first."""
    workload = _workload(kind, namespace, name)
    if services.kube is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no Kubernetes connection")
    try:
        obj = services.kube.get(resource_path(workload.kind, namespace, name))
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{workload} does not exist") from exc
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(annotations.UPDATE_HISTORY)
    entries, _ = records.parse_history(raw)
    return list(entries)
