"""The update workflow's Kubernetes activities: evaluate, apply, check health, remember.

Methods of one class that holds its Kubernetes client, so the worker injects a real one and
tests can inject another. Synchronous on purpose: the `kubernetes` client blocks, so the worker
runs these on a thread pool. Each is idempotent, because Temporal may run an activity again
after a crash at any point.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients.kube.client import Conflict, Kube, NotFound, resource_path
from headwind import annotations, images, names, policy, records, workloads
from headwind.models import (
    ApplyInput,
    ApplyResult,
    EvaluateInput,
    Evaluation,
    HealthInput,
    HealthReport,
    HealthState,
    Proposal,
    RememberInput,
    RollbackPlan,
    RollbackRequest,
    WorkloadKind,
    WorkloadRef,
)
from metrics import updates as metrics

__all__ = ["UpdateActivities"]

log = logging.getLogger(__name__)

_APPLY_ATTEMPTS = 5


def _annotations_of(obj: dict[str, Any]) -> dict[str, str]:
    raw = (obj.get("metadata") or {}).get("annotations") or {}
    return {str(k): str(v) for k, v in raw.items()}


def _tag_of(kind: WorkloadKind, image: str) -> str:
    if kind == WorkloadKind.HELMRELEASE:
        return image.rpartition(":")[2]
    # A digest-only reference has no tag to compare: the policy then answers "not a version".
    return images.parse(image).effective_tag or ""


class UpdateActivities:
    """Activities that read and write workloads."""

    def __init__(self, kube: Kube) -> None:
        self._kube = kube

    def _get(self, workload: WorkloadRef) -> dict[str, Any]:
        return self._kube.get(resource_path(workload.kind, workload.namespace, workload.name))

    @activity.defn(name=names.EVALUATE)
    def evaluate(self, request: EvaluateInput) -> Evaluation:
        """Judge one candidate against the live workload with the policy engine."""
        proposal = request.proposal
        workload = proposal.workload
        try:
            obj = self._get(workload)
        except NotFound:
            return Evaluation(
                eligible=False, reason="workload-not-found", message=f"{workload} does not exist"
            )
        parsed, problems = annotations.parse(_annotations_of(obj))
        spot = workloads.find(workload.kind, obj, proposal.container)
        if spot is None:
            return Evaluation(
                eligible=False,
                reason="container-not-found",
                message=f"{workload} has no container {proposal.container!r}",
            )
        kind = workload.kind
        if kind == WorkloadKind.HELMRELEASE:
            repository = spot.image.rpartition(":")[0]
            new_image = f"{repository}:{proposal.tag}"
        else:
            ref = images.parse(spot.image)
            repository = ref.repository_key
            digest = proposal.digest if parsed.pin_digest else None
            new_image = images.with_tag(spot.image, proposal.tag, digest)
        current_tag = _tag_of(kind, spot.image)
        settings = parsed.policy_settings(proposal.container)
        decision = policy.evaluate(settings, current_tag, [proposal.tag])
        verdict = decision.candidates[0] if decision.candidates else None
        eligible = decision.chosen == proposal.tag
        reason = str(verdict.reason if verdict else decision.reason)
        message = verdict.message if verdict else decision.message
        rebuilt = _new_build(kind, parsed, proposal, spot.image, current_tag)
        if rebuilt is not None:
            eligible, reason, message = rebuilt
        if eligible and not annotations.tracks(parsed, proposal.container, spot.image):
            eligible, reason, message = False, "not-tracked", "headwind.sh/images excludes it"
        return Evaluation(
            eligible=eligible,
            reason=reason,
            message=message,
            current_image=spot.image,
            new_image=new_image,
            repository=repository,
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
        )

    @activity.defn(name=names.APPLY)
    def apply(self, request: ApplyInput) -> ApplyResult:
        """Set the new image in one conditional write, with history and last-update."""
        workload = request.workload
        path = resource_path(workload.kind, workload.namespace, workload.name)
        for _ in range(_APPLY_ATTEMPTS):
            try:
                obj = self._kube.get(path)
            except NotFound:
                return ApplyResult(applied=False, stale=True, message=f"{workload} is gone")
            spot = workloads.find(workload.kind, obj, request.container)
            if spot is None:
                return ApplyResult(
                    applied=False, stale=True, message=f"container {request.container} is gone"
                )
            written = _annotations_of(obj)
            history, _ = records.parse_history(written.get(annotations.UPDATE_HISTORY))
            new_value = workloads.value_for(workload.kind, request.new_image)
            known, _ = records.parse_digests(written.get(annotations.DIGESTS))
            # Workflow IDs repeat (a rebuild of a tag is proposed under the tag's ID), so a
            # build-carrying request is only done once its digest is the one recorded.
            recorded = known.get(request.container)
            same_build = request.digest is None or (
                recorded is not None and recorded.digest == request.digest
            )
            if (
                spot.image == request.new_image
                and same_build
                and any(
                    e.workflow_id == request.workflow_id and e.image == new_value
                    for e in history[:1]
                )
            ):
                # A retry after a write that succeeded: report it, write nothing.
                return ApplyResult(
                    applied=True, message="already applied", generation=_generation(obj)
                )
            if spot.image != request.expected_image:
                return ApplyResult(
                    applied=False,
                    stale=True,
                    message=f"runs {spot.image}, not {request.expected_image} as expected",
                )
            now = datetime.now(UTC)
            # Same reference, new build (`force` without pinning): roll out by restarting.
            restart = (
                request.action == "update"
                and request.new_image == spot.image
                and workload.kind != WorkloadKind.HELMRELEASE
            )
            entry = records.HistoryEntry(
                container=request.container,
                image=new_value,
                previous_image=spot.value,
                at=now,
                kind=records.HistoryKind(request.action),
                by=request.actor,
                reason=(
                    f"restart for the new build {request.digest or ''}"
                    if restart
                    else request.reason
                ),
                workflow_id=request.workflow_id,
            )
            changes = {
                annotations.UPDATE_HISTORY: records.dump_history(
                    records.append_history(history, entry)
                ),
                annotations.LAST_UPDATE: records.format_timestamp(now),
            }
            if request.digest and workload.kind != WorkloadKind.HELMRELEASE:
                tag = _tag_of(workload.kind, request.new_image)
                known = records.record_digest(known, request.container, tag, request.digest)
                changes[annotations.DIGESTS] = records.dump_digests(known)
            ops = workloads.replace_ops(workload.kind, spot, request.new_image)
            ops += workloads.annotation_ops(obj, changes)
            if restart:
                ops += workloads.restart_ops(workload.kind, obj, records.format_timestamp(now))
            try:
                patched = self._kube.json_patch(path, ops)
            except Conflict:
                continue  # someone wrote in between: read again and decide again
            metrics.record_apply(workload, request.action, manual=request.manual)
            log.info(
                "applied",
                extra={
                    "workload": str(workload),
                    "image": request.new_image,
                    "action": request.action,
                },
            )
            return ApplyResult(applied=True, message="applied", generation=_generation(patched))
        raise ApplicationError(f"{workload} kept changing; giving up after {_APPLY_ATTEMPTS} tries")

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
        path = resource_path(workload.kind, workload.namespace, workload.name)
        try:
            obj = self._kube.get(path)
        except NotFound:
            return
        remembered, _ = records.parse_remembered(_annotations_of(obj).get(key))
        updated = records.remember(remembered, request.container, request.tag)
        self._kube.merge_patch(
            path, {"metadata": {"annotations": {key: records.dump_remembered(updated)}}}
        )

    @activity.defn(name=names.PLAN_ROLLBACK)
    def plan_rollback(self, request: RollbackRequest) -> RollbackPlan:
        """Read the live workload and its history to decide where a rollback goes."""
        try:
            obj = self._get(request.workload)
        except NotFound:
            return RollbackPlan(possible=False, message=f"{request.workload} does not exist")
        return plan_rollback(request.workload.kind, obj, request)


def _new_build(
    kind: WorkloadKind,
    parsed: annotations.WorkloadAnnotations,
    proposal: Proposal,
    image: str,
    current_tag: str,
) -> tuple[bool, str, str] | None:
    """The verdict on a new digest of the current tag under `force` or pin-digest, or None
    when the proposal is not that (the policy's verdict stands)."""
    if kind == WorkloadKind.HELMRELEASE or proposal.tag != current_tag or not proposal.digest:
        return None
    settings = parsed.policy_settings(proposal.container)
    kind_of_policy = settings.policy.kind
    if kind_of_policy == policy.PolicyKind.NONE:
        return None
    if kind_of_policy != policy.PolicyKind.FORCE and not parsed.pin_digest:
        return None
    if current_tag in settings.rejected or current_tag in settings.failed:
        return None  # the owner said no to this tag: its rebuilds are not proposed either
    known = images.parse(image).digest
    record = parsed.digests.get(proposal.container)
    if known is None and record is not None and record.tag == current_tag:
        known = record.digest
    if known == proposal.digest:
        return False, "same-digest", f"{current_tag} already runs {proposal.digest}"
    return True, "digest-changed", f"{current_tag} has a new build: {proposal.digest}"


def _generation(obj: dict[str, Any]) -> int:
    return int((obj.get("metadata") or {}).get("generation") or 0)


def plan_rollback(
    kind: WorkloadKind, obj: dict[str, Any], request: RollbackRequest
) -> RollbackPlan:
    """Where to go back to: `to` (an image or a tag), else the image the current one replaced."""
    spot = workloads.find(kind, obj, request.container)
    if spot is None:
        return RollbackPlan(possible=False, message=f"no container {request.container!r}")
    current_tag = _tag_of(kind, spot.image)
    if request.to:
        target = request.to
        if kind != WorkloadKind.HELMRELEASE and ("/" in target or ":" in target):
            if images.parse(target).repository_key != images.parse(spot.image).repository_key:
                return RollbackPlan(
                    possible=False,
                    message=f"{target} is another repository than {spot.image}",
                )
        elif kind == WorkloadKind.HELMRELEASE:
            target = f"{spot.image.rpartition(':')[0]}:{target.rpartition(':')[2]}"
        else:
            target = images.with_tag(spot.image, target)
    else:
        history, _ = records.parse_history(_annotations_of(obj).get(annotations.UPDATE_HISTORY))
        mine = [e for e in history if e.container == request.container]
        # A restart for a new build (same image before and after) is no step to go back to.
        replaced = next(
            (
                e.previous_image
                for e in mine
                if e.image == spot.value and e.previous_image and e.previous_image != e.image
            ),
            None,
        )
        if replaced is None:
            return RollbackPlan(
                possible=False,
                message=f"the history of {request.container!r} has no image before {spot.image}",
            )
        target = (
            replaced
            if kind != WorkloadKind.HELMRELEASE
            else f"{spot.image.rpartition(':')[0]}:{replaced}"
        )
    if target == spot.image:
        return RollbackPlan(possible=False, message=f"{request.container} already runs {target}")
    return RollbackPlan(
        possible=True,
        message=f"{spot.image} → {target}",
        current_image=spot.image,
        target_image=target,
        abandoned_tag=current_tag,
    )
