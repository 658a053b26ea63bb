"""Fetching what `headwind.explaining` judges: a workload's tags, as polling would see them.

Each tracked container's repository is listed through the OCI client with the workload's own
pull secrets (a chart's versions through its HelmRepository), exactly as the poll activity
does, so the explanation shows the tags polling sees. Used by the REST endpoint, the web UI's
"why not updated?" page and `headwind workload explain`.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from clients import charts, oci
from clients.credentials import PullSecrets
from clients.kube.client import TRANSPORT_ERRORS, KubeError
from headwind import explaining, images, polling
from headwind.annotations import tracks
from headwind.index import Subscriber, WatchedWorkload

__all__ = ["RegistryTags", "TagSource", "explain"]


class TagSource(Protocol):
    """Lists the tags (chart versions) of one container's repository."""

    async def tags(self, sub: Subscriber) -> list[str]: ...


_FAILURES: tuple[type[Exception], ...] = (
    oci.RegistryError,
    charts.ChartError,
    KubeError,
    ValueError,
    *TRANSPORT_ERRORS,
)


class RegistryTags:
    """`TagSource` on the process's registry clients and the cluster's pull secrets."""

    def __init__(
        self, registry: oci.RegistryClient, helm: charts.HelmVersions, secrets: PullSecrets
    ) -> None:
        self._registry = registry
        self._helm = helm
        self._secrets = secrets

    async def tags(self, sub: Subscriber) -> list[str]:
        if polling.is_chart(sub.repository):
            source = charts.parse_source(sub.repository)
            repo, secret = await asyncio.to_thread(self._helm.repository, source)
            return await self._helm.versions(source, repo, secret)
        ref = images.parse(sub.image)
        credentials = await asyncio.to_thread(
            self._secrets.credentials, [sub], ref.registry, ref.repository
        )
        return await self._registry.list_tags(ref.registry, ref.repository, credentials=credentials)


async def explain(watched: WatchedWorkload, source: TagSource) -> explaining.Explanation:
    """Every container's explanation; repositories are listed concurrently, each once."""
    subs = list(watched.subscribers)
    listings: dict[str, list[str] | str] = {}

    async def listing(sub: Subscriber) -> None:
        try:
            listings[sub.repository] = await source.tags(sub)
        except _FAILURES as exc:
            listings[sub.repository] = str(exc) or type(exc).__name__

    first = {sub.repository: sub for sub in subs}
    await asyncio.gather(*(listing(sub) for sub in first.values()))
    containers = []
    for sub in subs:
        tracked = tracks(watched.annotations, sub.container, sub.image)
        found = listings[sub.repository]
        if isinstance(found, str):
            containers.append(explaining.explain_failure(sub, found, tracked=tracked))
        else:
            containers.append(explaining.explain_container(sub, found, tracked=tracked))
    containers.extend(explaining.explain_untracked(watched))
    return explaining.Explanation(workload=watched.workload, containers=tuple(containers))
