"""The workload pages: every watched workload, one workload, "why not updated?", rollback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import audit, auth
from api.auth import ReviewerDep
from api.deps import ClusterDep, ServicesDep, TagsDep, UpdatesDep
from api.routes import workloads as workload_routes
from api.ui import rendering
from api.validation import require_in_scope
from clients.temporal import operations
from headwind import records, validation
from headwind.models import WorkloadKind, WorkloadRef

router = APIRouter(include_in_schema=False)


@router.get("/workloads", response_class=HTMLResponse)
@rendering.guarded
async def workloads_page(
    request: Request,
    services: ServicesDep,
    reviewer: ReviewerDep,
    namespace: rendering.Text = None,
    kind: rendering.Text = None,
    image: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Every watched workload with policy, event source, containers and annotation problems."""
    user = await rendering.current_user(request, services, reviewer)
    namespace, kind, _ = rendering.clean(namespace, kind, None)
    try:
        listing = await workload_routes.list_watched(
            services,
            user,
            reviewer,
            namespace=namespace,
            kind=kind,
            image=image or None,
            repository=None,
        )
    except HTTPException as exc:
        return rendering.page(
            request,
            "error.html",
            user,
            status_code=exc.status_code,
            title="Workloads",
            detail=str(exc.detail),
        )
    return rendering.page(
        request,
        "workloads.html",
        user,
        title="Workloads",
        listing=listing,
        filters={"namespace": namespace, "kind": kind, "image": image},
        kinds=[k.value for k in WorkloadKind],
    )


def _workload_ref(kind: str, namespace: str, name: str) -> WorkloadRef:
    parsed = WorkloadKind.parse(kind)
    return WorkloadRef(
        kind=parsed,
        namespace=validation.namespace(namespace),
        name=validation.workload_name(parsed, name),
    )


@router.get("/workloads/{kind}/{namespace}/{name}", response_class=HTMLResponse)
@rendering.guarded
async def workload_page(
    request: Request,
    kind: str,
    namespace: str,
    name: str,
    services: ServicesDep,
    cluster: ClusterDep,
    reviewer: ReviewerDep,
) -> Response:
    """One workload: containers, "why not updated?" (loaded on demand) and its history."""
    user = await rendering.current_user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        watched = await workload_routes.get_watched(ref, services, user, reviewer)
    except (HTTPException, ValueError) as exc:
        code = getattr(exc, "status_code", 422)
        return rendering.page(
            request,
            "error.html",
            user,
            status_code=code,
            title="Workload",
            detail=str(getattr(exc, "detail", exc)),
        )
    history: list[records.HistoryEntry] = []
    history_error = None
    try:
        history = await workload_routes.history(ref, cluster, user, reviewer)
    except (HTTPException, ConnectionError) as exc:
        history_error = str(getattr(exc, "detail", exc))
    may_roll_back = (await auth.may(reviewer, user, "patch", ref))[0]
    return rendering.page(
        request,
        "workload.html",
        user,
        title=str(ref),
        ref=ref,
        watched=watched,
        history=history,
        history_error=history_error,
        may_roll_back=may_roll_back,
        kind_path=ref.kind.value.lower(),
    )


@router.get("/ui/workloads/{kind}/{namespace}/{name}/explain", response_class=HTMLResponse)
@rendering.guarded
async def explain_fragment(
    request: Request,
    kind: str,
    namespace: str,
    name: str,
    services: ServicesDep,
    reviewer: ReviewerDep,
    tags: TagsDep,
) -> Response:
    """The "why not updated?" table: every registry tag with its verdict."""
    user = await rendering.current_user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        explanation = await workload_routes.explain(ref, services, user, reviewer, tags)
    except (HTTPException, ValueError) as exc:
        return rendering.page(
            request, "result.html", user, ok=False, message=str(getattr(exc, "detail", exc))
        )
    return rendering.page(request, "explain.html", user, explanation=explanation)


@router.post("/ui/workloads/{kind}/{namespace}/{name}/rollback", response_class=HTMLResponse)
@rendering.guarded
async def rollback_fragment(
    request: Request,
    kind: str,
    namespace: str,
    name: str,
    services: ServicesDep,
    updates: UpdatesDep,
    cluster: ClusterDep,
    reviewer: ReviewerDep,
    container: Annotated[str, Form(max_length=63)],
    to: Annotated[str | None, Form(max_length=512)] = None,
) -> Response:
    """Roll a container back through the manual rollback workflow."""
    rendering.require_htmx(request)
    user = await rendering.current_user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        require_in_scope(services.settings, ref.namespace)
        body = workload_routes.RollbackIn(container=container, to=to or None)
        attempt = await audit.auditing("rollback")(request, services, reviewer)
        result = await workload_routes.rollback(
            ref, body, updates, cluster, attempt, reviewer, services
        )
    except (HTTPException, operations.DeadlineExceededError, ValueError) as exc:
        return rendering.page(
            request, "result.html", user, ok=False, message=str(getattr(exc, "detail", exc))
        )
    return rendering.page(
        request,
        "result.html",
        user,
        ok=True,
        message=f"rolled back to {result.to_image} (from {result.from_image})",
    )
