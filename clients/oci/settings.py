"""Tunables of the OCI client, as one frozen dataclass whose fields document themselves.

The worker builds it from Headwind's settings; tests build it directly. Nothing here reads
the environment, so two clients with different settings can live in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_INSECURE_REGISTRIES", "OciSettings"]

DEFAULT_INSECURE_REGISTRIES: frozenset[str] = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
"""Hosts spoken to over plain http by default: loopback only, where a local registry (the dev
environment's, a test's) has no certificate and traffic never leaves the machine."""


@dataclass(frozen=True)
class OciSettings:
    """How the client talks to registries."""

    insecure_registries: frozenset[str] = DEFAULT_INSECURE_REGISTRIES
    """Registries reached over http instead of https. An entry is a host (`localhost`, every
    port) or a host with port (`registry.lan:5000`, that port only). Everything else is https:
    credentials and tokens must not cross a network in clear text by accident."""

    max_concurrency_per_registry: int = 4
    """Requests in flight to one registry host at a time, across every repository: polling a
    thousand workloads must not look like an attack to Docker Hub or a small Harbor."""

    max_retries: int = 4
    """Extra attempts after a 429, a 5xx gateway error or a dropped connection. Bounded so an
    activity fails in reasonable time and Temporal's own retry policy takes over."""

    backoff_base: float = 0.5
    """Seconds before the first retry when the registry gave no `Retry-After`; doubles each
    attempt, with jitter so that many workers do not come back at the same instant."""

    backoff_max: float = 30.0
    """Ceiling in seconds for one computed backoff."""

    max_retry_after: float = 60.0
    """The longest `Retry-After` (seconds) worth sleeping inside one call. A registry asking
    for longer (Docker Hub's pull limit: hours) gets a `RateLimitedError` carrying its
    estimate instead, so the scheduler can skip that registry until then."""

    tags_page_size: int | None = None
    """`n=` for tag listing; None lets the registry choose. Registries that paginate say so
    with a `Link: <...>; rel="next"` header, which the client always follows."""

    max_tag_pages: int = 1000
    """Safety stop for a registry whose `Link` headers never end."""

    max_manifest_bytes: int = 4 * 1024 * 1024
    """Manifests larger than this are refused (Distribution's own limit is 4 MiB)."""

    token_default_lifetime: float = 60.0
    """Seconds a bearer token is reused when the token endpoint gives no `expires_in` (the
    Docker token spec's default)."""

    user_agent: str = field(default="headwind")
    """Sent with every request so registry operators can tell who is polling them."""
