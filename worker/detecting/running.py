"""Starting and stopping the detector with a process: watches, leader election, reporting.

`serving.run` enters `detecting(...)` once; what it yields is all the rest of the process needs:
the `Leadership` to start once-per-cluster work on, and the detector (for readiness).
The detector gets a Kubernetes client of its own, so its long-lived watch connections never
take a connection the activities' or the API's requests are waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from clients.kube import events, leases
from clients.kube.client import TRANSPORT_ERRORS, Kube, KubeError
from headwind.index import ImageIndex, WatchedWorkload
from headwind.models import WorkloadKind
from headwind.settings import Settings
from worker.detecting import metrics, problems
from worker.detecting.detector import Detector
from worker.detecting.leadership import Leadership

__all__ = ["DetectorHandle", "detecting"]

log = logging.getLogger("headwind.detector")


@dataclass
class DetectorHandle:
    """The running detector, as the rest of the process sees it."""

    detector: Detector
    leadership: Leadership
    """Start once-per-cluster work with `leadership.run_while_leading(...)`."""
    elector: leases.LeaderElector | None
    """None in a replica that does not campaign (`headwind api`)."""


def _emitter(kube: Kube) -> problems.Emit:
    def emit(watched: WatchedWorkload) -> bool:
        log.warning(problems.log_line(watched))
        metrics.record_annotation_error(watched.workload)
        try:
            events.warn(
                kube,
                watched.workload,
                uid=watched.uid,
                reason=problems.REASON,
                message=problems.describe(watched),
                key=problems.problem_key(watched),
            )
        except KubeError as error:
            # 4xx (RBAC, a namespace being deleted) will not get better by retrying.
            log.warning("could not write an Event on %s: %s", watched.workload, error)
            return error.status < 500 and error.status != 429 and error.status != 0
        except TRANSPORT_ERRORS as error:
            log.warning("could not write an Event on %s: %s", watched.workload, error)
            return False
        return True

    return emit


@contextlib.asynccontextmanager
async def detecting(
    settings: Settings, index: ImageIndex, *, campaign: bool
) -> AsyncIterator[DetectorHandle]:
    """Watch into `index` (and, with `campaign`, compete for the leader Lease) until exit."""
    scopes = max(1, len(settings.watch_namespaces))
    kube = await asyncio.to_thread(
        Kube.from_settings,
        settings,
        pool_size=scopes * len(WorkloadKind) + 4,
        retries=False,
    )
    elector = None
    if campaign:
        elector = leases.LeaderElector(
            kube,
            namespace=settings.leader_election_namespace or leases.pod_namespace(),
            name=settings.leader_election_lease,
        )

    def leads() -> bool:
        return elector is not None and elector.is_leader

    reporter = problems.ProblemReporter(_emitter(kube), is_leader=leads)
    detector = Detector(kube, index, reporter, namespaces=settings.watch_namespaces)
    leadership = Leadership(elector)
    metrics.serve_index(index)
    detector.start()
    elector_thread = _campaign(elector, reporter, index) if elector is not None else None
    try:
        yield DetectorHandle(detector=detector, leadership=leadership, elector=elector)
    finally:
        if elector is not None and elector_thread is not None:
            elector.stop()  # releases the Lease, so another replica takes over at once
            await asyncio.to_thread(elector_thread.join, 10)
        await asyncio.to_thread(detector.stop)
        kube.close()


def _campaign(
    elector: leases.LeaderElector, reporter: problems.ProblemReporter, index: ImageIndex
) -> threading.Thread:
    """Start competing for the Lease; leadership changes update the gauge and the reporter."""

    def on_change(leading: bool) -> None:
        metrics.LEADER.set(1 if leading else 0)
        # Reporting a whole index writes Events; the elector's thread must stay free to renew
        # the Lease, so the catch-up runs beside it.
        threading.Thread(
            target=reporter.leadership_changed,
            args=(leading, index.watched()),
            name="report bad annotations",
            daemon=True,
        ).start()

    elector.add_listener(on_change)
    thread = threading.Thread(target=elector.run, name="leader election", daemon=True)
    thread.start()
    log.info("campaigning for Lease %s/%s as %s", elector.namespace, elector.name, elector.identity)
    return thread
