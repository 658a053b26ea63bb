"""Checking every request at the door: path segments, query filters, body fields, scope.

The rules themselves are pure (`headwind.validation`); this module attaches them to FastAPI
parameters, so a namespace such as `a#b`, a workload named `.` or a NUL in a filter is a 422
before any handler runs, and the OpenAPI schema shows the grammar. It also holds the other
check every namespaced route makes: the namespace is inside `HEADWIND_WATCH_NAMESPACES`
(403 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, status
from pydantic import AfterValidator, BeforeValidator, Field

from api import errors
from headwind import validation
from headwind.models import Phase, WorkloadKind, WorkloadRef
from headwind.settings import Settings

__all__ = [
    "LABEL_PATTERN",
    "SUBDOMAIN_PATTERN",
    "TAG_PATTERN",
    "Actor",
    "ContainerName",
    "KindField",
    "KindFilter",
    "NamespaceField",
    "NamespaceFilter",
    "NamespacePath",
    "PhaseFilter",
    "Reason",
    "RequestNamePath",
    "require_in_scope",
    "workload_path",
]

LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$"
"""An OCI tag, or a chart version (which may also hold `+`) for a HelmRelease."""
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
        examples=["shop"],
        json_schema_extra={"pattern": LABEL_PATTERN},
    ),
    AfterValidator(validation.namespace),
]
RequestNamePath = Annotated[
    str,
    Path(
        max_length=validation.LABEL_MAX_LENGTH,
        description="An UpdateRequest name (DNS-1123 label).",
        examples=["web-web-1-1-0-4aed32d764"],
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

NamespaceField = Annotated[
    str,
    Field(max_length=validation.LABEL_MAX_LENGTH, json_schema_extra={"pattern": LABEL_PATTERN}),
    AfterValidator(validation.namespace),
]
ContainerName = Annotated[
    str,
    Field(max_length=validation.LABEL_MAX_LENGTH, json_schema_extra={"pattern": LABEL_PATTERN}),
    AfterValidator(validation.container_name),
]
"""A container name (DNS-1123 label); `chart` for a HelmRelease."""
Actor = Annotated[
    str,
    Field(
        max_length=validation.ACTOR_MAX_LENGTH,
        json_schema_extra={"pattern": validation.PLAIN_TEXT_PATTERN},
    ),
    AfterValidator(validation.actor),
]
"""Who approves, rejects, proposes or rolls back: bounded plain text."""
Reason = Annotated[
    str,
    Field(
        max_length=validation.REASON_MAX_LENGTH,
        json_schema_extra={"pattern": validation.PLAIN_LINES_PATTERN},
    ),
    AfterValidator(validation.reason),
]


def workload_path(
    kind: Annotated[
        str,
        Path(
            max_length=32,
            description="`deployment`, `statefulset`, `daemonset`, `cronjob`, `helmrelease`, "
            "in any case, plural, or short (`deploy`, `sts`, `ds`, `cj`, `hr`).",
            examples=["deployment"],
        ),
    ],
    namespace: NamespacePath,
    name: Annotated[
        str,
        Path(
            max_length=validation.SUBDOMAIN_MAX_LENGTH,
            description="The workload's name (DNS-1123 subdomain; at most 52 for a CronJob).",
            examples=["web"],
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
