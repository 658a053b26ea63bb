"""Who is calling, and whether they may: the one identity dependency of the API and web UI.

`HEADWIND_UI_AUTH_MODE` decides where identity comes from — nowhere (`none`: everyone is
`anonymous`), the `X-User` header (`simple`), an authenticating proxy's header (`proxy`), or a
Kubernetes bearer token checked with TokenReview (`token`). Routes take `CurrentUserDep` and
never read identity from a body; only in `none` mode may a body name someone, as a label.

Authorization is Kubernetes RBAC in `token` mode: acting on a workload (approve, reject,
propose, roll back) needs `patch` on it, reading needs `get`, each asked with a
SubjectAccessReview. The other modes trust every authenticated user with everything, as the
proxy or network in front of Headwind is what decides who reaches it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request, status

from api import errors
from api.deps import ServicesDep
from clients.kube.client import TRANSPORT_ERRORS, KubeError
from clients.kube.reviews import Access, KubeReviews, ReviewedUser
from headwind import validation
from headwind.models import WorkloadRef
from headwind.settings import AuthMode, Settings

__all__ = [
    "ANONYMOUS",
    "TOKEN_COOKIE",
    "CurrentUserDep",
    "Reviewer",
    "ReviewerDep",
    "User",
    "acting_as",
    "current_user",
    "get_reviewer",
    "may",
    "permission",
    "require",
]

ANONYMOUS = "anonymous"
TOKEN_COOKIE = "headwind_token"
"""Where the web UI keeps the bearer token a person pasted on its sign-in page (`token` mode)."""

_SIMPLE_HEADER = "X-User"


@dataclass(frozen=True)
class User:
    """The caller, as the auth mode established them."""

    name: str
    groups: tuple[str, ...] = ()
    mode: AuthMode = AuthMode.NONE

    @property
    def anonymous(self) -> bool:
        return self.mode is AuthMode.NONE


class Reviewer(Protocol):
    """TokenReview and SubjectAccessReview, asynchronously (tests hand in a fake)."""

    async def authenticate(self, token: str) -> ReviewedUser | None: ...

    async def allowed(self, access: Access) -> tuple[bool, str]: ...


class _ThreadedReviewer:
    """`Reviewer` on the blocking review client, off the event loop."""

    def __init__(self, reviews: KubeReviews) -> None:
        self._reviews = reviews

    async def authenticate(self, token: str) -> ReviewedUser | None:
        return await asyncio.to_thread(self._reviews.authenticate, token)

    async def allowed(self, access: Access) -> tuple[bool, str]:
        return await asyncio.to_thread(self._reviews.allowed, access)


class _NoReviewer:
    async def authenticate(self, token: str) -> ReviewedUser | None:
        raise ConnectionError("no Kubernetes connection to review tokens with")

    async def allowed(self, access: Access) -> tuple[bool, str]:
        raise ConnectionError("no Kubernetes connection to review access with")


async def get_reviewer(services: ServicesDep) -> Reviewer:
    """Reviews through the app's apiserver connection; tests override this dependency."""
    if services.kube is None:
        return _NoReviewer()
    if services.reviews is None:
        services.reviews = KubeReviews(services.kube)
    return _ThreadedReviewer(services.reviews)


ReviewerDep = Annotated[Reviewer, Depends(get_reviewer)]

_REVIEW_TROUBLE: tuple[type[Exception], ...] = (
    KubeError,
    ConnectionError,
    TimeoutError,
    *TRANSPORT_ERRORS,
)


def _unauthenticated(detail: str, mode: AuthMode) -> HTTPException:
    challenge = {"WWW-Authenticate": "Bearer"} if mode is AuthMode.TOKEN else None
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=challenge)


def _unavailable(exc: Exception) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"the apiserver could not review the caller: {exc or type(exc).__name__}",
        headers={"Retry-After": "5"},
    )


def _named(value: str | None, mode: AuthMode, where: str) -> str:
    name = (value or "").strip()
    if not name:
        raise _unauthenticated(
            f"HEADWIND_UI_AUTH_MODE={mode.value}: no user name in the {where} header", mode
        )
    try:
        return validation.actor(name, f"the {where} header")
    except ValueError as exc:
        raise _unauthenticated(str(exc), mode) from None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


async def current_user(request: Request, services: ServicesDep, reviewer: ReviewerDep) -> User:
    """The caller; 401 when the auth mode cannot establish who they are."""
    settings: Settings = services.settings
    mode = settings.ui_auth_mode
    if mode is AuthMode.NONE:
        return User(ANONYMOUS)
    if mode is AuthMode.SIMPLE:
        return User(_named(request.headers.get(_SIMPLE_HEADER), mode, _SIMPLE_HEADER), (), mode)
    if mode is AuthMode.PROXY:
        name = _named(
            request.headers.get(settings.ui_auth_proxy_header), mode, settings.ui_auth_proxy_header
        )
        raw_groups = request.headers.get(settings.ui_auth_proxy_groups_header, "")
        groups = tuple(g.strip() for g in raw_groups.split(",") if g.strip())
        return User(name, groups, mode)
    token = _bearer(request)
    if token is None:
        raise _unauthenticated(
            "HEADWIND_UI_AUTH_MODE=token: send a Kubernetes bearer token "
            "(Authorization: Bearer <token>)",
            mode,
        )
    try:
        reviewed = await reviewer.authenticate(token)
    except _REVIEW_TROUBLE as exc:
        raise _unavailable(exc) from exc
    if reviewed is None:
        raise _unauthenticated("the bearer token is not valid (TokenReview refused it)", mode)
    return User(reviewed.username, reviewed.groups, mode)


CurrentUserDep = Annotated[User, Depends(current_user)]


async def may(
    reviewer: Reviewer, user: User, verb: str, workload: WorkloadRef, *, whole_kind: bool = False
) -> tuple[bool, str]:
    """Whether `user` may `verb` the workload (or, `whole_kind`, every one of its kind in its
    namespace), and why not."""
    if user.mode is not AuthMode.TOKEN:
        return True, ""
    access = Access(
        username=user.name,
        groups=user.groups,
        verb=verb,
        kind=workload.kind,
        namespace=workload.namespace,
        name=None if whole_kind else workload.name,
    )
    try:
        return await reviewer.allowed(access)
    except _REVIEW_TROUBLE as exc:
        raise _unavailable(exc) from exc


def permission(verb: str, workload: WorkloadRef) -> str:
    """`patch deployments.apps "web" in namespace "shop"`: what RBAC must grant."""
    group = workload.kind.api_version.rpartition("/")[0]
    return (
        f"{verb} {workload.kind.value.lower()}s.{group} {workload.name!r} "
        f"in namespace {workload.namespace!r}"
    )


async def require(reviewer: Reviewer, user: User, verb: str, workload: WorkloadRef) -> None:
    """403 naming the missing permission unless `user` may `verb` the workload."""
    allowed, reason = await may(reviewer, user, verb, workload)
    if not allowed:
        because = f" ({reason})" if reason else ""
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{user.name} may not {permission(verb, workload)}{because}",
        )


def acting_as(user: User, named: str | None, loc: tuple[str, ...]) -> str:
    """The name a decision is recorded under: the authenticated user, or in `none` mode the
    body's optional label. Any other mode refuses a body that names someone (422)."""
    if user.mode is AuthMode.NONE:
        return named or ANONYMOUS
    if named is not None:
        raise errors.invalid(
            loc,
            f"identity comes from authentication (HEADWIND_UI_AUTH_MODE={user.mode.value}), "
            "not from the body: leave this field out",
        )
    return user.name
