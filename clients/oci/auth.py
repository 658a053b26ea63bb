"""Credentials and bearer tokens: what the client sends in `Authorization`, and for how long.

Registries authenticate in one of two ways. Basic: the credentials go with every request.
Bearer (the Docker token flow): the client exchanges its credentials, or nothing at all for
anonymous pulls, at the challenge's `realm` for a short-lived token for one `scope`
(`repository:team/app:pull`). Tokens are cached per registry, scope and identity so a scan
of many tags costs one token request, not one per call.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Credentials",
    "Token",
    "TokenCache",
    "TokenKey",
    "basic_authorization",
    "parse_token_response",
    "repository_scope",
]


@dataclass(frozen=True)
class Credentials:
    """A username and password (or access token used as password) for one registry.

    Comes from a workload's imagePullSecrets (dockerconfigjson), a HelmRepository secretRef
    or the command line. The password never appears in `repr`, so it stays out of logs.
    """

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Token:
    """A bearer token and the monotonic time after which it must not be used."""

    value: str = field(repr=False)
    expires_at: float


def basic_authorization(credentials: Credentials) -> str:
    """The `Authorization` header value for Basic auth."""
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def repository_scope(repository: str, *, push: bool = False) -> str:
    """The token scope for reading (or writing) one repository."""
    return f"repository:{repository}:{'pull,push' if push else 'pull'}"


def parse_token_response(
    body: Mapping[str, Any], *, now: float, default_lifetime: float
) -> Token | None:
    """The token in a token endpoint's JSON answer, or None if it holds none.

    Docker's spec names it `token`; OAuth2-style endpoints name it `access_token`; some send
    both. The token is considered expired a little early (10% of its lifetime, at most 30 s)
    so a request never leaves with a token that expires on its way.
    """
    value = body.get("token") or body.get("access_token")
    if not isinstance(value, str) or not value:
        return None
    lifetime = body.get("expires_in")
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = default_lifetime
    margin = min(30.0, lifetime * 0.1)
    return Token(value=value, expires_at=now + float(lifetime) - margin)


TokenKey = tuple[str, str, str]
"""(registry, scope, identity); identity is empty for anonymous pulls."""


class TokenCache:
    """Unexpired bearer tokens by registry, scope and identity; clock injected for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[TokenKey, Token] = {}

    @staticmethod
    def key(registry: str, scope: str, credentials: Credentials | None) -> TokenKey:
        """The identity hashes the password too: a workload whose secret holds a wrong
        password must not ride on a token another workload's right password obtained."""
        if credentials is None:
            return (registry, scope, "")
        secret = hashlib.sha256(credentials.password.encode()).hexdigest()[:16]
        return (registry, scope, f"{credentials.username}:{secret}")

    def get(self, key: TokenKey) -> Token | None:
        token = self._tokens.get(key)
        if token is not None and token.expires_at <= self._clock():
            del self._tokens[key]
            return None
        return token

    def put(self, key: TokenKey, token: Token) -> None:
        self._tokens[key] = token

    def discard(self, key: TokenKey) -> None:
        self._tokens.pop(key, None)
