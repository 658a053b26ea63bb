"""Prometheus metrics of the detector: what is watched, and which annotations are bad.

The gauges read the index at scrape time instead of being kept in step by hand, so they
cannot drift from what webhooks actually match against.
"""

from __future__ import annotations

import functools

from prometheus_client import Counter, Gauge

from headwind.index import ImageIndex
from headwind.models import WorkloadKind, WorkloadRef

__all__ = ["ANNOTATION_ERRORS", "LEADER", "WATCHED", "record_annotation_error", "serve_index"]

WATCHED: dict[WorkloadKind, Gauge] = {
    WorkloadKind.DEPLOYMENT: Gauge(
        "headwind_deployments_watched", "Annotated Deployments in the image index."
    ),
    WorkloadKind.STATEFULSET: Gauge(
        "headwind_statefulsets_watched", "Annotated StatefulSets in the image index."
    ),
    WorkloadKind.DAEMONSET: Gauge(
        "headwind_daemonsets_watched", "Annotated DaemonSets in the image index."
    ),
    WorkloadKind.CRONJOB: Gauge(
        "headwind_cronjobs_watched", "Annotated CronJobs in the image index."
    ),
    WorkloadKind.HELMRELEASE: Gauge(
        "headwind_helm_releases_watched", "Annotated HelmReleases in the image index."
    ),
}

ANNOTATION_ERRORS = Counter(
    "headwind_annotation_errors_total",
    "Workloads found with unusable headwind.sh/ annotations, counted when their set of "
    "problems changes (by the leader, which also writes the Warning Event).",
    ("namespace", "kind"),
)

LEADER = Gauge(
    "headwind_leader", "1 while this replica holds the leader Lease (runs once-per-cluster work)."
)


def serve_index(index: ImageIndex) -> None:
    """Point the `headwind_*_watched` gauges at `index` (the process's one index)."""
    for kind, gauge in WATCHED.items():
        gauge.set_function(functools.partial(_count, index, kind))


def _count(index: ImageIndex, kind: WorkloadKind) -> float:
    return float(index.count_by_kind()[kind])


def record_annotation_error(workload: WorkloadRef) -> None:
    ANNOTATION_ERRORS.labels(namespace=workload.namespace, kind=workload.kind.value).inc()
