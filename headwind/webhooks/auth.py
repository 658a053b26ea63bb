"""Webhook authentication: which secret applies to a source, and whether a request proves it.

The rule, the same for every source (docs/webhooks.md):

1. A source's own secret (`HEADWIND_WEBHOOK_<SOURCE>_…`) applies when set, else the shared
   `HEADWIND_WEBHOOK_TOKEN`.
2. With a secret, a request must present it in one of the forms its sender supports (a token,
   a header, an HMAC-SHA256 signature of the raw body); anything else is refused and changes
   nothing.
3. Without any secret the source refuses every request, unless
   `HEADWIND_WEBHOOK_ALLOW_UNAUTHENTICATED` is on: a forgotten secret fails loudly rather than
   opening a door. The API logs at start which sources are open or refusing.

Pure functions over the request's parts, so they are tested without an HTTP server. Every
comparison goes through `hmac.compare_digest`, so response time does not reveal how much of a
guessed secret was right.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from headwind.settings import Settings, env_name
from headwind.webhooks.sources import SPECS, Method, Source

__all__ = [
    "Decision",
    "Presented",
    "authenticate",
    "hmac_sha256",
    "posture",
    "secret_for",
    "verify",
]

_SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True)
class Presented:
    """The parts of a request that may carry credentials."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in any case; looked up case-insensitively."""
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    """The raw body, exactly as received: signatures are computed over these bytes."""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class Decision:
    """Whether a request may go on, and if not, a message that says why (for the 401)."""

    allowed: bool
    reason: str


def secret_for(source: Source, config: Settings) -> str | None:
    """The secret a source's requests must prove: its own, else the shared `webhook_token`."""
    own = getattr(config, SPECS[source].setting)
    chosen = own if own is not None else config.webhook_token
    if chosen is None:
        return None
    value: str = chosen.get_secret_value()
    return value or None


def authenticate(source: Source, config: Settings, presented: Presented) -> Decision:
    """Apply the whole rule (module docstring) to one request."""
    secret = secret_for(source, config)
    if secret is not None:
        return verify(SPECS[source].methods, secret, presented)
    if config.webhook_allow_unauthenticated:
        return Decision(True, "no secret configured; unauthenticated webhooks are allowed")
    spec = SPECS[source]
    return Decision(
        False,
        f"webhook source {source.value!r} has no secret configured: set {spec.variable}"
        f" (or {env_name('webhook_token')}), or {env_name('webhook_allow_unauthenticated')}"
        "=true to accept unauthenticated webhooks",
    )


def verify(methods: Iterable[Method], secret: str, presented: Presented) -> Decision:
    """Whether any credential the request presents, in one of `methods`, proves `secret`."""
    methods = tuple(methods)
    wrong: list[Method] = []
    for method in methods:
        value = _credential(method, presented)
        if value is None:
            continue
        if _proves(method, value, secret, presented.body):
            return Decision(True, f"authenticated by {method.value}")
        wrong.append(method)
    if wrong:
        return Decision(False, f"{' and '.join(m.value for m in wrong)}: does not match")
    expected = " or ".join(m.value for m in methods)
    return Decision(False, f"no credentials: expected {expected}")


def hmac_sha256(secret: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of `body` keyed with `secret` (what senders sign with)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def posture(config: Settings) -> dict[str, list[Source]]:
    """Sources grouped by how they would treat a request now: `secured`, `open`, `refusing`."""
    groups: dict[str, list[Source]] = {"secured": [], "open": [], "refusing": []}
    for source in Source:
        if secret_for(source, config) is not None:
            groups["secured"].append(source)
        elif config.webhook_allow_unauthenticated:
            groups["open"].append(source)
        else:
            groups["refusing"].append(source)
    return groups


def _credential(method: Method, presented: Presented) -> str | None:
    if method == Method.QUERY_TOKEN:
        return presented.query.get("token")
    if method == Method.AUTHORIZATION:
        return presented.header("Authorization")
    if method == Method.BASIC_AUTH:
        return _basic_password(presented.header("Authorization"))
    if method == Method.API_KEY:
        return presented.header("x-api-key")
    if method == Method.HUB_SIGNATURE:
        return presented.header("X-Hub-Signature-256")
    if method == Method.JFROG_AUTH:
        return presented.header("X-JFrog-Event-Auth")
    if method == Method.HEADWIND_SIGNATURE:
        return presented.header("X-Headwind-Signature")
    raise AssertionError(method)


def _proves(method: Method, value: str, secret: str, body: bytes) -> bool:
    value = value.strip()
    if method == Method.AUTHORIZATION:
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() == "bearer" and _same(credentials.strip(), secret):
            return True
        return _same(value, secret)
    if method in (Method.HUB_SIGNATURE, Method.HEADWIND_SIGNATURE):
        if not value.lower().startswith(_SIGNATURE_PREFIX):
            return False
        return _same(value[len(_SIGNATURE_PREFIX) :].lower(), hmac_sha256(secret, body))
    if method == Method.JFROG_AUTH:
        # Artifactory sends the secret itself, or (with "use secret for signing") a signature.
        return _same(value, secret) or _same(value.lower(), hmac_sha256(secret, body))
    return _same(value, secret)


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


def _basic_password(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]
