"""Sign-in for `token` mode: a pasted bearer token, checked by TokenReview, kept in a cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import auth
from api.auth import ReviewerDep
from api.deps import ServicesDep
from api.ui import rendering

router = APIRouter(include_in_schema=False)


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(
    request: Request, next: Annotated[str, Query(max_length=512)] = "/"
) -> Response:
    return rendering.page(
        request, "signin.html", None, title="Sign in", next=_local(next), error=None
    )


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
    except rendering.KUBE_TROUBLE as exc:
        reviewed, error = None, f"the apiserver could not review the token: {exc}"
    else:
        error = None if reviewed else "the token is not valid (TokenReview refused it)"
    if reviewed is None:
        return rendering.page(
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
