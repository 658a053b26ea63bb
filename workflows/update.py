"""The update workflow: one per candidate tag of one workload container.

evaluate → wait (min-update-interval, min-age) → approve → apply → monitor → finish, each step
durable. Workflow code only orchestrates: every read and write of the cluster is an activity,
every wait a Temporal timer, every human decision a Workflow Update (or a signal, which can be
sent while no worker runs).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Literal

import temporalio.common
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from clients.temporal import attributes as search_attributes
    from headwind import names, naming
    from headwind.models import (
        TERMINAL_PHASES,
        ApplyInput,
        ApplyResult,
        ApprovalIn,
        EvaluateInput,
        Evaluation,
        HealthInput,
        HealthReport,
        HealthState,
        NotificationEvent,
        Phase,
        Proposal,
        RejectIn,
        RememberInput,
        SlackThread,
        SlotGrant,
        SlotRelease,
        SlotRequest,
        UpdateStatus,
        WorkloadKind,
    )
    from workflows import common

__all__ = ["UpdateWorkflow"]

Decision = Literal["approve", "reject"]

_WAITING_FOR_DECISION = frozenset({Phase.APPROVED, Phase.APPLYING})
_APPLYING = TERMINAL_PHASES | {Phase.APPLYING, Phase.MONITORING}

BUSY_WITH_APPLY_PATCH = "busy-with-apply"
"""Workflow patch id: the slot hears "busy" while the PATCH is under way, not before it."""

DIRECT_PATCH = "direct-path"
"""Workflow patch id of the shortest command sequence, standing for every earlier patch too
(one marker instead of several): evaluate, apply and health checks run as local activities;
the slot is asked by Workflow Update, so a free slot is granted in the same workflow task; an
update that applies as soon as it holds the slot says so in its request, and none signals
"busy" later; the apply writes against the object the evaluation read; the slot is released by a
local activity; no notification is scheduled for a workload no sink hears of, and
notifications carry the routing the evaluation read."""

_FRESH = timedelta(seconds=2)
"""An evaluation this recent is as good as a new one: a slot granted within it was free, so
nothing could have changed the candidate's standing but another writer of the workload, which
the apply's stale guard catches anyway."""


