"""Exceptions of the OCI Distribution client, one class per thing a caller decides differently.

Callers (the poller, the Helm discovery, `headwind dev push`) need to tell apart "try again
later" from "fix your credentials" from "that repository does not exist", so every failure
of a registry operation is a `RegistryError` and its subclass says which kind it is::

    RegistryError                   anything that went wrong talking to a registry
    ├── RegistryUnreachableError    no HTTP answer: DNS, connect, TLS, timeout (after retries)
    ├── RegistryProtocolError       an answer that breaks the protocol: bad JSON, missing
    │   │                           header, a `Link` to another host
    │   └── DigestMismatchError     content does not hash to the digest it was asked/sent for
    └── RegistryResponseError       an HTTP status the operation cannot use; `.status`, `.codes`
        ├── AuthenticationError     401, or the token endpoint refused: credentials missing/wrong
        ├── AccessDeniedError       403: authenticated, but not allowed
        ├── NotFoundError           404: repository, manifest, tag or blob unknown
        ├── RateLimitedError        429 after the bounded retries; `.retry_after` in seconds
        └── RegistryServerError     5xx after the bounded retries

`retryable` tells a Temporal activity whether another attempt can help, so the activity can
raise a non-retryable `ApplicationError` for bad credentials instead of burning retries.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "DigestMismatchError",
    "NotFoundError",
    "RateLimitedError",
    "RegistryError",
    "RegistryProtocolError",
    "RegistryResponseError",
    "RegistryServerError",
    "RegistryUnreachableError",
]


class RegistryError(Exception):
    """A registry operation failed; `registry` and `repository` say where."""

    retryable: bool = False
    """Whether trying the same operation again later may succeed."""

    def __init__(self, message: str, *, registry: str, repository: str | None = None) -> None:
        super().__init__(message)
        self.registry = registry
        self.repository = repository

    @property
    def message(self) -> str:
        return str(self.args[0])

    def __str__(self) -> str:
        where = self.registry if self.repository is None else f"{self.registry}/{self.repository}"
        return f"{where}: {self.message}"


class RegistryUnreachableError(RegistryError):
    """No HTTP answer at all (after the bounded retries): network, DNS, TLS or timeout."""

    retryable = True


class RegistryProtocolError(RegistryError):
    """The registry answered, but not in a way the OCI Distribution spec allows."""


class DigestMismatchError(RegistryProtocolError):
    """Content does not hash to its digest: a broken or hostile registry, never retried."""


class RegistryResponseError(RegistryError):
    """An HTTP status the operation cannot use; `codes` are the OCI error codes of the body."""

    def __init__(
        self,
        message: str,
        *,
        registry: str,
        repository: str | None = None,
        status: int,
        codes: Sequence[str] = (),
    ) -> None:
        super().__init__(message, registry=registry, repository=repository)
        self.status = status
        self.codes = tuple(codes)


class AuthenticationError(RegistryResponseError):
    """Credentials are missing or wrong (401, or the token endpoint refused them)."""


class AccessDeniedError(RegistryResponseError):
    """Authenticated, but these credentials may not do this (403)."""


class NotFoundError(RegistryResponseError):
    """The repository, manifest, tag or blob does not exist (404)."""


class RateLimitedError(RegistryResponseError):
    """Still 429 after the bounded retries, or told to wait longer than we are willing to.

    `retry_after` is the registry's own estimate in seconds (None when it gave none), so a
    scheduler can put the next scan of this registry after it instead of retrying blindly.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        registry: str,
        repository: str | None = None,
        status: int = 429,
        codes: Sequence[str] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, registry=registry, repository=repository, status=status, codes=codes
        )
        self.retry_after = retry_after


class RegistryServerError(RegistryResponseError):
    """The registry failed (5xx) on every one of the bounded retries."""

    retryable = True
