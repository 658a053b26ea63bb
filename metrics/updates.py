"""Prometheus metrics of the update lifecycle, incremented where each event happens.

Counters live in the process that does the work (the worker's activities); the API serves the
same registry when API and worker share a process (`headwind run`, the embedded default), and
the worker serves it on its own port otherwise.
"""

from __future__ import annotations

from prometheus_client import Counter

from headwind.models import Phase, UpdateStatus, WorkloadRef

__all__ = [
    "HEALTH_CHECKS",
    "HEALTH_FAILURES",
    "ROLLBACKS",
    "ROLLBACKS_AUTOMATIC",
    "ROLLBACKS_FAILED",
    "ROLLBACKS_MANUAL",
    "UPDATES_APPLIED",
    "UPDATES_APPROVED",
    "UPDATES_FAILED",
    "UPDATES_REJECTED",
    "UPDATES_SKIPPED_INTERVAL",
    "record_apply",
    "record_health_check",
    "record_transition",
]

_LABELS = ("namespace", "kind")

UPDATES_APPROVED = Counter("headwind_updates_approved_total", "Update requests approved.", _LABELS)
UPDATES_REJECTED = Counter("headwind_updates_rejected_total", "Update requests rejected.", _LABELS)
UPDATES_APPLIED = Counter(
    "headwind_updates_applied_total", "Updates written to a workload.", _LABELS
)
UPDATES_FAILED = Counter(
    "headwind_updates_failed_total", "Updates that ended Failed or RolledBack.", _LABELS
)
UPDATES_SKIPPED_INTERVAL = Counter(
    "headwind_updates_skipped_interval_total",
    "Candidates deferred because min-update-interval had not passed (they wait, not dropped).",
    _LABELS,
)
ROLLBACKS = Counter("headwind_rollbacks_total", "Rollbacks written to a workload.", _LABELS)
ROLLBACKS_MANUAL = Counter(
    "headwind_rollbacks_manual_total", "Rollbacks asked for by a user.", _LABELS
)
ROLLBACKS_AUTOMATIC = Counter(
    "headwind_rollbacks_automatic_total", "Rollbacks after failed health checks.", _LABELS
)
ROLLBACKS_FAILED = Counter(
    "headwind_rollbacks_failed_total", "Rollbacks that could not be written.", _LABELS
)
HEALTH_CHECKS = Counter(
    "headwind_deployment_health_checks_total", "Health checks of a rollout.", _LABELS
)
HEALTH_FAILURES = Counter(
    "headwind_deployment_health_failures_total", "Health checks that found a failure.", _LABELS
)


def _labels(workload: WorkloadRef) -> dict[str, str]:
    return {"namespace": workload.namespace, "kind": workload.kind.value}


def record_apply(workload: WorkloadRef, action: str, *, manual: bool = False) -> None:
    if action == "rollback":
        ROLLBACKS.labels(**_labels(workload)).inc()
        (ROLLBACKS_MANUAL if manual else ROLLBACKS_AUTOMATIC).labels(**_labels(workload)).inc()
    else:
        UPDATES_APPLIED.labels(**_labels(workload)).inc()


def record_health_check(workload: WorkloadRef, *, failed: bool) -> None:
    HEALTH_CHECKS.labels(**_labels(workload)).inc()
    if failed:
        HEALTH_FAILURES.labels(**_labels(workload)).inc()


def record_transition(status: UpdateStatus, previous: Phase | None) -> None:
    labels = _labels(status.workload)
    if status.phase == Phase.APPROVED:
        UPDATES_APPROVED.labels(**labels).inc()
    elif status.phase == Phase.REJECTED:
        UPDATES_REJECTED.labels(**labels).inc()
    elif status.phase in (Phase.FAILED, Phase.ROLLED_BACK):
        UPDATES_FAILED.labels(**labels).inc()
        if status.phase == Phase.FAILED and status.reason == "rollback-failed":
            ROLLBACKS_FAILED.labels(**labels).inc()
    elif status.phase == Phase.WAITING and status.reason == "min-update-interval":
        UPDATES_SKIPPED_INTERVAL.labels(**labels).inc()
