"""The poll activity: scan one repository for every workload container that polls it.

A Temporal Schedule per repository runs the `PollRepository` workflow, which runs this
activity once per interval (see `headwind.polling`). One scan serves every subscriber of the
repository: list the tags (following pagination), HEAD the digests `force` and pin-digest
subscribers follow (HEAD, never GET: Docker Hub counts GETs against its pull limit), let
`headwind.detection.choose` pick each subscriber's candidate, and start or join one update
workflow per candidate. Helm charts (`helm:` keys) are scanned the same way, with the
versions of their HelmRepository as tags.

Subscribers come from this process's image index, which the watcher fills; until it has
listed the cluster once, the activity fails with a retryable error instead of concluding
"nobody polls this". Registry failures become `ApplicationError`s that tell Temporal whether
to retry and when: a 429's `Retry-After` becomes the next retry's delay.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients import charts, oci
from clients.credentials import PullSecrets
from clients.kube import patching
from clients.kube.client import Conflict, JsonObj, KubeError, NotFound, resource_path
from clients.temporal import operations as proposing
from headwind import annotations, detection, images, names, polling, records, workloads
from headwind.index import ImageIndex, Subscriber
from headwind.models import Proposal
from headwind.polling import PollRequest, PollResult
from metrics import registries as metrics

__all__ = ["INDEX_NOT_SYNCED", "KubeAccess", "PollingActivities", "Proposer"]

log = logging.getLogger(__name__)

INDEX_NOT_SYNCED = "IndexNotSynced"
"""ApplicationError type while the watcher has not listed the cluster yet (retried)."""

Proposer = Callable[[Proposal], Awaitable[str]]
"""Starts (or joins) the update workflow of a candidate; returns its workflow ID."""


KubeAccess = patching.Patchable
"""What a scan needs of a Kubernetes client (`clients.kube.client.Kube` is one)."""


async def _propose_with_temporal(proposal: Proposal) -> str:
    """Start the update workflow with the activity's own client, on its own task queue."""
    accepted = await proposing.propose(
        activity.client(), proposal, task_queue=activity.info().task_queue
    )
    return accepted.workflow_id


