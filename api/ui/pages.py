"""The web UI's pages and the htmx fragments they refresh or post to.

Pages are rendered on the server from the same dependencies the REST API uses, and every
action (approve, reject, roll back) calls the REST route's own function, so the UI cannot
skip a check the API makes: the caller is authenticated by `api.auth`, authorized by RBAC in
`token` mode, and audited. Actions are posted by htmx with its `HX-Request` header; a
cross-site form cannot set that header, so a browser tricked into posting is refused.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from prometheus_client import REGISTRY
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api import audit, auth
from api.auth import ReviewerDep, User
from api.deps import ClusterDep, ServicesDep, TagsDep, UpdatesDep
from api.routes import updates as update_routes
from api.routes import workloads as workload_routes
from api.validation import require_in_scope
from clients.kube.client import TRANSPORT_ERRORS, KubeError
from clients.temporal import operations
from headwind import records, validation
from headwind.models import Phase, WorkloadKind, WorkloadRef
from headwind.settings import AuthMode

__all__ = ["STATIC", "router"]

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGE_SIZE = 25

_KUBE_TROUBLE: tuple[type[Exception], ...] = (KubeError, ConnectionError, *TRANSPORT_ERRORS)

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def _humanize(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if abs(seconds) >= size:
            value = int(seconds // size)
            return f"{value}{unit} ago" if value >= 0 else f"in {-value}{unit}"
    return "just now"


templates.env.filters["ago"] = _humanize
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")


class _Unauthenticated(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _user(request: Request, services: ServicesDep, reviewer: ReviewerDep) -> User:
    try:
        return await auth.current_user(request, services, reviewer)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_401_UNAUTHORIZED:
            raise
        if services.settings.ui_auth_mode is AuthMode.TOKEN:
            target = "/signin?" + urlencode({"next": request.url.path})
            raise _Unauthenticated(RedirectResponse(target, status.HTTP_303_SEE_OTHER)) from None
        raise _Unauthenticated(
            _page(
                request,
                "error.html",
                None,
                status_code=401,
                title="Who are you?",
                detail=str(exc.detail),
            )
        ) from None


def _page(
    request: Request, name: str, user: User | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    services = request.app.state.services
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "auth_mode": services.settings.ui_auth_mode.value,
            "temporal_ui_url": services.settings.temporal_ui_url,
            "temporal_namespace": services.settings.temporal_namespace,
            **context,
        },
        status_code=status_code,
    )


def _guarded(
    handler: Callable[..., Awaitable[Response]],
) -> Callable[..., Awaitable[Response]]:
    """Answer a page's unauthenticated caller with a sign-in redirect or page."""

    @functools.wraps(handler)
    async def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except _Unauthenticated as exc:
            return exc.response

    return run


def _require_htmx(request: Request) -> None:
    if request.headers.get("hx-request") != "true":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "the UI's actions are posted by its own pages only"
        )


# -- updates ------------------------------------------------------------------------------------

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
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
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


Text = Annotated[str | None, Query(max_length=253)]


def _clean(namespace: str | None, kind: str | None, phase: str | None) -> tuple[str | None, ...]:
    try:
        return (
            validation.namespace(namespace) if namespace else None,
            WorkloadKind.parse(kind).value if kind else None,
            validation.phase(phase).value if phase else None,
        )
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query",), "msg": str(exc), "type": "value_error"}]
        ) from None


