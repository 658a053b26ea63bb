"""The update pages: the home page's list, approve and reject, and one update's detail.

Actions call the REST route's own function, so the UI cannot skip a check the API makes.
"""

from __future__ import annotations

import asyncio
import math
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response

from api import audit, auth
from api.auth import ReviewerDep, User
from api.deps import ServicesDep, UpdatesDep
from api.routes import updates as update_routes
from api.ui import rendering
from api.validation import require_in_scope
from clients.temporal import listing, operations
from headwind import validation
from headwind.models import Phase, WorkloadKind, WorkloadRef

router = APIRouter(include_in_schema=False)

MAX_TRAIL = 10
"""How many pages back "Previous" can go (their cursors ride in the URL; "First page" and the
browser's Back button always work)."""


def _link(query: dict[str, str], **more: str | int | None) -> str:
    params = {**query, **{k: str(v) for k, v in more.items() if v}}
    return "/?" + urlencode(params)


async def _updates_view(
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    user: User,
    *,
    namespace: str | None,
    kind: str | None,
    phase: str | None,
    q: str | None,
    cursor: str | None,
    trail: list[str],
    page: int,
) -> dict[str, Any]:
    error = None
    shown: list[listing.UpdateSummary] = []
    following: listing.Cursor | None = None
    counts: listing.Counts | None = None
    try:
        filters = update_routes.filters_of(services, namespace, phase, kind, q)
        result = await update_routes.list_page(
            updates, user, reviewer, filters, limit=rendering.PAGE_SIZE, cursor=cursor
        )
        shown, following = result.items, result.next
        counts = await update_routes.phase_counts(updates, user, reviewer, filters)
    except RequestValidationError as exc:
        error = "; ".join(str(e.get("msg", "")) for e in exc.errors())
    except (HTTPException, operations.DeadlineExceededError, ConnectionError) as exc:
        error = str(getattr(exc, "detail", exc))
    total = None
    if counts is not None:
        total = counts.phases.get(phase, 0) if phase else counts.total
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
    filters_shown = {"namespace": namespace, "kind": kind, "phase": phase, "q": q}
    query = {k: v for k, v in filters_shown.items() if v}
    here = _link(query, cursor=cursor, trail=".".join(trail), page=page if page > 1 else None)
    following_link = None
    if following is not None:
        behind = [*trail, cursor][-MAX_TRAIL:] if cursor else trail
        following_link = _link(
            query, cursor=following.encode(), trail=".".join(behind), page=page + 1
        )
    previous_link = None
    if trail:
        previous_link = _link(query, cursor=trail[-1], trail=".".join(trail[:-1]), page=page - 1)
    elif page == 2 and cursor:
        previous_link = _link(query)
    return {
        "updates": shown,
        "total": total,
        "counts": sorted(counts.phases.items()) if counts else None,
        "page": page,
        "pages": max(1, math.ceil(total / rendering.PAGE_SIZE)) if total is not None else None,
        "filters": filters_shown,
        "here": here,
        "first_link": _link(query) if cursor else None,
        "previous_link": previous_link,
        "next_link": following_link,
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
    cursor: Annotated[str | None, Query(max_length=listing.CURSOR_MAX_LENGTH)] = None,
    trail: Annotated[
        str | None, Query(max_length=(listing.CURSOR_MAX_LENGTH + 1) * MAX_TRAIL)
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The home page: update requests, pending first, with filters and actions."""
    user = await rendering.current_user(request, services, reviewer)
    namespace, kind, phase = rendering.clean(namespace, kind, phase)
    steps = [step for step in (trail or "").split(".") if step][-MAX_TRAIL:]
    view = await _updates_view(
        services,
        updates,
        reviewer,
        user,
        namespace=namespace,
        kind=kind,
        phase=phase,
        q=q,
        cursor=cursor,
        trail=steps,
        page=page if cursor else 1,
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
