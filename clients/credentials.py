"""Registry credentials for polling: the ones the workloads themselves pull with.

A private repository is polled with the Docker config of a subscriber's `imagePullSecrets`, or
its ServiceAccount's, matched to the registry by the kubelet's rules
(`oci.find_credentials`). Blocking reads of the cluster, run on a thread by the async poll
activity; kept for `ttl` seconds so a short polling interval does not become a stream of
Secret reads. A Secret that is missing, forbidden or not Docker config is skipped (and
logged): polling then goes on anonymously and a private registry answers with a clear
authentication error.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

from clients import oci
from clients.kube.client import KubeError, NotFound, resource_path
from headwind import workloads
from headwind.index import Subscriber
from headwind.models import WorkloadRef

__all__ = [
    "DOCKER_CONFIG_KEYS",
    "KubeReader",
    "PullSecrets",
    "docker_config_of",
    "pull_secret_names",
    "service_account_of",
]

log = logging.getLogger(__name__)

DOCKER_CONFIG_KEYS = (".dockerconfigjson", ".dockercfg")
"""Data keys of `kubernetes.io/dockerconfigjson` and legacy `kubernetes.io/dockercfg` Secrets."""

JsonObj = dict[str, Any]


class KubeReader(Protocol):
    """What credential lookups need of a client (`clients.kube.client.Kube` is one)."""

    def get(self, path: str) -> JsonObj: ...


def pull_secret_names(spec: Mapping[str, Any] | None) -> list[str]:
    """`imagePullSecrets[].name` of a pod spec or a ServiceAccount, in order."""
    names: list[str] = []
    for ref in (spec or {}).get("imagePullSecrets") or []:
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str) and ref["name"]:
            names.append(ref["name"])
    return names


def service_account_of(pod_spec: Mapping[str, Any] | None) -> str:
    """The pod spec's ServiceAccount (`default` when unset, as the admission plugin does)."""
    spec = pod_spec or {}
    name = spec.get("serviceAccountName") or spec.get("serviceAccount")
    return name if isinstance(name, str) and name else "default"


def docker_config_of(secret: Mapping[str, Any]) -> list[oci.RegistryCredential]:
    """The usable entries of a Secret's Docker config; raise `oci.DockerConfigError`."""
    data = secret.get("data") or {}
    for key in DOCKER_CONFIG_KEYS:
        encoded = data.get(key)
        if isinstance(encoded, str) and encoded:
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as error:
                raise oci.DockerConfigError(f"{key} is not base64") from error
            return oci.parse_docker_config(raw)
    raise oci.DockerConfigError(f"has none of {', '.join(DOCKER_CONFIG_KEYS)}")


class PullSecrets:
    """Docker config entries of workloads, read from the cluster and cached for `ttl` s."""

    def __init__(
        self, kube: KubeReader, *, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._kube = kube
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[WorkloadRef, tuple[float, list[oci.RegistryCredential]]] = {}

    def credentials(
        self, subscribers: Iterable[Subscriber], registry: str, repository: str
    ) -> oci.Credentials | None:
        """The first subscriber's credentials for `registry/repository` (stable order), or
        None to poll anonymously. One scan serves every subscriber, so one set is used."""
        seen: set[WorkloadRef] = set()
        for sub in sorted(subscribers, key=lambda s: (str(s.workload), s.container)):
            if sub.workload in seen:
                continue
            seen.add(sub.workload)
            found = oci.find_credentials(self.entries(sub.workload), registry, repository)
            if found is not None:
                return found
        return None

    def entries(self, workload: WorkloadRef) -> list[oci.RegistryCredential]:
        """Every Docker config entry the workload's pods may pull with, pod's own first."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(workload)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        found = self._read(workload)
        with self._lock:
            self._cache[workload] = (now, found)
        return found

    def _read(self, workload: WorkloadRef) -> list[oci.RegistryCredential]:
        obj = self._get(resource_path(workload.kind, workload.namespace, workload.name))
        pod_spec = workloads.pod_spec(workload.kind, obj) if obj else None
        if pod_spec is None:
            return []
        names = pull_secret_names(pod_spec)
        account = self._get(
            f"/api/v1/namespaces/{quote(workload.namespace, safe='')}/serviceaccounts/"
            f"{quote(service_account_of(pod_spec), safe='')}"
        )
        names += [name for name in pull_secret_names(account) if name not in names]
        entries: list[oci.RegistryCredential] = []
        for name in names:
            path = f"/api/v1/namespaces/{quote(workload.namespace, safe='')}/secrets/" + quote(
                name, safe=""
            )
            secret = self._get(path)
            if not secret:
                continue
            try:
                entries.extend(docker_config_of(secret))
            except oci.DockerConfigError as error:
                log.warning("pull secret %s/%s: %s", workload.namespace, name, error)
        return entries

    def _get(self, path: str) -> JsonObj:
        try:
            return self._kube.get(path)
        except NotFound:
            return {}
        except KubeError as error:  # 403 without RBAC for Secrets: poll anonymously
            log.warning("reading %s for registry credentials: %s", path, error)
            return {}
