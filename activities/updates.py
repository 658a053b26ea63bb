"""The update workflow's Kubernetes activities: evaluate, apply, check health, remember.

Methods of one class that holds its Kubernetes client, so the worker injects a real one and
tests can inject another. Synchronous on purpose: the `kubernetes` client blocks, so the worker
runs these on a thread pool. Each is idempotent, because Temporal may run an activity again
after a crash at any point. The rules they apply live in the domain core (`headwind.policy`,
`headwind.rebuilds`, `headwind.workloads`, `headwind.rollbacks`); these methods read, decide
with them, and write.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from clients.kube import patching
from clients.kube.client import JsonObj, Kube, NotFound, resource_path
from headwind import annotations, names, policy, rebuilds, records, rollbacks, workloads
from headwind.models import (
    ApplyInput,
    ApplyResult,
    EvaluateInput,
    Evaluation,
    HealthInput,
    HealthReport,
    HealthState,
    RememberInput,
    RollbackPlan,
    RollbackRequest,
    WorkloadRef,
)
from headwind.notifications import routing
from metrics import updates as metrics

__all__ = ["UpdateActivities"]

log = logging.getLogger(__name__)

_POLICY_SPEAKS = frozenset(
    {rebuilds.RebuildReason.NOT_FOLLOWED, rebuilds.RebuildReason.REFUSED_EARLIER}
)


class UpdateActivities:
    """Activities that read and write workloads.

    `notify_route` is where notifications go by default (the configured sinks); with it, an
    evaluation can tell the workflow that nobody would hear of a workload's updates.
    """

    def __init__(self, kube: Kube, notify_route: routing.Route | None = None) -> None:
        self._kube = kube
        self._notify_route = notify_route

    def _get(self, workload: WorkloadRef) -> JsonObj:
        return self._kube.get(resource_path(workload.kind, workload.namespace, workload.name))

    @activity.defn(name=names.EVALUATE)
    def evaluate(self, request: EvaluateInput) -> Evaluation:
        """Judge one candidate against the live workload with the policy engine."""
        proposal = request.proposal
        workload = proposal.workload
        kind = workload.kind
        try:
            obj = self._get(workload)
        except NotFound:
            return Evaluation(
                eligible=False, reason="workload-not-found", message=f"{workload} does not exist"
            )
        written = workloads.annotations_of(obj)
        parsed, problems = annotations.parse(written)
        spot = workloads.find(kind, obj, proposal.container)
        if spot is None:
            return Evaluation(
                eligible=False,
                reason="container-not-found",
                message=f"{workload} has no container {proposal.container!r}",
            )
        digest = proposal.digest if parsed.pin_digest and not kind.is_chart else None
        new_image = workloads.retag(kind, spot.image, proposal.tag, digest)
        current_tag = workloads.tag_of(kind, spot.image)
        settings = parsed.policy_settings(proposal.container)
        decision = policy.evaluate(settings, current_tag, [proposal.tag])
        verdict = decision.verdict(proposal.tag)
        eligible = decision.chosen == proposal.tag
        reason = str(verdict.reason if verdict else decision.reason)
        message = verdict.message if verdict else decision.message
        if proposal.tag == current_tag and proposal.digest and not kind.is_chart:
            rebuild = rebuilds.judge(
                parsed,
                proposal.container,
                current_tag,
                pinned=workloads.pinned_digest(kind, spot.image),
                seen=proposal.digest,
            )
            # Not followed, or refused earlier: the policy's own verdict on the tag says why.
            if rebuild.reason not in _POLICY_SPEAKS:
                eligible, reason, message = rebuild.is_update, str(rebuild.reason), rebuild.message
        if eligible and not annotations.tracks(parsed, proposal.container, spot.image):
            eligible, reason, message = False, "not-tracked", "headwind.sh/images excludes it"
        return Evaluation(
            eligible=eligible,
            reason=reason,
            message=message,
            current_image=spot.image,
            new_image=new_image,
            repository=workloads.repository_of(kind, spot.image),
            policy=str(parsed.policy),
            pattern=parsed.pattern,
            prerelease=parsed.prerelease,
            require_approval=parsed.require_approval,
            auto_rollback=parsed.auto_rollback,
            min_update_interval_seconds=parsed.min_update_interval.total_seconds(),
            min_age_seconds=parsed.min_age.total_seconds(),
            approval_timeout_seconds=parsed.approval_timeout.total_seconds(),
            rollback_timeout_seconds=parsed.rollback_timeout.total_seconds(),
            health_check_retries=parsed.health_check_retries,
            last_update=parsed.last_update,
            problems=tuple(f"{p.key}: {p.message}" for p in problems),
            **self._notification_fields(written),
            snapshot=_snapshot(obj),
        )

    def _notification_fields(self, written: dict[str, str]) -> dict[str, Any]:
        found = {k: written[k] for k in annotations.NOTIFICATION_KEYS if k in written}
        if self._notify_route is None:
            return {"routing": found}
        route, problems = routing.route(found, self._notify_route)
        # A bad routing annotation is reported by the notification, so one still runs.
        return {"routing": found, "notify": bool(route.sinks or problems)}

    @activity.defn(name=names.APPLY)
    def apply(self, request: ApplyInput) -> ApplyResult:
        """Set the new image in one conditional write, with history and last-update."""
        workload = request.workload
        path = resource_path(workload.kind, workload.namespace, workload.name)
        outcome: list[ApplyResult] = []

        def change(obj: JsonObj) -> patching.Ops | None:
            outcome.clear()
            refused = _refusal(request, obj)
            if refused is not None:
                outcome.append(refused)
                return None
            return _apply_ops(request, obj, datetime.now(UTC))

        try:
            patched = patching.read_modify_write(self._kube, path, change, first=request.snapshot)
        except NotFound:
            return ApplyResult(applied=False, stale=True, message=f"{workload} is gone")
        if patched is None:
            return outcome[0]
        metrics.record_apply(workload, request.action, manual=request.manual)
        log.info(
            "applied",
            extra={"workload": str(workload), "image": request.new_image, "action": request.action},
        )
        return ApplyResult(
            applied=True, message="applied", generation=workloads.generation(patched)
        )

    @activity.defn(name=names.CHECK_HEALTH)
    def check_health(self, request: HealthInput) -> HealthReport:
        """Judge the new revision from the workload's status and its new pods."""
        workload = request.workload
        try:
            obj = self._get(workload)
        except NotFound:
            return self._health(workload, HealthState.FAILING, f"{workload} was deleted")
        spot = workloads.find(workload.kind, obj, request.container)
        if spot is None or spot.image != request.new_image:
            found = spot.image if spot else "no such container"
            message = f"changed by someone else during the rollout: {found}"
            return self._health(workload, HealthState.FAILING, message)
        selector = workloads.pod_selector(workload.kind, obj)
        pods: list[dict[str, Any]] = []
        if selector:
            pods = self._kube.list(
                f"/api/v1/namespaces/{workload.namespace}/pods", label_selector=selector
            )
        state, message = workloads.judge_health(
            workload.kind, obj, pods, request.container, request.new_image, request.generation
        )
        return self._health(workload, state, message)

    @staticmethod
    def _health(workload: WorkloadRef, state: HealthState, message: str) -> HealthReport:
        metrics.record_health_check(workload, failed=state == HealthState.FAILING)
        return HealthReport(state=state, message=message)

    @activity.defn(name=names.REMEMBER_TAG)
    def remember_tag(self, request: RememberInput) -> None:
        """Remember a rejected or failed tag on the workload, so it is never proposed again."""
        key = annotations.REJECTED_TAGS if request.why == "rejected" else annotations.FAILED_TAGS
        workload = request.workload

        def change(obj: JsonObj) -> patching.Ops | None:
            remembered, _ = records.parse_remembered(workloads.annotations_of(obj).get(key))
            updated = records.remember(remembered, request.container, request.tag)
            if updated == remembered:
                return None
            return workloads.annotation_ops(obj, {key: records.dump_remembered(updated)})

        path = resource_path(workload.kind, workload.namespace, workload.name)
        try:
            patching.read_modify_write(self._kube, path, change)
        except NotFound:
            return

    @activity.defn(name=names.PLAN_ROLLBACK)
    def plan_rollback(self, request: RollbackRequest) -> RollbackPlan:
        """Read the live workload and its history to decide where a rollback goes."""
        try:
            obj = self._get(request.workload)
        except NotFound:
            return RollbackPlan(possible=False, message=f"{request.workload} does not exist")
        return rollbacks.plan(request.workload.kind, obj, request)


