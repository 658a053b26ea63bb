"""What happens around each phase change: a Kubernetes Event, the UpdateRequest mirror, a log
line, metrics. Notifications are their own activity (`activities.notifying`).

Separate activities so a failed notification is retried without emitting the Event twice, and
each write is idempotent: Events and UpdateRequests have deterministic names. The Event is
written by `clients.kube.events`, the UpdateRequest body built by `headwind.mirroring`.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from temporalio import activity

from clients.kube import events
from clients.kube.client import Conflict, Kube, KubeError, NotFound
from headwind import mirroring, names
from headwind.models import TERMINAL_PHASES, Phase, TransitionReport, UpdateStatus
from headwind.notifications import content
from headwind.settings import Settings
from metrics import updates as metrics

__all__ = ["TransitionActivities"]

log = logging.getLogger("headwind.transitions")

_WARNING_PHASES = frozenset({Phase.FAILED, Phase.ROLLED_BACK, Phase.STALE, Phase.EXPIRED})


class TransitionActivities:
    """Events, UpdateRequest mirror, logs and metrics for phase changes."""

    def __init__(self, kube: Kube, settings: Settings | None = None) -> None:
        self._kube = kube
        self._settings = settings

    @activity.defn(name=names.RECORD_TRANSITION)
    def record_transition(self, report: TransitionReport) -> None:
        status = report.status
        log.info(
            json.dumps(
                {
                    "event": "transition",
                    "workflowId": status.workflow_id,
                    "workload": str(status.workload),
                    "container": status.container,
                    "from": report.previous_phase.value if report.previous_phase else None,
                    "to": status.phase.value,
                    "reason": status.reason,
                    "message": status.message,
                }
            )
        )
        if activity.info().attempt == 1:
            metrics.record_transition(status, report.previous_phase)
        try:
            self._event(status)
            if status.require_approval and (
                status.phase == Phase.PENDING or self._mirrored(status)
            ):
                self._mirror(status)
        except NotFound as exc:
            # The workload's namespace is gone: there is nothing left to report on.
            log.warning("not recorded on %s: %s", status.workload, exc)

    def _event(self, status: UpdateStatus) -> None:
        warning = status.phase in _WARNING_PHASES
        events.emit(
            self._kube,
            status.workload,
            event_type=events.EventType.WARNING if warning else events.EventType.NORMAL,
            reason=f"Update{status.phase.value}",
            message=f"{status.container}: {status.current_image} → {status.new_image}: "
            f"{status.message}",
            key=f"{status.workflow_id}/{status.phase.value}/{len(status.timeline)}",
        )

    def _links(self, status: UpdateStatus) -> dict[str, str | None]:
        if self._settings is None:
            return {}
        built = content.links(
            status,
            public_url=self._settings.base_url.rstrip("/"),
            temporal_ui_url=(self._settings.temporal_ui_url or "").rstrip("/") or None,
            temporal_namespace=self._settings.temporal_namespace,
        )
        return {"ui_url": built.details, "temporal_url": built.temporal}

    def _path(self, status: UpdateStatus) -> str:
        ns = quote(status.workload.namespace, safe="")
        name = quote(status.request_name, safe="")
        return f"/apis/{mirroring.API_VERSION}/namespaces/{ns}/{mirroring.PLURAL}/{name}"

    def _mirrored(self, status: UpdateStatus) -> bool:
        try:
            self._kube.get(self._path(status))
        except NotFound:
            return False
        return True

    def _mirror(self, status: UpdateStatus) -> None:
        body = mirroring.request_body(status, **self._links(status))
        path = self._path(status)
        try:
            self._kube.create(path.rsplit("/", 1)[0], body)
        except Conflict:
            self._kube.merge_patch(path, {"spec": body["spec"]})
        try:
            self._kube.merge_patch(path + "/status", {"status": body["status"]})
        except KubeError as exc:
            if status.phase not in TERMINAL_PHASES:
                raise
            log.warning("could not mirror final phase of %s: %s", status.request_name, exc)