@router.get("/", response_class=HTMLResponse)
@_guarded
async def updates_page(
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
    namespace: Text = None,
    kind: Text = None,
    phase: Text = None,
    q: Text = None,
    sort: Annotated[str, Query(max_length=16)] = "started",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The home page: update requests, pending first, with filters and actions."""
    user = await _user(request, services, reviewer)
    namespace, kind, phase = _clean(namespace, kind, phase)
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
    return _page(request, template, user, title="Updates", **view)


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
    _require_htmx(request)
    user = await _user(request, services, reviewer)
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
        return _page(
            request,
            "result.html",
            user,
            ok=False,
            message=str(getattr(exc, "detail", exc)),
        )
    who = result.approved_by or result.rejected_by or user.name
    return _page(
        request,
        "result.html",
        user,
        ok=True,
        message=f"{result.phase.value} by {who}: {result.message or result.tag}",
    )


@router.post("/ui/updates/{namespace}/{name}/approve", response_class=HTMLResponse)
@_guarded
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
@_guarded
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
    except _KUBE_TROUBLE:
        return []
    items = [i for i in found.get("items") or [] if isinstance(i, dict)]
    items.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""), reverse=True)
    return items[:20]


@router.get("/updates/{namespace}/{name}", response_class=HTMLResponse)
@_guarded
async def update_page(
    request: Request,
    namespace: str,
    name: str,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: ReviewerDep,
) -> Response:
    """One update request: timeline, images, policy, waiting-for, Events, Temporal link."""
    user = await _user(request, services, reviewer)
    try:
        validation.namespace(namespace)
        validation.dns1123_label(name)
        require_in_scope(services.settings, namespace)
        found = await update_routes.get_update(namespace, name, updates, user, reviewer)
    except (HTTPException, operations.DeadlineExceededError, ValueError) as exc:
        code = getattr(exc, "status_code", 422 if isinstance(exc, ValueError) else 504)
        return _page(
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
    return _page(
        request,
        "update.html",
        user,
        title=f"Update {name}",
        update=found,
        may_act=may_act,
        events=events,
    )


# -- workloads ----------------------------------------------------------------------------------


@router.get("/workloads", response_class=HTMLResponse)
@_guarded
async def workloads_page(
    request: Request,
    services: ServicesDep,
    reviewer: ReviewerDep,
    namespace: Text = None,
    kind: Text = None,
    image: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Every watched workload with policy, event source, containers and annotation problems."""
    user = await _user(request, services, reviewer)
    namespace, kind, _ = _clean(namespace, kind, None)
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
        return _page(
            request,
            "error.html",
            user,
            status_code=exc.status_code,
            title="Workloads",
            detail=str(exc.detail),
        )
    return _page(
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
@_guarded
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
    user = await _user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        watched = await workload_routes.get_watched(ref, services, user, reviewer)
    except (HTTPException, ValueError) as exc:
        code = getattr(exc, "status_code", 422)
        return _page(
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
    return _page(
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
@_guarded
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
    user = await _user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        explanation = await workload_routes.explain(ref, services, user, reviewer, tags)
    except (HTTPException, ValueError) as exc:
        return _page(
            request, "result.html", user, ok=False, message=str(getattr(exc, "detail", exc))
        )
    return _page(request, "explain.html", user, explanation=explanation)


@router.post("/ui/workloads/{kind}/{namespace}/{name}/rollback", response_class=HTMLResponse)
@_guarded
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
    _require_htmx(request)
    user = await _user(request, services, reviewer)
    try:
        ref = _workload_ref(kind, namespace, name)
        require_in_scope(services.settings, ref.namespace)
        body = workload_routes.RollbackIn(container=container, to=to or None)
        attempt = await audit.auditing("rollback")(request, services, reviewer)
        result = await workload_routes.rollback(
            ref, body, updates, cluster, attempt, reviewer, services
        )
    except (HTTPException, operations.DeadlineExceededError, ValueError) as exc:
        return _page(
            request, "result.html", user, ok=False, message=str(getattr(exc, "detail", exc))
        )
    return _page(
        request,
        "result.html",
        user,
        ok=True,
        message=f"rolled back to {result.to_image} (from {result.from_image})",
    )


# -- observability ------------------------------------------------------------------------------

HEADLINES = (
    ("Updates applied", "headwind_updates_applied"),
    ("Pending approval", "headwind_updates_pending"),
    ("Rolled back", "headwind_rollbacks"),
    ("Webhook events", "headwind_webhook_events"),
    ("Polling errors", "headwind_polling_errors"),
    ("Failed updates", "headwind_updates_failed"),
)
"""(label, metric family) shown at the top of the observability page."""


def metric_totals() -> dict[str, float]:
    """Every family of this process's `/metrics`, its samples summed (`_total` dropped)."""
    totals: dict[str, float] = {}
    text = generate_latest(REGISTRY).decode()
    for family in text_string_to_metric_families(text):
        value = sum(
            s.value for s in family.samples if s.name in {family.name, family.name + "_total"}
        )
        totals[family.name] = value
    return totals


@router.get("/observability", response_class=HTMLResponse)
@_guarded
async def observability_page(
    request: Request, services: ServicesDep, reviewer: ReviewerDep
) -> Response:
    """Headline numbers from a live snapshot of this process's `/metrics`."""
    user = await _user(request, services, reviewer)
    totals = metric_totals()
    headlines = [(label, totals.get(name)) for label, name in HEADLINES]
    families = sorted((k, v) for k, v in totals.items() if k.startswith("headwind_"))
    template = "metrics_cards.html" if request.headers.get("hx-request") else "observability.html"
    return _page(
        request, template, user, title="Observability", headlines=headlines, families=families
    )


# -- sign-in (token mode) -----------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(
    request: Request, next: Annotated[str, Query(max_length=512)] = "/"
) -> Response:
    return _page(request, "signin.html", None, title="Sign in", next=_local(next), error=None)


def _local(target: str) -> str:
    # Only paths of this site: an open redirect would help phishing.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/signin", response_class=HTMLResponse)
async def signin(
    request: Request,
    services: ServicesDep,
    reviewer: ReviewerDep,
    token: Annotated[str, Form(max_length=8192)],
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    """Check a pasted bearer token with TokenReview and keep it in an HttpOnly cookie."""
    error: str | None = None
    try:
        reviewed = await reviewer.authenticate(token.strip())
    except _KUBE_TROUBLE as exc:
        reviewed, error = None, f"the apiserver could not review the token: {exc}"
    else:
        error = None if reviewed else "the token is not valid (TokenReview refused it)"
    if reviewed is None:
        return _page(
            request,
            "signin.html",
            None,
            status_code=401,
            title="Sign in",
            next=_local(next),
            error=error,
        )
    response = RedirectResponse(_local(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        auth.TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=8 * 3600,
    )
    return response


@router.post("/signout")
async def signout() -> Response:
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.TOKEN_COOKIE)
    return response