class PollingActivities:
    """The poll activity with its clients: the index, Kubernetes, the OCI and Helm readers."""

    def __init__(
        self,
        index: ImageIndex,
        kube: KubeAccess,
        registry: oci.RegistryClient,
        helm: charts.HelmVersions,
        *,
        synced: Callable[[], bool] = lambda: True,
        propose: Proposer = _propose_with_temporal,
        pull_secrets: PullSecrets | None = None,
    ) -> None:
        self._index = index
        self._kube = kube
        self._registry = registry
        self._synced = synced
        self._propose = propose
        self._pull_secrets = pull_secrets or PullSecrets(kube)
        self._helm = helm

    @activity.defn(name=names.POLL_REPOSITORY)
    async def poll_repository(self, request: PollRequest) -> PollResult:
        """Scan one repository and propose each polling subscriber's candidate."""
        if not self._synced():
            raise ApplicationError(
                "the image index has not been synced with the cluster yet",
                type=INDEX_NOT_SYNCED,
                next_retry_delay=timedelta(seconds=5),
            )
        repository = request.repository
        subscribers = [sub for sub in self._index.lookup(repository) if polling.polls(sub)]
        if not subscribers:
            return PollResult(repository=repository, message="no workload polls it")
        if polling.is_chart(repository):
            return await self._scan_chart(repository, subscribers)
        return await self._scan_images(repository, subscribers)

    # -- images -----------------------------------------------------------------------------

    async def _scan_images(self, repository: str, subscribers: list[Subscriber]) -> PollResult:
        ref = images.parse(subscribers[0].image)
        registry, path = ref.registry, ref.repository
        try:
            credentials = await asyncio.to_thread(
                self._pull_secrets.credentials, subscribers, registry, path
            )
            tags = await self._registry.list_tags(registry, path, credentials=credentials)
            needed = detection.digests_needed(repository, tags, subscribers)
            digests = await self._digests(registry, path, sorted(needed), credentials)
        except oci.RegistryError as error:
            metrics.POLLING_ERRORS.labels(registry=registry).inc()
            raise _activity_error(error) from error
        matches = detection.choose(repository, tags, subscribers, digests=digests, source="polling")
        baselines = await self._record_baselines(matches, digests)
        proposed = await self._propose_all(matches)
        metrics.POLLING_CYCLES.inc()
        metrics.POLLING_IMAGES_CHECKED.inc(len(subscribers))
        metrics.POLLING_NEW_TAGS.inc(len(proposed))
        return PollResult(
            repository=repository,
            subscribers=len(subscribers),
            tags=len(tags),
            proposed=tuple(proposed),
            baselines=baselines,
            message=_summary(matches),
        )

    async def _digests(
        self,
        registry: str,
        path: str,
        tags: Sequence[str],
        credentials: oci.Credentials | None,
    ) -> dict[str, str]:
        """Tag → manifest digest by HEAD; a tag deleted since the listing is left out."""

        async def head(tag: str) -> tuple[str, str | None]:
            try:
                found = await self._registry.head_manifest(
                    registry, path, tag, credentials=credentials
                )
            except oci.NotFoundError:
                return tag, None
            return tag, found.digest

        heads = await asyncio.gather(*(head(tag) for tag in tags))
        return {tag: digest for tag, digest in heads if digest is not None}

    async def _record_baselines(
        self, matches: Sequence[detection.Match], digests: Mapping[str, str]
    ) -> int:
        recorded = 0
        for match in matches:
            if match.reason != detection.DIGEST_BASELINE:
                continue
            sub = match.subscriber
            if await asyncio.to_thread(self._record_digest, sub, digests[sub.tag]):
                recorded += 1
        return recorded

    def _record_digest(self, sub: Subscriber, digest: str) -> bool:
        """Write the first-seen digest of a `force` container's tag, unless the workload
        changed since the index saw it (the next scan judges it again)."""
        w = sub.workload

        def change(obj: JsonObj) -> patching.Ops | None:
            spot = workloads.find(w.kind, obj, sub.container)
            if spot is None or spot.image != sub.image:
                return None
            current = workloads.annotations_of(obj).get(annotations.DIGESTS)
            known, _ = records.parse_digests(current)
            if sub.container in known and known[sub.container].tag == sub.tag:
                return None
            recorded = records.record_digest(known, sub.container, sub.tag, digest)
            return workloads.annotation_ops(
                obj, {annotations.DIGESTS: records.dump_digests(recorded)}
            )

        path = resource_path(w.kind, w.namespace, w.name)
        try:
            # One try: a workload that changes meanwhile is judged again on the next scan.
            return patching.read_modify_write(self._kube, path, change, attempts=1) is not None
        except (NotFound, Conflict):
            return False
        except KubeError as error:
            log.warning("could not record the digest of %s on %s: %s", sub.image, w, error)
            return False
        return True

    # -- charts -----------------------------------------------------------------------------

    async def _scan_chart(self, repository: str, subscribers: list[Subscriber]) -> PollResult:
        try:
            source = charts.parse_source(repository)
            repo, secret = await asyncio.to_thread(self._helm.repository, source)
            versions = await self._helm.versions(source, repo, secret)
        except (charts.ChartError, oci.RegistryError, KubeError, ValueError) as error:
            metrics.HELM_ERRORS.inc()
            raise _activity_error(error) from error
        matches = detection.choose(repository, versions, subscribers, digests={}, source="helm")
        proposed = await self._propose_all(matches)
        metrics.HELM_SCANS.inc()
        metrics.HELM_NEW_VERSIONS.inc(len(proposed))
        return PollResult(
            repository=repository,
            subscribers=len(subscribers),
            tags=len(versions),
            proposed=tuple(proposed),
            message=_summary(matches),
        )

    # -- proposing --------------------------------------------------------------------------

    async def _propose_all(self, matches: Sequence[detection.Match]) -> list[str]:
        started: list[str] = []
        for match in matches:
            if match.proposal is None:
                continue
            started.append(await self._propose(match.proposal))
            log.info(
                "polling proposes %s `%s` → %s",
                match.proposal.workload,
                match.proposal.container,
                match.proposal.tag,
            )
        return started


def _summary(matches: Sequence[detection.Match]) -> str:
    """One line per subscriber for the workflow result: who got what, or why not."""
    lines = []
    for match in matches:
        sub = match.subscriber
        outcome = f"→ {match.proposal.tag}" if match.proposal else match.reason
        lines.append(f"{sub.workload} `{sub.container}` ({sub.tag or sub.digest}): {outcome}")
    return "\n".join(lines)


def _activity_error(error: Exception) -> ApplicationError:
    """How Temporal should retry after a failed scan."""
    message = str(error)
    if isinstance(error, oci.RateLimitedError):
        delay = timedelta(seconds=error.retry_after) if error.retry_after else None
        return ApplicationError(message, type="RateLimited", next_retry_delay=delay)
    retryable = getattr(error, "retryable", isinstance(error, KubeError))
    return ApplicationError(message, type=type(error).__name__, non_retryable=not retryable)
