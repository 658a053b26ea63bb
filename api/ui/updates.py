"""The update pages: the home page's list, approve and reject, and one update's detail.

Actions call the REST route's own function, so the UI cannot skip a check the API makes.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import audit, auth
from api.auth import ReviewerDep, User
from api.deps import ServicesDep, UpdatesDep
from api.routes import updates as update_routes
from api.ui import rendering
from api.validation import require_in_scope
from clients.temporal import operations
from headwind import validation
from headwind.models import Phase, WorkloadKind, WorkloadRef

router = APIRouter(include_in_schema=False)

_SORTS: dict[str, Callable[[operations.UpdateSummary], Any]] = {
    "started": lambda s: s.started_at or datetime.min.replace(tzinfo=UTC),
    "workload": lambda s: (s.namespace, s.kind, s.name, s.container),
    "phase": lambda s: s.phase,
    "tag": lambda s: s.tag,
}


async def _updates_view(
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    user: User,
    *,
    namespace: str | None,
    kind: str | None,
    phase: str | None,
    q: str | None,
    sort: str,
    page: int,
) -> dict[str, Any]:
    error = None
    try:
        found = await update_routes.list_updates(
            services, updates, user, reviewer, namespace=namespace, phase=None, kind=kind
        )
    except (HTTPException, operations.DeadlineExceededError, ConnectionError) as exc:
        found, error = [], str(getattr(exc, "detail", exc))
    counts = Counter(s.phase for s in found)
    if phase:
        found = [s for s in found if s.phase.lower() == phase.lower()]
    if q:
        needle = q.lower()
        found = [
            s
            for s in found
            if needle
            in f"{s.namespace}/{s.name} {s.container} {s.repository or ''}:{s.tag}".lower()
        ]
    key = _SORTS.get(sort.removeprefix("-"), _SORTS["started"])
    found.sort(key=key, reverse=sort.startswith("-") or sort == "started")
    # Pending first whatever the sort: they are what an approver came for.
    found.sort(key=lambda s: s.phase != Phase.PENDING.value)
    pages = max(1, math.ceil(len(found) / rendering.PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = found[(page - 1) * rendering.PAGE_SIZE : page * rendering.PAGE_SIZE]
    actionable: dict[str, bool] = {}
    for summary in shown:
        if summary.phase == Phase.PENDING.value:
            try:
                ref = WorkloadRef(
                    kind=WorkloadKind.parse(summary.kind),
                    namespace=summary.namespace,
                    name=summary.name,
                )
                actionable[summary.workflow_id] = (await auth.may(reviewer, user, "patch", ref))[0]
            except (ValueError, HTTPException):
                actionable[summary.workflow_id] = False
    filters = {"namespace": namespace, "kind": kind, "phase": phase, "q": q, "sort": sort}
    query = {k: v for k, v in filters.items() if v}
    return {
        "updates": shown,
        "total": len(found),
        "counts": sorted(counts.items()),
        "page": page,
        "pages": pages,
        "filters": filters,
        "query": urlencode(query),
        "actionable": actionable,
        "phases": [p.value for p in Phase],
        "kinds": [k.value for k in WorkloadKind],
        "error": error,
    }


@router.get("/", response_class=HTMLResponse)
@rendering.guarded
async def updates_page(
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    namespace: rendering.Text = None,
    kind: rendering.Text = None,
    phase: rendering.Text = None,
    q: rendering.Text = None,
    sort: Annotated[str, Query(max_length=16)] = "started",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The home page: update requests, pending first, with filters and actions."""
    user = await rendering.current_user(request, services, reviewer)
    namespace, kind, phase = rendering.clean(namespace, kind, phase)
    view = await _updates_view(
        request,
        services,
        updates,
        reviewer,
        user,
        namespace=namespace,
        kind=kind,
        phase=phase,
        q=q,
        sort=sort,
        page=page,
    )
    template = "updates_table.html" if request.headers.get("hx-request") else "updates.html"
    return rendering.page(request, template, user, title="Updates", **view)


async def _decision(
    request: Request,
    namespace: str,
    name: str,
    action: str,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    reason: str | None,
) -> Response:
    rendering.require_htmx(request)
    user = await rendering.current_user(request, services, reviewer)
    try:
        validation.namespace(namespace)
        validation.dns1123_label(name)
        require_in_scope(services.settings, namespace)
        attempt = await audit.auditing(action)(request, services, reviewer)
        if action == "approve":
            result = await update_routes.approve(
                namespace,
                name,
                updates,
                attempt,
                reviewer,
                services,
                update_routes.ApprovalBody(),
            )
        else:
            body = update_routes.RejectionBody(reason=validation.reason(reason) if reason else None)
            result = await update_routes.reject(
                namespace, name, updates, attempt, reviewer, services, body
            )
    except (HTTPException, operations.DeadlineExceededError, ValueError) as exc:
        return rendering.page(
            request,
            "result.html",
            user,
            ok=False,
            message=str(getattr(exc, "detail", exc)),
        )
    who = result.approved_by or result.rejected_by or user.name
    return rendering.page(
        request,
        "result.html",
        user,
        ok=True,
        message=f"{result.phase.value} by {who}: {result.message or result.tag}",
    )


@router.post("/ui/updates/{namespace}/{name}/approve", response_class=HTMLResponse)
@rendering.guarded
async def approve_fragment(
    request: Request,
    namespace: str,
    name: str,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
) -> Response:
    return await _decision(request, namespace, name, "approve", services, updates, reviewer, None)


@router.post("/ui/updates/{namespace}/{name}/reject", response_class=HTMLResponse)
@rendering.guarded
async def reject_fragment(
    request: Request,
    namespace: str,
    name: str,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    reason: Annotated[str | None, Form(max_length=1024)] = None,
) -> Response:
    return await _decision(request, namespace, name, "reject", services, updates, reviewer, reason)


def _events(services: ServicesDep, ref: WorkloadRef) -> list[dict[str, Any]]:
    kube = services.kube
    if kube is None:
        return []
    selector = f"involvedObject.kind={ref.kind.value},involvedObject.name={ref.name}"
    path = f"/api/v1/namespaces/{quote(ref.namespace, safe='')}/events"
    try:
        found = kube.request("GET", path, query=[("fieldSelector", selector)], timeout=5)
    except rendering.KUBE_TROUBLE:
        return []
    items = [i for i in found.get("items") or [] if isinstance(i, dict)]
    items.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""), reverse=True)
    return items[:20]


@router.get("/updates/{namespace}/{name}", response_class=HTMLResponse)
@rendering.guarded
async def update_page(
    request: Request,
    namespace: str,
    name: str,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
) -> Response:
    """One update request: timeline, images, policy, waiting-for, Events, Temporal link."""
    user = await rendering.current_user(request, services, reviewer)
    try:
        validation.namespace(namespace)
        validation.dns1123_label(name)
        require_in_scope(services.settings, namespace)
        found = await update_routes.get_update(namespace, name, updates, user, reviewer)
    except (HTTPException, operations.DeadlineExceededError, ValueError) as exc:
        code = getattr(exc, "status_code", 422 if isinstance(exc, ValueError) else 504)
        return rendering.page(
            request,
            "error.html",
            user,
            status_code=code,
            title="Update",
            detail=str(getattr(exc, "detail", exc)),
        )
    may_act = (
        found.phase is Phase.PENDING
        and (await auth.may(reviewer, user, "patch", found.workload))[0]
    )
    events = await asyncio.to_thread(_events, services, found.workload)
    return rendering.page(
        request,
        "update.html",
        user,
        title=f"Update {name}",
        update=found,
        may_act=may_act,
        events=events,
    )
