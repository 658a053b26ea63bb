"""One set of registry clients per process: the HTTP connection pool, OCI and Helm readers.

The poll activity and the API's on-demand lookups read registries through these; the process
opens them once with its settings and closes them on shutdown, so connections are pooled and
no other package needs to know which HTTP library sits underneath.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from clients import charts, oci
from clients.kube.client import Kube
from headwind.settings import Settings

__all__ = ["RegistryClients", "open_registries"]

HTTP_TIMEOUT_SECONDS = 30.0
"""Per request; a registry slower than this is retried by the activity, not waited on."""


@dataclass(frozen=True)
class RegistryClients:
    """Clients that share one connection pool."""

    http: httpx.AsyncClient
    oci: oci.RegistryClient
    helm: charts.HelmVersions

    async def aclose(self) -> None:
        await self.http.aclose()


def open_registries(
    settings: Settings, kube: Kube, *, on_response: oci.ResponseHook | None = None
) -> RegistryClients:
    """Registry clients configured by `settings`; `on_response` sees every registry answer."""
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS)
    insecure = oci.DEFAULT_INSECURE_REGISTRIES | frozenset(settings.registry_insecure)
    registry = oci.RegistryClient(
        http,
        oci.OciSettings(
            insecure_registries=insecure, tags_page_size=settings.registry_tags_page_size
        ),
        on_response=on_response,
    )
    return RegistryClients(http=http, oci=registry, helm=charts.HelmVersions(kube, http, registry))
