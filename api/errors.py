"""One JSON shape for every error the API answers, declared in the OpenAPI schema.

Whatever refuses a request (a route's own check, FastAPI's validation, the body limit, a
Temporal deadline), the client reads `{"detail": "<why>"}`; a validation failure adds
`errors`, one entry per field, saying where and what is wrong. Nothing the client sent is
echoed back whole: a megabyte `approver` is refused in a few hundred bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from api import limits
from api.backends import ClusterUnavailableError
from clients.temporal import operations

__all__ = ["ErrorOut", "FieldError", "install", "invalid", "responses"]

log = logging.getLogger(__name__)

_MESSAGE_MAX = 300
"""Longest message kept from one validation error (they may quote what was sent)."""
_ERRORS_MAX = 20


class FieldError(BaseModel):
    """One invalid part of a request."""

    model_config = ConfigDict(frozen=True)

    loc: list[str | int]
    """Where: `["body", "approver"]`, `["path", "namespace"]`, `["query", "phase"]`."""
    msg: str
    type: str
    """pydantic's error type (`string_too_long`, `value_error`, `missing`, …)."""


class ErrorOut(BaseModel):
    """Every error answer: why, and for a 422 which fields."""

    model_config = ConfigDict(frozen=True)

    detail: str
    errors: list[FieldError] = []
    """Set on 422 answers: one entry per invalid field."""


_DESCRIPTIONS = {
    status.HTTP_400_BAD_REQUEST: "The body is not JSON (or nested too deeply to read).",
    status.HTTP_401_UNAUTHORIZED: "The request does not prove the webhook source's secret.",
    status.HTTP_403_FORBIDDEN: "The namespace is outside `HEADWIND_WATCH_NAMESPACES`.",
    status.HTTP_404_NOT_FOUND: "No such update request, workload, container or source.",
    status.HTTP_409_CONFLICT: "The request is not in a phase that allows the action.",
    status.HTTP_413_CONTENT_TOO_LARGE: "The body is larger than the limit.",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: (
        "A browser request (with `Origin`) whose body is not `application/json`."
    ),
    status.HTTP_422_UNPROCESSABLE_CONTENT: "A path segment, query parameter or field is invalid.",
    status.HTTP_503_SERVICE_UNAVAILABLE: (
        "Temporal or the apiserver cannot be reached, or the image index has not synced yet "
        "(see `Retry-After`)."
    ),
    status.HTTP_504_GATEWAY_TIMEOUT: (
        "Temporal or its worker did not answer in time; the message says what was recorded."
    ),
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of these error statuses, all with `ErrorOut` bodies."""
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_MAX else text[:_MESSAGE_MAX] + "…"


def _field_errors(raw: Sequence[Any]) -> list[FieldError]:
    return [
        FieldError(
            loc=[part if isinstance(part, int) else _short(str(part)) for part in e.get("loc", ())],
            msg=_short(str(e.get("msg", ""))),
            type=str(e.get("type", "value_error")),
        )
        for e in raw[:_ERRORS_MAX]
    ]


def invalid(loc: tuple[str | int, ...], message: str) -> RequestValidationError:
    """A 422 for a check a route makes itself, shaped like FastAPI's own."""
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def _answer(code: int, detail: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    body = ErrorOut(detail=_short(detail) if code == 422 else detail, **extra)
    return JSONResponse(body.model_dump(mode="json"), status_code=code, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = exc.headers
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
    return _answer(exc.status_code, detail, headers=headers)


def _allowed(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's)."""
    path = request.scope["path"]
    return sorted(
        {
            method
            for route in request.app.router.routes
            if isinstance(route, Route) and route.path_regex.match(path)
            for method in route.methods or ()
        }
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc.errors())
    where = "; ".join(
        ".".join(str(p) for p in e.loc) + f": {e.msg}" for e in errors[:3]
    )  # the first few are enough to read; `errors` has them all
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    detail = f"invalid request: {where}{more}"
    refused = getattr(request.state, "refused_input", None)
    if callable(refused):
        refused(detail)  # an audited action (`api.audit.auditing`) records why
    return _answer(status.HTTP_422_UNPROCESSABLE_CONTENT, detail, errors=errors)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: %s", request.method, request.url.path, exc)
    retry = {"Retry-After": str(limits.RETRY_AFTER_SECONDS)}
    return _answer(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers=retry)


async def _deadline(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: %s", request.method, request.url.path, exc)
    return _answer(status.HTTP_504_GATEWAY_TIMEOUT, str(exc))


def install(app: FastAPI) -> None:
    """Answer every error of `app` as an `ErrorOut`."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(operations.TemporalUnavailableError, _unavailable)
    app.add_exception_handler(ClusterUnavailableError, _unavailable)
    app.add_exception_handler(operations.DeadlineExceededError, _deadline)