@workflow.defn(name=names.UPDATE_WORKFLOW)
class UpdateWorkflow:
    def __init__(self) -> None:
        self._proposal: Proposal | None = None
        self._status: UpdateStatus | None = None
        self._evaluation: Evaluation | None = None
        self._grant: SlotGrant | None = None
        self._holding_slot = False
        self._decision: Decision | None = None
        self._superseded_by: str | None = None
        self._slack_thread: SlackThread | None = None
        self._lean = False
        self._direct = False
        self._granted_at_once = False
        self._busy: asyncio.Future[None] | None = None
        self._evaluated_at: datetime | None = None
        self._pending_attributes: list[temporalio.common.SearchAttributeUpdate[str]] = []

    # -- the run -----------------------------------------------------------------------------

    @workflow.run
    async def run(self, proposal: Proposal) -> UpdateStatus:
        self._proposal = proposal
        name = naming.request_name(proposal.workload, proposal.container, proposal.tag)
        self._status = UpdateStatus(
            workflow_id=workflow.info().workflow_id,
            request_name=name,
            workload=proposal.workload,
            container=proposal.container,
            tag=proposal.tag,
            phase=Phase.EVALUATING,
        )
        self._direct = workflow.patched(DIRECT_PATCH)
        self._lean = self._direct or workflow.patched(common.LEAN_PATCH)
        if not (self._lean and self._started_with_attributes()):
            workflow.upsert_search_attributes(search_attributes.for_proposal(proposal))
        try:
            await self._steps(proposal)
        except ActivityError as error:
            # Retries are spent or the error is permanent: end in a terminal phase, never hang.
            cause = error.cause or error
            await self._finish(Phase.FAILED, "error", f"{error.activity_type or 'a step'}: {cause}")
            await self._notify(NotificationEvent.FAILED)
        # Not in a `finally`: an evicted workflow's coroutine is closed outside the workflow's
        # event loop, where no signal can be sent. A run that ends any other way than here
        # (terminated, cancelled) is noticed by the slot itself, which then frees the container.
        if self._busy is not None:
            await self._busy
        if self._holding_slot and self._direct:
            # A lost release only delays the next update: the slot frees a holder that has
            # ended when someone asks for it, or when it has been idle a while.
            await common.inform_locally(
                names.RELEASE_SLOT,
                SlotRelease(slot_id=self._slot_id(), workflow_id=workflow.info().workflow_id),
            )
        elif self._holding_slot:
            await self._slot().signal(names.SLOT_RELEASE, workflow.info().workflow_id)
        self._flush_direct()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _steps(self, proposal: Proposal) -> None:
        evaluation = await self._evaluate(proposal)
        if not evaluation.eligible:
            await self._finish(Phase.SKIPPED, evaluation.reason, evaluation.message)
            return
        await self._notify(NotificationEvent.DETECTED)

        busy = self._direct and self._applies_at_once(evaluation)
        if not await self._take_slot(proposal, evaluation, busy=busy):
            return
        if not self._still_fresh():
            # Waiting for the slot took a while: judge the candidate again on the live workload.
            evaluation = await self._evaluate(proposal)
            if not evaluation.eligible:
                await self._finish(Phase.SKIPPED, evaluation.reason, evaluation.message)
                return
        if not await self._wait_until_allowed(evaluation):
            return
        if evaluation.require_approval and not await self._await_approval(evaluation):
            return

        if self._superseded_by is not None:
            await self._supersede(self._superseded_by)
            return
        if self._direct:
            # No "busy" signal: an update that applies at once asked as busy, and one that
            # was approved ignores a newcomer's supersede from now on (it has decided), so the
            # slot only keeps the newcomer waiting until the release, as "busy" would have.
            pass
        elif self._lean and workflow.patched(BUSY_WITH_APPLY_PATCH):
            signal = self._slot().signal(names.SLOT_BUSY, workflow.info().workflow_id)
            # Sent along with the PATCH rather than before it: a newcomer the slot hears of
            # first is told to supersede a holder that is applying, which ignores it, and the
            # slot hands on at the release either way.
            self._busy = asyncio.ensure_future(signal)
        else:
            await self._slot().signal(names.SLOT_BUSY, workflow.info().workflow_id)
        applying = self._transition(Phase.APPLYING, "applying", f"setting {evaluation.new_image}")
        if self._direct:
            # Recorded while the PATCH is under way, not before it: the Event and the metrics
            # only inform, and the PATCH is what the update is waiting for.
            recorded = asyncio.ensure_future(applying)
        else:
            await applying
            recorded = None
        result = await self._apply(
            ApplyInput(
                workload=proposal.workload,
                container=proposal.container,
                expected_image=evaluation.current_image,
                new_image=evaluation.new_image,
                workflow_id=workflow.info().workflow_id,
                actor=self._state.approved_by or "headwind",
                reason=f"policy {evaluation.policy}: {evaluation.message}",
                digest=proposal.digest,
                snapshot=evaluation.snapshot if self._direct and self._still_fresh() else None,
            )
        )
        if recorded is not None:
            await recorded
        if result.stale:
            await self._finish(Phase.STALE, "stale", result.message)
            return
        monitored = evaluation.auto_rollback and proposal.workload.kind != WorkloadKind.CRONJOB
        if not monitored:
            await self._finish(Phase.COMPLETED, "applied", f"{evaluation.new_image} applied")
            await self._notify(NotificationEvent.COMPLETED)
            return
        await self._monitor(evaluation, result.generation)

    # -- steps -------------------------------------------------------------------------------

    async def _evaluate(self, proposal: Proposal) -> Evaluation:
        request = EvaluateInput(proposal=proposal, known_since=workflow.info().start_time)
        if self._direct:
            evaluation = await common.act_locally(names.EVALUATE, request, Evaluation)
        else:
            evaluation = await common.act(names.EVALUATE, request, Evaluation)
        self._evaluation = evaluation
        self._evaluated_at = workflow.now()
        self._update(
            reason=evaluation.reason,
            message=evaluation.message,
            current_image=evaluation.current_image or self._state.current_image,
            new_image=evaluation.new_image or self._state.new_image,
            policy=evaluation.policy,
            require_approval=evaluation.require_approval,
        )
        if evaluation.repository:
            update = search_attributes.IMAGE_REPOSITORY.value_set(evaluation.repository)
            if self._lean:
                # Sent with the next phase change (or before a wait): one upsert, not two.
                self._pending_attributes.append(update)
            else:
                workflow.upsert_search_attributes([update])
        return evaluation

    async def _apply(self, request: ApplyInput) -> ApplyResult:
        if self._direct:
            return await common.act_locally(names.APPLY, request, ApplyResult)
        return await common.act(names.APPLY, request, ApplyResult)

    def _applies_at_once(self, evaluation: Evaluation) -> bool:
        """Whether the update applies as soon as it holds the slot: no approval, no timer."""
        return not evaluation.require_approval and not any(
            until > workflow.now() for _, until in self._waits(evaluation)
        )

    def _still_fresh(self) -> bool:
        """Whether the first evaluation still holds (the slot was granted at once)."""
        if not self._lean or self._evaluated_at is None:
            return False
        # On the direct path only a slot that was free when asked: one handed on by an update
        # that has just applied comes with a workload that update changed.
        if self._direct and not self._granted_at_once:
            return False
        return workflow.now() - self._evaluated_at <= _FRESH

    def _started_with_attributes(self) -> bool:
        """Whether the starter set the proposal's search attributes (`propose` does)."""
        present = workflow.info().typed_search_attributes
        wanted = search_attributes.for_proposal(self._proposal_or_fail())
        return all(present.get(update.key) is not None for update in wanted)

    def _flush_direct(self) -> None:
        """Before a wait: the phase and repository set since the last one, in one upsert."""
        if self._direct:
            self._flush_attributes()

    def _flush_attributes(self, *more: temporalio.common.SearchAttributeUpdate[str]) -> None:
        updates = [*self._pending_attributes, *more]
        self._pending_attributes = []
        if self._direct:
            # One value per attribute: the last one set.
            updates = list({update.key.name: update for update in updates}.values())
        if updates:
            workflow.upsert_search_attributes(updates)

    async def _take_slot(
        self, proposal: Proposal, evaluation: Evaluation, *, busy: bool = False
    ) -> bool:
        self._update(waiting_for="its turn: another update of this container is in progress")
        workflow.set_current_details("Waiting for the container's slot")
        request = SlotRequest(
            workflow_id=workflow.info().workflow_id,
            slot_id=naming.slot_workflow_id(proposal.workload, proposal.container),
            tag=proposal.tag,
            policy=evaluation.policy,
            pattern=evaluation.pattern,
            prerelease=evaluation.prerelease,
            busy=busy,
        )
        if self._direct:
            answer = await common.act_locally(names.ACQUIRE_SLOT, request, SlotGrant)
            if self._grant is None and not answer.pending:
                self._grant = answer
                self._granted_at_once = answer.granted
            elif self._grant is None:
                self._flush_attributes()
        elif self._lean:
            await common.act_locally(names.REQUEST_SLOT, request, type(None))
            if self._grant is None:
                # A wait of unknown length: list the update by repository meanwhile.
                self._flush_attributes()
        else:
            await common.act(names.REQUEST_SLOT, request, type(None))
        await workflow.wait_condition(lambda: self._grant is not None)
        assert self._grant is not None
        if not self._grant.granted:
            await self._supersede(self._grant.superseded_by)
            return False
        self._holding_slot = True
        return True

    async def _wait_until_allowed(self, evaluation: Evaluation) -> bool:
        """Defer, never drop: min-update-interval, then min-age, on durable timers."""
        now = workflow.now()
        for label, until in self._waits(evaluation):
            remaining = (until - now).total_seconds()
            if remaining <= 0:
                continue
            await self._transition(
                Phase.WAITING, label, f"waiting for {label} until {until.isoformat()}"
            )
            self._update(waiting_for=f"{label} until {until.isoformat()}")
            self._flush_direct()
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._superseded_by is not None,
                    timeout=remaining,
                    timeout_summary=label,
                )
            if self._superseded_by is not None:
                await self._supersede(self._superseded_by)
                return False
            now = workflow.now()
        return True

    @staticmethod
    def _waits(evaluation: Evaluation) -> list[tuple[str, datetime]]:
        waits: list[tuple[str, datetime]] = []
        if evaluation.last_update is not None and evaluation.min_update_interval_seconds > 0:
            interval = timedelta(seconds=evaluation.min_update_interval_seconds)
            waits.append(("min-update-interval", evaluation.last_update + interval))
        if evaluation.min_age_seconds > 0:
            age = timedelta(seconds=evaluation.min_age_seconds)
            waits.append(("min-age", workflow.info().start_time + age))
        return waits

    async def _await_approval(self, evaluation: Evaluation) -> bool:
        timeout = timedelta(seconds=evaluation.approval_timeout_seconds)
        expires = workflow.now() + timeout
        self._update(expires_at=expires, waiting_for="approval")
        await self._transition(
            Phase.PENDING, "awaiting-approval", f"approve or reject before {expires.isoformat()}"
        )
        await self._notify(NotificationEvent.REQUEST_CREATED)
        self._flush_direct()
        try:
            await workflow.wait_condition(
                lambda: self._decision is not None or self._superseded_by is not None,
                timeout=timeout,
                timeout_summary="approval-timeout",
            )
        except TimeoutError:
            await self._finish(Phase.EXPIRED, "expired", "nobody approved before the deadline")
            await self._notify(NotificationEvent.EXPIRED)
            return False
        if self._decision is None:
            await self._supersede(self._superseded_by)
            return False
        if self._decision == "reject":
            await self._remember("rejected")
            await self._finish(
                Phase.REJECTED, "rejected", self._state.message or "rejected by an approver"
            )
            await self._notify(NotificationEvent.REJECTED)
            return False
        await self._transition(Phase.APPROVED, "approved", f"approved by {self._state.approved_by}")
        await self._notify(NotificationEvent.APPROVED)
        return True

    async def _monitor(self, evaluation: Evaluation, generation: int) -> None:
        proposal = self._proposal_or_fail()
        await self._transition(Phase.MONITORING, "monitoring", "watching the rollout")
        deadline = workflow.now() + timedelta(seconds=evaluation.rollback_timeout_seconds)
        period = common.health_check_period(evaluation.rollback_timeout_seconds)
        failures = 0
        last = "no health check yet"
        while workflow.now() < deadline:
            self._update(waiting_for=f"the rollout ({failures} consecutive failed checks)")
            self._flush_direct()
            await workflow.sleep(period, summary="health check")
            check = HealthInput(
                workload=proposal.workload,
                container=proposal.container,
                new_image=evaluation.new_image,
                generation=generation,
            )
            if self._direct:
                # Two reads of the cluster: a marker, not an activity and a task to resume.
                report = await common.act_locally(names.CHECK_HEALTH, check, HealthReport)
            else:
                report = await common.act(names.CHECK_HEALTH, check, HealthReport)
            last = report.message
            if report.state == HealthState.HEALTHY:
                await self._finish(Phase.COMPLETED, "healthy", report.message)
                await self._notify(NotificationEvent.COMPLETED)
                return
            failures = failures + 1 if report.state == HealthState.FAILING else 0
            if failures >= evaluation.health_check_retries:
                await self._roll_back(evaluation, f"{failures} failed health checks: {last}")
                return
        await self._roll_back(evaluation, f"rollout not healthy after rollback-timeout: {last}")

    async def _roll_back(self, evaluation: Evaluation, why: str) -> None:
        proposal = self._proposal_or_fail()
        self._update(message=why)
        await self._notify(NotificationEvent.ROLLBACK_TRIGGERED)
        result = await self._apply(
            ApplyInput(
                workload=proposal.workload,
                container=proposal.container,
                expected_image=evaluation.new_image,
                new_image=evaluation.current_image,
                workflow_id=workflow.info().workflow_id,
                action="rollback",
                actor="headwind",
                reason=why,
            )
        )
        if not result.applied:
            await self._finish(Phase.FAILED, "rollback-failed", f"{why}; {result.message}")
            await self._notify(NotificationEvent.ROLLBACK_FAILED)
            return
        await self._remember("failed")
        await self._finish(
            Phase.ROLLED_BACK, "rolled-back", f"{why}; restored {evaluation.current_image}"
        )
        await self._notify(NotificationEvent.ROLLBACK_COMPLETED)

    # -- human decisions ---------------------------------------------------------------------

    @workflow.update(name=names.APPROVE)
    async def approve(self, body: ApprovalIn) -> UpdateStatus:
        """Approve a pending request; returns once the workload is patched (or found stale)."""
        self._approve(body)
        await workflow.wait_condition(lambda: self._state.phase not in _WAITING_FOR_DECISION)
        return self._state

    @approve.validator
    def _validate_approve(self, body: ApprovalIn) -> None:
        self._require_pending("approve")

    @workflow.update(name=names.REJECT)
    async def reject(self, body: RejectIn) -> UpdateStatus:
        """Reject a pending request; the tag is never proposed again for this container."""
        self._reject(body)
        await workflow.wait_condition(lambda: self._state.phase in TERMINAL_PHASES)
        return self._state

    @reject.validator
    def _validate_reject(self, body: RejectIn) -> None:
        self._require_pending("reject")

    @workflow.signal(name=names.APPROVE_SIGNAL)
    def approve_signal(self, body: ApprovalIn) -> None:
        """Approval by signal: accepted durably even while no worker runs."""
        if self._state.phase == Phase.PENDING and self._decision is None:
            self._approve(body)

    @workflow.signal(name=names.REJECT_SIGNAL)
    def reject_signal(self, body: RejectIn) -> None:
        if self._state.phase == Phase.PENDING and self._decision is None:
            self._reject(body)

    @workflow.signal(name=names.SLOT_GRANTED)
    def slot_granted(self, grant: SlotGrant) -> None:
        if self._grant is None:
            self._grant = grant
        elif not grant.granted and self._decision is None and self._state.phase not in _APPLYING:
            # A newer candidate arrived while this one waits: it wins.
            self._superseded_by = grant.superseded_by or "a newer candidate"

    @workflow.signal(name=names.SLOT_PING)
    def slot_ping(self) -> None:
        """The container's slot checks that this update still runs; nothing to do."""

    @workflow.query(name=names.STATUS)
    def status(self) -> UpdateStatus:
        return self._state

    def _approve(self, body: ApprovalIn) -> None:
        self._decision = "approve"
        self._update(
            phase=Phase.APPROVED,
            approved_by=body.approver or "anonymous",
            approved_at=workflow.now(),
        )

    def _reject(self, body: RejectIn) -> None:
        self._decision = "reject"
        self._update(
            rejected_by=body.approver or "anonymous",
            rejected_at=workflow.now(),
            message=body.reason or "rejected by an approver",
        )

    def _require_pending(self, action: str) -> None:
        if self._state.phase != Phase.PENDING or self._decision is not None:
            raise ApplicationError(
                f"cannot {action}: the update is {self._state.phase.value}, not Pending",
                type=names.WRONG_PHASE,
                non_retryable=True,
            )

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def _state(self) -> UpdateStatus:
        if self._status is None:
            raise ApplicationError("the workflow has not started yet", type=names.WRONG_PHASE)
        return self._status

    def _proposal_or_fail(self) -> Proposal:
        if self._proposal is None:
            raise ApplicationError("no proposal", non_retryable=True)
        return self._proposal

    def _slot_id(self) -> str:
        proposal = self._proposal_or_fail()
        return naming.slot_workflow_id(proposal.workload, proposal.container)

    def _slot(self) -> workflow.ExternalWorkflowHandle[object]:
        return workflow.get_external_workflow_handle(self._slot_id())

    def _update(self, **changes: object) -> None:
        self._status = self._state.model_copy(update=changes)

    async def _supersede(self, by: str | None) -> None:
        await self._finish(Phase.SUPERSEDED, "superseded", f"superseded by {by or 'a newer tag'}")
        await self._notify(NotificationEvent.SUPERSEDED)

    async def _remember(self, why: Literal["rejected", "failed"]) -> None:
        proposal = self._proposal_or_fail()
        await common.act(
            names.REMEMBER_TAG,
            RememberInput(
                workload=proposal.workload, container=proposal.container, tag=proposal.tag, why=why
            ),
            type(None),
        )

    async def _transition(self, phase: Phase, reason: str, message: str) -> None:
        previous = self._state.phase
        self._update(phase=phase, reason=reason, message=message)
        self._update(timeline=(*self._state.timeline, common.entry(phase, message)))
        if phase in TERMINAL_PHASES:
            self._update(waiting_for="")
        phase_update = search_attributes.PHASE.value_set(phase.value)
        if self._direct:
            # Sent before the next wait: visibility applies a task's upserts together, so
            # phases passed through within one task were never visible anyway.
            self._pending_attributes.append(phase_update)
        elif self._lean:
            self._flush_attributes(phase_update)
        else:
            workflow.upsert_search_attributes([phase_update])
        workflow.set_current_details(common.details(self._state))
        await common.record_transition(self._state, previous, local=self._lean)

    async def _finish(self, phase: Phase, reason: str, message: str) -> None:
        await self._transition(phase, reason, message)

    async def _notify(self, event: NotificationEvent) -> None:
        evaluation = self._evaluation
        routing = None
        if self._direct and evaluation is not None:
            if not evaluation.notify:
                return  # no sink hears of this workload: nothing to schedule
            routing = evaluation.routing
        self._slack_thread = await common.notify(
            event,
            self._state,
            self._slack_thread,
            local=self._lean,
            direct=self._direct,
            routing=routing,
        )
