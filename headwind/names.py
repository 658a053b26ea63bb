"""The names Headwind's Temporal parts know each other by: workflows, activities, messages.

Workflows call activities, signal each other and are started and queried by clients only through
these constants, so a rename happens in one place and no layer needs to import another's code
to name it (workflow code never loads an activity's I/O library, the starter never loads a
workflow). The values are part of recorded histories: changing one breaks replay of every
workflow that used it, so they only ever gain new names.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACQUIRE_SLOT",
    "APPLY",
    "APPROVE",
    "APPROVE_SIGNAL",
    "CHECK_HEALTH",
    "CONTAINER_SLOT_WORKFLOW",
    "EVALUATE",
    "INVALID_INPUT",
    "IS_NEWER",
    "NON_RETRYABLE",
    "NOTIFY",
    "PLAN_ROLLBACK",
    "POLL_REPOSITORY",
    "POLL_REPOSITORY_WORKFLOW",
    "RECORD_TRANSITION",
    "REJECT",
    "REJECT_SIGNAL",
    "RELEASE_SLOT",
    "REMEMBER_TAG",
    "REQUEST_SLOT",
    "ROLLBACK_WORKFLOW",
    "SLOT_ACQUIRE",
    "SLOT_BUSY",
    "SLOT_GRANTED",
    "SLOT_PING",
    "SLOT_RELEASE",
    "SLOT_REQUEST",
    "STATUS",
    "UPDATE_WORKFLOW",
    "WRONG_PHASE",
]

# Workflow types.
UPDATE_WORKFLOW: Final = "Update"
CONTAINER_SLOT_WORKFLOW: Final = "ContainerSlot"
ROLLBACK_WORKFLOW: Final = "Rollback"
POLL_REPOSITORY_WORKFLOW: Final = "PollRepository"

# Activities.
EVALUATE: Final = "evaluate"
APPLY: Final = "apply"
CHECK_HEALTH: Final = "check_health"
REMEMBER_TAG: Final = "remember_tag"
RECORD_TRANSITION: Final = "record_transition"
NOTIFY: Final = "notify"
REQUEST_SLOT: Final = "request_slot"
ACQUIRE_SLOT: Final = "acquire_slot"
"""Asks the slot by Workflow Update (starting it when needed) and returns its answer."""
RELEASE_SLOT: Final = "release_slot"
PLAN_ROLLBACK: Final = "plan_rollback"
POLL_REPOSITORY: Final = "poll_repository"
IS_NEWER: Final = "is_newer"
"""A local activity of the slot workflow: the policy engine's order of two candidates."""

# The update workflow's Workflow Updates, signals and query.
APPROVE: Final = "approve"
REJECT: Final = "reject"
APPROVE_SIGNAL: Final = "approve_signal"
"""Approval by signal: recorded durably even while no worker runs."""
REJECT_SIGNAL: Final = "reject_signal"
STATUS: Final = "status"

# The container slot's signals, and its answer to the requester.
SLOT_REQUEST: Final = "request"
SLOT_BUSY: Final = "busy"
SLOT_RELEASE: Final = "release"
SLOT_GRANTED: Final = "slot_granted"
SLOT_ACQUIRE: Final = "acquire"
"""The slot's Workflow Update: a request answered at once (granted, superseded, or wait for
`slot_granted`)."""
SLOT_PING: Final = "slot_ping"
"""Sent by the slot to its holder before anyone waits on it: a holder that can no longer be
signalled (terminated, timed out, failed) has ended, and its place is freed."""

# ApplicationError types.
WRONG_PHASE: Final = "WrongPhase"
"""A refused approve/reject: the update is not Pending (HTTP 409)."""
INVALID_INPUT: Final = "InvalidInput"
"""An activity input that can never succeed: not retried."""
NON_RETRYABLE: Final = (INVALID_INPUT, "NotFound", "Forbidden", "Invalid")
"""Error types an activity fails with that no retry can fix: the apiserver's permanent answers
(`clients.kube.client.NotFound`, `Forbidden`, `Invalid`, by class name) and bad input."""
