"""Helpers shared by Headwind's workflows: activity calls, transitions, notifications.

Kept apart from the workflows so that each workflow file reads as its steps.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from headwind import names
    from headwind.models import (
        Notification,
        NotificationEvent,
        NotificationResult,
        Phase,
        SlackThread,
        TimelineEntry,
        TransitionReport,
        UpdateStatus,
    )

__all__ = [
    "LEAN_PATCH",
    "act",
    "act_locally",
    "details",
    "entry",
    "health_check_period",
    "inform_locally",
    "notify",
    "record_transition",
]

_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=20,
    non_retryable_error_types=list(names.NON_RETRYABLE),
)
"""Transient failures (the apiserver away, conflicts, 429, 5xx) are retried for about eight
minutes; permanent ones (RBAC, a request the apiserver will never accept) are not. Either way
the update then ends `Failed` with the reason and frees its container."""

_INFORM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
    non_retryable_error_types=list(names.NON_RETRYABLE),
)
"""Side effects that only inform (Events, the UpdateRequest mirror, notifications): a few
tries, then the update goes on without them."""

_TIMEOUT = timedelta(seconds=60)

LEAN_PATCH = "lean-steps"
"""Workflow patch id of the cheaper command sequence: short steps (transitions, notifications,
the request for the container's slot) run as local activities inside the workflow task that
needs them, one evaluation suffices when the slot is free at once, and search attributes the
start already set are not upserted again. Histories recorded before replay without it."""

_LOCAL_TIMEOUT = timedelta(seconds=30)

T = TypeVar("T")


async def act(name: str, arg: object, result_type: type[T]) -> T:
    """Run one activity by name with the project's retry policy (retry until it works)."""
    result: T = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary=name,
    )
    return result


def entry(phase: Phase, message: str) -> TimelineEntry:
    return TimelineEntry(at=workflow.now(), phase=phase, message=message)


def details(status: UpdateStatus) -> str:
    """The "current details" shown in the Temporal Web UI: where the update is and why."""
    lines = [
        f"**{status.phase.value}** — {status.message}",
        f"{status.workload} container `{status.container}`",
        f"{status.current_image or '?'} → {status.new_image or status.tag}",
    ]
    if status.waiting_for:
        lines.append(f"Waiting for: {status.waiting_for}")
    if status.approved_by:
        lines.append(f"Approved by {status.approved_by}")
    return "\n\n".join(lines)


def health_check_period(rollback_timeout_seconds: float) -> timedelta:
    """Check often enough to count several failures within the timeout, not more than needed."""
    seconds = min(15.0, max(2.0, rollback_timeout_seconds / 20))
    return timedelta(seconds=seconds)


async def act_locally(name: str, arg: object, result_type: type[T]) -> T:
    """Run a short, idempotent step as a local activity: no task queue round trip, and one
    marker in the history instead of three events and a workflow task."""
    try:
        result: T = await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=_LOCAL_TIMEOUT,
            retry_policy=_RETRY,
            summary=name,
        )
    except ApplicationError as error:
        # A local activity's last failure arrives bare; callers handle activity failures.
        raise ActivityError(
            f"{name} failed",
            scheduled_event_id=0,
            started_event_id=0,
            identity="",
            activity_type=name,
            activity_id="",
            retry_state=None,
        ) from error
    return result


async def _inform(name: str, arg: object, *, local: bool) -> None:
    """Run an activity that only informs; its failure never blocks or fails the update."""
    try:
        if local:
            await workflow.execute_local_activity(
                name,
                arg,
                start_to_close_timeout=_LOCAL_TIMEOUT,
                retry_policy=_INFORM_RETRY,
                summary=name,
            )
        else:
            await workflow.execute_activity(
                name,
                arg,
                start_to_close_timeout=_TIMEOUT,
                retry_policy=_INFORM_RETRY,
                summary=name,
            )
    except ActivityError as error:
        workflow.logger.warning("%s failed; the update goes on: %s", name, error.cause or error)
    except ApplicationError as error:
        # How a local activity's last failure reaches the workflow.
        workflow.logger.warning("%s failed; the update goes on: %s", name, error)


async def inform_locally(name: str, arg: object) -> None:
    """A short step that only informs, as a local activity: it never blocks the update."""
    await _inform(name, arg, local=True)


async def record_transition(
    status: UpdateStatus, previous: Phase | None, *, local: bool = False
) -> None:
    await _inform(
        names.RECORD_TRANSITION,
        TransitionReport(status=status, previous_phase=previous),
        local=local,
    )


NOTIFY_ACTIVITY_PATCH = "notify-as-activity"
"""Workflow patch id: notifications are regular activities again (a sink may take a while and
heartbeats what it already delivered); histories recorded while they ran as local activities
replay without it."""


async def notify(
    event: NotificationEvent,
    status: UpdateStatus,
    thread: SlackThread | None,
    *,
    local: bool = False,
    direct: bool = False,
    routing: dict[str, str] | None = None,
) -> SlackThread | None:
    """Notify; returns the update's Slack message for the next notifications to thread under.

    The result is read untyped: histories recorded before the activity returned anything hold
    `null` there, and must still replay.
    """
    notification = Notification(event=event, status=status, slack_thread=thread, routing=routing)
    if local and not direct and not workflow.patched(NOTIFY_ACTIVITY_PATCH):
        await _inform(names.NOTIFY, notification, local=True)
        return thread
    try:
        raw = await workflow.execute_activity(
            names.NOTIFY,
            notification,
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_INFORM_RETRY,
            summary=names.NOTIFY,
        )
    except ActivityError as error:
        workflow.logger.warning("notify failed; the update goes on: %s", error.cause or error)
        return thread
    if raw is None:
        return thread
    return NotificationResult.model_validate(raw).slack_thread or thread
