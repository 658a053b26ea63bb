"""Chart versions of a HelmRelease's source: Flux `HelmRepository`, HTTP(S) or OCI.

A HelmRelease subscribes to `helm:<namespace>/<HelmRepository name>/<chart>` in the index. A
scan reads that HelmRepository (`source.toolkit.fluxcd.io/v1`) and lists the chart's versions:

- `spec.type` `default` (HTTP/S): `GET <spec.url>/index.yaml`, basic auth from the `username`
  and `password` of `spec.secretRef`'s Secret; the versions are `entries.<chart>[].version`;
- `spec.type: oci`: the tags of `<spec.url without oci://>/<chart>` through the same OCI
  client as image polling, credentials from `spec.secretRef` (username/password or Docker
  config); `helm push` writes `+` as `_` in tags, so `_` is read back as `+`.

The versions then go through the same policy engine as image tags.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from clients import oci
from clients.credentials import KubeReader, docker_config_of
from clients.kube.client import NotFound
from headwind import polling

__all__ = [
    "MAX_INDEX_BYTES",
    "ChartError",
    "ChartSource",
    "HelmRepository",
    "HelmVersions",
    "chart_versions",
    "parse_source",
]

log = logging.getLogger(__name__)

MAX_INDEX_BYTES = 64 * 1024 * 1024
"""Largest `index.yaml` read (the biggest public indexes are tens of MiB)."""

_HELM_REPOSITORIES = "/apis/source.toolkit.fluxcd.io/v1/namespaces/{namespace}/helmrepositories/"


class ChartError(Exception):
    """The chart's versions cannot be read; `retryable` tells whether a later try may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ChartSource:
    """Where a HelmRelease's chart comes from, as its index key names it."""

    namespace: str
    name: str
    """The HelmRepository's name."""
    chart: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_source(repository: str) -> ChartSource:
    """`helm:<namespace>/<name>/<chart>` → `ChartSource`; raise `ValueError` otherwise."""
    if not polling.is_chart(repository):
        raise ValueError(f"{repository!r} is not a chart key (helm:<namespace>/<name>/<chart>)")
    parts = repository.removeprefix(polling.HELM_PREFIX).split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{repository!r} is not helm:<namespace>/<name>/<chart>")
    return ChartSource(*parts)


@dataclass(frozen=True)
class HelmRepository:
    """The parts of a Flux HelmRepository a scan needs."""

    url: str
    oci: bool
    secret: str | None
    """Name of `spec.secretRef`, in the HelmRepository's namespace."""

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> HelmRepository:
        spec = obj.get("spec") or {}
        url = str(spec.get("url") or "")
        if not url:
            raise ChartError("the HelmRepository has no spec.url")
        secret_ref = spec.get("secretRef") or {}
        secret = secret_ref.get("name") if isinstance(secret_ref, Mapping) else None
        is_oci = spec.get("type") == "oci" or url.startswith("oci://")
        return cls(url=url, oci=is_oci, secret=secret if isinstance(secret, str) else None)


def chart_versions(index: bytes | str, chart: str) -> list[str]:
    """The versions of `chart` in a Helm repository `index.yaml` (build metadata kept)."""
    try:
        loaded = yaml.load(index, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise ChartError(f"index.yaml is not YAML: {error}") from error
    if not isinstance(loaded, Mapping):
        raise ChartError("index.yaml is not a mapping")
    entries = loaded.get("entries") or {}
    if not isinstance(entries, Mapping):
        raise ChartError("index.yaml `entries` is not a mapping")
    versions: list[str] = []
    for entry in entries.get(chart) or []:
        version = entry.get("version") if isinstance(entry, Mapping) else None
        if version is not None and str(version) and str(version) not in versions:
            versions.append(str(version))
    return versions


def _decoded(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


class HelmVersions:
    """Lists a chart's versions from its HelmRepository; async, with blocking reads threaded."""

    def __init__(self, kube: KubeReader, http: httpx.AsyncClient, registry: oci.RegistryClient):
        self._kube = kube
        self._http = http
        self._registry = registry

    def repository(self, source: ChartSource) -> tuple[HelmRepository, Mapping[str, Any] | None]:
        """The HelmRepository and its secret's data (blocking: call it on a thread)."""
        path = _HELM_REPOSITORIES.format(namespace=quote(source.namespace, safe=""))
        try:
            repo = HelmRepository.from_object(self._kube.get(path + quote(source.name, safe="")))
        except NotFound as error:
            raise ChartError(f"HelmRepository {source} does not exist") from error
        if repo.secret is None:
            return repo, None
        secret_path = f"/api/v1/namespaces/{quote(source.namespace, safe='')}/secrets/" + quote(
            repo.secret, safe=""
        )
        try:
            return repo, self._kube.get(secret_path).get("data") or {}
        except NotFound as error:
            raise ChartError(f"secret {source.namespace}/{repo.secret} does not exist") from error

    async def versions(
        self, source: ChartSource, repo: HelmRepository, secret: Mapping[str, Any] | None
    ) -> list[str]:
        if repo.oci:
            return await self._oci_versions(source, repo, secret)
        return await self._http_versions(source, repo, secret)

    async def _http_versions(
        self, source: ChartSource, repo: HelmRepository, secret: Mapping[str, Any] | None
    ) -> list[str]:
        auth: httpx.BasicAuth | None = None
        if secret is not None:
            username, password = _decoded(secret, "username"), _decoded(secret, "password")
            if username is None or password is None:
                raise ChartError(f"secret of HelmRepository {source} has no username/password")
            auth = httpx.BasicAuth(username, password)
        url = repo.url.rstrip("/") + "/index.yaml"
        try:
            async with self._http.stream("GET", url, auth=auth, follow_redirects=True) as response:
                if response.status_code != 200:
                    retryable = response.status_code == 429 or response.status_code >= 500
                    raise ChartError(f"GET {url}: HTTP {response.status_code}", retryable=retryable)
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_INDEX_BYTES:
                        raise ChartError(f"{url} is larger than {MAX_INDEX_BYTES} bytes")
        except httpx.HTTPError as error:
            raise ChartError(f"GET {url}: {error}", retryable=True) from error
        return chart_versions(bytes(body), source.chart)

    async def _oci_versions(
        self, source: ChartSource, repo: HelmRepository, secret: Mapping[str, Any] | None
    ) -> list[str]:
        location = repo.url.removeprefix("oci://").strip("/")
        registry, _, path = location.partition("/")
        repository = f"{path}/{source.chart}" if path else source.chart
        credentials = _oci_credentials(secret, registry, repository)
        tags = await self._registry.list_tags(registry, repository, credentials=credentials)
        return [tag.replace("_", "+") for tag in tags]


def _oci_credentials(
    secret: Mapping[str, Any] | None, registry: str, repository: str
) -> oci.Credentials | None:
    """Flux accepts username/password or a Docker config in an OCI HelmRepository's secret."""
    if secret is None:
        return None
    username, password = _decoded(secret, "username"), _decoded(secret, "password")
    if username is not None and password is not None:
        return oci.Credentials(username, password)
    try:
        entries = docker_config_of({"data": secret})
    except oci.DockerConfigError as error:
        raise ChartError(f"the HelmRepository's secret is not usable: {error}") from error
    return oci.find_credentials(entries, registry, repository)