def _snapshot(obj: JsonObj) -> JsonObj:
    """What an apply needs of the object (spec, metadata with its version), nothing bulky."""
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    if isinstance(metadata.get("annotations"), dict):
        kept = dict(metadata["annotations"])
        kept.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        metadata["annotations"] = kept
    return {k: v for k, v in obj.items() if k not in {"status", "metadata"}} | {
        "metadata": metadata
    }


def _refusal(request: ApplyInput, obj: JsonObj) -> ApplyResult | None:
    """Why nothing is written: the change is already there (a retry), or the workload no longer
    runs what the request was made against (stale). None: go ahead."""
    kind = request.workload.kind
    spot = workloads.find(kind, obj, request.container)
    if spot is None:
        return ApplyResult(
            applied=False, stale=True, message=f"container {request.container} is gone"
        )
    written = workloads.annotations_of(obj)
    history, _ = records.parse_history(written.get(annotations.UPDATE_HISTORY))
    known, _ = records.parse_digests(written.get(annotations.DIGESTS))
    # Workflow IDs repeat (a rebuild of a tag is proposed under the tag's ID), so a
    # build-carrying request is only done once its digest is the one recorded.
    recorded = known.get(request.container)
    same_build = request.digest is None or (
        recorded is not None and recorded.digest == request.digest
    )
    new_value = workloads.value_for(kind, request.new_image)
    if (
        spot.image == request.new_image
        and same_build
        and any(e.workflow_id == request.workflow_id and e.image == new_value for e in history[:1])
    ):
        return ApplyResult(
            applied=True, message="already applied", generation=workloads.generation(obj)
        )
    if spot.image != request.expected_image:
        return ApplyResult(
            applied=False,
            stale=True,
            message=f"runs {spot.image}, not {request.expected_image} as expected",
        )
    return None


