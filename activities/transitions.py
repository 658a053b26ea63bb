"""What happens around each phase change: a Kubernetes Event, the UpdateRequest mirror, a log
line, metrics, and (from its own activity) the notifications.

Separate activities so a failed notification is retried without emitting the Event twice, and
each write is idempotent: Events and UpdateRequests have deterministic names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from clients.kube.client import Conflict, Kube, KubeError, NotFound
from headwind import names
from headwind.models import TERMINAL_PHASES, Notification, Phase, TransitionReport, UpdateStatus
from metrics import updates as metrics

__all__ = ["TransitionActivities", "request_body"]

log = logging.getLogger("headwind.transitions")

UR_GROUP = "/apis/headwind.sh/v1alpha1"
_WARNING_PHASES = frozenset({Phase.FAILED, Phase.ROLLED_BACK, Phase.STALE, Phase.EXPIRED})
_API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "CronJob": "batch/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
}


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_body(status: UpdateStatus) -> dict[str, Any]:
    """The UpdateRequest object that mirrors `status`."""
    w = status.workload
    spec: dict[str, Any] = {
        "targetRef": {
            "apiVersion": _API_VERSIONS[w.kind.value],
            "kind": w.kind.value,
            "name": w.name,
        },
        "containerName": status.container,
        "currentImage": status.current_image,
        "newImage": status.new_image,
        "policy": status.policy,
        "reason": status.reason,
        "workflowId": status.workflow_id,
    }
    if status.expires_at:
        spec["expiresAt"] = _stamp(status.expires_at)
    state: dict[str, Any] = {
        "phase": status.phase.value,
        "message": status.message,
        "lastUpdated": _stamp(datetime.now(UTC)),
    }
    for key, value in (
        ("approvedBy", status.approved_by),
        ("approvedAt", _stamp(status.approved_at)),
        ("rejectedBy", status.rejected_by),
        ("rejectedAt", _stamp(status.rejected_at)),
    ):
        if value:
            state[key] = value
    return {
        "apiVersion": "headwind.sh/v1alpha1",
        "kind": "UpdateRequest",
        "metadata": {
            "name": status.request_name,
            "namespace": w.namespace,
            "labels": {
                "headwind.sh/target-kind": w.kind.value.lower(),
                "headwind.sh/target-name": w.name[:63],
            },
        },
        "spec": spec,
        "status": state,
    }


class TransitionActivities:
    """Events, UpdateRequest mirror, logs, metrics and notifications for phase changes."""

    def __init__(self, kube: Kube) -> None:
        self._kube = kube

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

    @activity.defn(name=names.NOTIFY)
    def notify(self, notification: Notification) -> None:
        """One call per transition. Sinks (Slack, Teams, webhooks) plug in here."""
        status = notification.status
        log.info(
            json.dumps(
                {
                    "event": "notification",
                    "kind": notification.event,
                    "workflowId": status.workflow_id,
                    "workload": str(status.workload),
                    "container": status.container,
                    "newImage": status.new_image,
                    "phase": status.phase.value,
                }
            )
        )

    def _event(self, status: UpdateStatus) -> None:
        w = status.workload
        key = f"{status.workflow_id}/{status.phase.value}/{len(status.timeline)}"
        name = f"{w.name[:200]}.hw{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        now = _stamp(datetime.now(UTC))
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": w.namespace},
            "involvedObject": {
                "apiVersion": _API_VERSIONS[w.kind.value],
                "kind": w.kind.value,
                "name": w.name,
                "namespace": w.namespace,
            },
            "reason": f"Update{status.phase.value}",
            "message": f"{status.container}: {status.current_image} → {status.new_image}: "
            f"{status.message}"[:1024],
            "type": "Warning" if status.phase in _WARNING_PHASES else "Normal",
            "source": {"component": "headwind"},
            "reportingComponent": "headwind.sh/headwind",
            "reportingInstance": "headwind",
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        with contextlib.suppress(Conflict):  # a retry: the Event exists already
            self._kube.create(f"/api/v1/namespaces/{w.namespace}/events", body)

    def _path(self, status: UpdateStatus) -> str:
        ns = status.workload.namespace
        return f"{UR_GROUP}/namespaces/{ns}/updaterequests/{status.request_name}"

    def _mirrored(self, status: UpdateStatus) -> bool:
        try:
            self._kube.get(self._path(status))
        except NotFound:
            return False
        return True

    def _mirror(self, status: UpdateStatus) -> None:
        body = request_body(status)
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
