"""Prometheus counters of registry polling and Helm chart discovery.

Incremented by the poll activity where each event happens, in the worker process; the API
serves them from the same registry when both run in one process (`headwind run`).
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = [
    "HELM_ERRORS",
    "HELM_NEW_VERSIONS",
    "HELM_SCANS",
    "POLLING_CYCLES",
    "POLLING_ERRORS",
    "POLLING_IMAGES_CHECKED",
    "POLLING_NEW_TAGS",
    "REGISTRY_REQUESTS",
    "count_registry_response",
]

POLLING_CYCLES = Counter(
    "headwind_polling_cycles_total",
    "Scans of one image repository that completed (one per repository and interval).",
)
POLLING_IMAGES_CHECKED = Counter(
    "headwind_polling_images_checked_total",
    "Workload containers judged by an image repository scan.",
)
POLLING_NEW_TAGS = Counter(
    "headwind_polling_new_tags_found_total",
    "Candidates polling proposed to the update workflow: one per workload container and tag "
    "(or new digest of the current tag), each time a scan proposes it; a candidate already "
    "pending joins its workflow but is counted again.",
)
POLLING_ERRORS = Counter(
    "headwind_polling_errors_total",
    "Image repository scans that failed (each failed attempt), by registry.",
    ("registry",),
)
REGISTRY_REQUESTS = Counter(
    "headwind_registry_requests_total",
    "HTTP answers from registries (token endpoints included), by registry and status.",
    ("registry", "status"),
)
HELM_SCANS = Counter(
    "headwind_helm_repository_scans_total",
    "Scans of a HelmRepository for one chart's versions that completed.",
)
HELM_NEW_VERSIONS = Counter(
    "headwind_helm_new_versions_total",
    "Chart versions proposed to the update workflow (one per HelmRelease and version).",
)
HELM_ERRORS = Counter(
    "headwind_helm_errors_total",
    "HelmRepository scans that failed (each failed attempt).",
)


def count_registry_response(registry: str, status: int) -> None:
    """The OCI client's `on_response` hook."""
    REGISTRY_REQUESTS.labels(registry=registry, status=str(status)).inc()
