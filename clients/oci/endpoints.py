"""From a registry name (as it appears in an image reference) to the URL its API lives at.

Two decisions live here: http or https (loopback and configured insecure registries are
plain http), and Docker Hub's aliases (`docker.io`, `index.docker.io`), whose API is served
by `registry-1.docker.io`.
"""

from __future__ import annotations

from headwind import images

from .settings import OciSettings

__all__ = ["DOCKER_HUB_API_HOST", "api_base_url", "api_host", "is_insecure", "split_host_port"]

DOCKER_HUB_API_HOST = "registry-1.docker.io"


def split_host_port(registry: str) -> tuple[str, str | None]:
    """`localhost:5000` -> (`localhost`, `5000`); `[::1]:5000` -> (`[::1]`, `5000`)."""
    if registry.startswith("["):
        host, _, rest = registry.partition("]")
        port = rest[1:] if rest.startswith(":") else None
        return f"{host}]", port or None
    host, sep, port = registry.rpartition(":")
    if sep and host and port.isdigit():
        return host, port
    return registry, None


def api_host(registry: str) -> str:
    """The host[:port] that serves `registry`'s API, lower-cased."""
    registry = registry.lower()
    return DOCKER_HUB_API_HOST if registry in images.DOCKER_HUB_ALIASES else registry


def is_insecure(registry: str, settings: OciSettings) -> bool:
    """Whether `registry` is spoken to over plain http (see `OciSettings.insecure_registries`)."""
    registry = registry.lower()
    host, _ = split_host_port(registry)
    insecure = {entry.lower() for entry in settings.insecure_registries}
    return registry in insecure or host in insecure


def api_base_url(registry: str, settings: OciSettings) -> str:
    """`http://localhost:5000` or `https://registry-1.docker.io`: where `/v2/...` is joined."""
    host = api_host(registry)
    scheme = "http" if is_insecure(host, settings) else "https"
    return f"{scheme}://{host}"
