"""Checking every request at the door: path segments, query filters, body fields, scope.

The rules themselves are pure (`headwind.validation`); this module attaches them to FastAPI
parameters, so a namespace such as `a#b`, a workload named `.` or a NUL in a filter is a 422
before any handler runs, and the OpenAPI schema shows the grammar. It also holds the two
other checks every namespaced route makes: the namespace is inside
`HEADWIND_WATCH_NAMESPACES` (403 otherwise), and a JSON body is read as JSON whatever
`Content-Type` a command-line client sent.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BeforeValidator, Field

from api import errors
from headwind import validation
from headwind.models import Phase, WorkloadKind, WorkloadRef
from headwind.settings import Settings

__all__ = [
    "LABEL_PATTERN",
    "SUBDOMAIN_PATTERN",
    "Actor",
    "ContainerName",
    "JsonBodyRoute",
    "KindField",
    "KindFilter",
    "NamespaceFilter",
    "NamespacePath",
    "PhaseFilter",
    "Reason",
    "RequestNamePath",
    "require_in_scope",
    "workload_path",
]

LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def _kind(value: Any) -> Any:
    return WorkloadKind.parse(value) if isinstance(value, str) else value


def _phase(value: str) -> str:
    return validation.phase(value).value


def _kind_name(value: str) -> str:
    return WorkloadKind.parse(value).value


NamespacePath = Annotated[
    str,
    Path(
        max_length=validation.LABEL_MAX_LENGTH,
        description="A Kubernetes namespace (DNS-1123 label).",
        json_schema_extra={"pattern": LABEL_PATTERN},
    ),
    AfterValidator(validation.namespace),
]
RequestNamePath = Annotated[
    str,
    Path(
        max_length=validation.LABEL_MAX_LENGTH,
        description="An UpdateRequest name (DNS-1123 label).",
        json_schema_extra={"pattern": LABEL_PATTERN},
    ),
    AfterValidator(lambda v: validation.dns1123_label(v, "update request name")),
]
NamespaceFilter = Annotated[
    str | None,
    Query(
        max_length=validation.LABEL_MAX_LENGTH,
        description="Only this namespace (DNS-1123 label).",
        json_schema_extra={"pattern": LABEL_PATTERN},
    ),
    AfterValidator(lambda v: None if v is None else validation.namespace(v)),
]
PhaseFilter = Annotated[
    str | None,
    Query(max_length=32, description=f"Only this phase ({', '.join(Phase)}; any case)."),
    AfterValidator(lambda v: None if v is None else _phase(v)),
]
KindFilter = Annotated[
    str | None,
    Query(max_length=32, description="Only this kind (`Deployment`, `deploy`, `sts`, …)."),
    AfterValidator(lambda v: None if v is None else _kind_name(v)),
]
KindField = Annotated[WorkloadKind, BeforeValidator(_kind)]
"""A kind in a body: any case and the short forms `kubectl` accepts."""

ContainerName = Annotated[
    str,
    Field(max_length=validation.LABEL_MAX_LENGTH),
    AfterValidator(validation.container_name),
]
"""A container name (DNS-1123 label); `chart` for a HelmRelease."""
Actor = Annotated[
    str,
    Field(max_length=validation.ACTOR_MAX_LENGTH),
    AfterValidator(validation.actor),
]
"""Who approves, rejects, proposes or rolls back: bounded plain text."""
Reason = Annotated[
    str,
    Field(max_length=validation.REASON_MAX_LENGTH),
    AfterValidator(validation.reason),
]


def workload_path(
    kind: Annotated[
        str,
        Path(max_length=32, description="`deployment`, `statefulset`, `cronjob`, … or `deploy`"),
    ],
    namespace: NamespacePath,
    name: Annotated[
        str,
        Path(
            max_length=validation.SUBDOMAIN_MAX_LENGTH,
            description="The workload's name (DNS-1123 subdomain; at most 52 for a CronJob).",
            json_schema_extra={"pattern": SUBDOMAIN_PATTERN},
        ),
    ],
) -> WorkloadRef:
    """The workload a path names, its name checked by the rule of its kind."""
    try:
        parsed = WorkloadKind.parse(kind)
    except ValueError as exc:
        raise errors.invalid(("path", "kind"), str(exc)) from None
    try:
        validation.workload_name(parsed, name)
    except ValueError as exc:
        raise errors.invalid(("path", "name"), str(exc)) from None
    return WorkloadRef(kind=parsed, namespace=namespace, name=name)


def require_in_scope(settings: Settings, namespace: str) -> None:
    """403 unless `namespace` is one Headwind watches (every namespace when unscoped)."""
    scope = settings.watch_namespaces
    if scope and namespace not in scope:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"namespace {namespace!r} is outside HEADWIND_WATCH_NAMESPACES ({', '.join(scope)})",
        )


def _is_json(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class JsonBodyRoute(APIRoute):
    """A route whose body is JSON whatever the `Content-Type`, unless a browser sent it.

    `curl -d '{"approver":"me"}'` sends `application/x-www-form-urlencoded`; reading that as
    JSON is what its user meant. A browser, though, marks every cross-site request with
    `Origin`, and a form it posts on another site's behalf must not count as a JSON call (a
    JSON `Content-Type` would have needed a CORS preflight this API never grants): such a
    request gets 415.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def as_json(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if request.method in ("POST", "PUT", "PATCH") and not _is_json(content_type):
                if "origin" in request.headers:
                    raise HTTPException(
                        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        "send the body as JSON with Content-Type: application/json",
                    )
                headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
                request.scope["headers"] = [*headers, (b"content-type", b"application/json")]
                request = Request(request.scope, request.receive)
            return await handle(request)

        return as_json
