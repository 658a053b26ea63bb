"""What every page of the web UI shares: templates, the signed-in user, the page frame.

A page handler asks `current_user` for the caller (a sign-in redirect or an error page when
there is none, raised as `Unauthenticated` and answered by `guarded`), and renders with
`page`, which adds what the frame shows on every page (user, auth mode, Temporal links).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api import auth
from api.auth import ReviewerDep, User
from api.deps import ServicesDep
from clients.kube.client import TRANSPORT_ERRORS, KubeError
from headwind import validation
from headwind.models import WorkloadKind
from headwind.settings import AuthMode

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGE_SIZE = 25

KUBE_TROUBLE: tuple[type[Exception], ...] = (KubeError, ConnectionError, *TRANSPORT_ERRORS)

templates = Jinja2Templates(directory=HERE / "templates")


def humanize(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if abs(seconds) >= size:
            value = int(seconds // size)
            return f"{value}{unit} ago" if value >= 0 else f"in {-value}{unit}"
    return "just now"


templates.env.filters["ago"] = humanize
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")


class Unauthenticated(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def current_user(request: Request, services: ServicesDep, reviewer: ReviewerDep) -> User:
    try:
        return await auth.current_user(request, services, reviewer)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_401_UNAUTHORIZED:
            raise
        if services.settings.ui_auth_mode is AuthMode.TOKEN:
            target = "/signin?" + urlencode({"next": request.url.path})
            raise Unauthenticated(RedirectResponse(target, status.HTTP_303_SEE_OTHER)) from None
        raise Unauthenticated(
            page(
                request,
                "error.html",
                None,
                status_code=401,
                title="Who are you?",
                detail=str(exc.detail),
            )
        ) from None


def page(
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


def guarded(
    handler: Callable[..., Awaitable[Response]],
) -> Callable[..., Awaitable[Response]]:
    """Answer a page's unauthenticated caller with a sign-in redirect or page."""

    @functools.wraps(handler)
    async def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except Unauthenticated as exc:
            return exc.response

    return run


def require_htmx(request: Request) -> None:
    if request.headers.get("hx-request") != "true":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "the UI's actions are posted by its own pages only"
        )


Text = Annotated[str | None, Query(max_length=253)]


def clean(namespace: str | None, kind: str | None, phase: str | None) -> tuple[str | None, ...]:
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
