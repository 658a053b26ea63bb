"""Turning an HTTP answer the operation cannot use into the right `RegistryError`.

The OCI spec puts machine-readable codes in error bodies
(`{"errors": [{"code": "MANIFEST_UNKNOWN", "message": ...}]}`); they go into the exception
and its message, because "MANIFEST_UNKNOWN" and "NAME_UNKNOWN" (wrong tag versus wrong
repository) are what a user needs to fix a workload's annotation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from . import errors, retrying

__all__ = ["error_codes", "error_for_response", "json_object"]


def error_codes(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    """(code, message) pairs from an OCI error body; empty when the body is something else."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        return ()
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return ()
    pairs = []
    for item in body["errors"]:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            pairs.append((item["code"], str(item.get("message") or "")))
    return tuple(pairs)


def error_for_response(
    response: httpx.Response, *, registry: str, repository: str | None, action: str
) -> errors.RegistryError:
    """The exception for `response`, a failed attempt at `action` ("list tags", ...)."""
    status = response.status_code
    pairs = error_codes(response)
    codes = [code for code, _ in pairs]
    detail = "; ".join(f"{code}: {text}" if text else code for code, text in pairs)
    message = f"{action}: HTTP {status}" + (f" ({detail})" if detail else "")
    if status == 429:
        retry_after = retrying.parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            message += f", retry after {retry_after:.0f}s"
        return errors.RateLimitedError(
            message, registry=registry, repository=repository, codes=codes, retry_after=retry_after
        )
    kind = _BY_STATUS.get(status)
    if kind is None:
        kind = errors.RegistryServerError if status >= 500 else errors.RegistryResponseError
    return kind(message, registry=registry, repository=repository, status=status, codes=codes)


_BY_STATUS: dict[int, type[errors.RegistryResponseError]] = {
    401: errors.AuthenticationError,
    403: errors.AccessDeniedError,
    404: errors.NotFoundError,
}


def json_object(
    response: httpx.Response, *, registry: str, repository: str | None
) -> Mapping[str, Any]:
    """The JSON object in `response`'s body, or `RegistryProtocolError`."""
    where = response.request.url.copy_with(query=None)
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise errors.RegistryProtocolError(
            f"{where} answered invalid JSON: {error}", registry=registry, repository=repository
        ) from error
    if not isinstance(body, dict):
        raise errors.RegistryProtocolError(
            f"{where} answered JSON that is not an object",
            registry=registry,
            repository=repository,
        )
    return body