def _apply_ops(request: ApplyInput, obj: JsonObj, now: datetime) -> patching.Ops:
    """The image change, its history entry, last-update and (when known) the build's digest."""
    kind = request.workload.kind
    spot = workloads.find(kind, obj, request.container)
    assert spot is not None  # checked by _refusal on the same object
    written = workloads.annotations_of(obj)
    # Same reference, new build (`force` without pinning): roll out by restarting.
    restart = request.action == "update" and request.new_image == spot.image and not kind.is_chart
    entry = records.HistoryEntry(
        container=request.container,
        image=workloads.value_for(kind, request.new_image),
        previous_image=spot.value,
        at=now,
        kind=records.HistoryKind(request.action),
        by=request.actor,
        reason=f"restart for the new build {request.digest or ''}" if restart else request.reason,
        workflow_id=request.workflow_id,
    )
    history, _ = records.parse_history(written.get(annotations.UPDATE_HISTORY))
    changes = {
        annotations.UPDATE_HISTORY: records.dump_history(records.append_history(history, entry)),
        annotations.LAST_UPDATE: records.format_timestamp(now),
    }
    if request.digest and not kind.is_chart:
        known, _ = records.parse_digests(written.get(annotations.DIGESTS))
        tag = workloads.tag_of(kind, request.new_image)
        known = records.record_digest(known, request.container, tag, request.digest)
        changes[annotations.DIGESTS] = records.dump_digests(known)
    ops = [
        *workloads.replace_ops(kind, spot, request.new_image),
        *workloads.annotation_ops(obj, changes),
    ]
    if restart:
        ops += workloads.restart_ops(kind, obj, records.format_timestamp(now))
    return ops
