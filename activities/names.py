"""Activity names, the only part of `activities` that workflow code imports.

Workflows call activities by these names with one model in and one out, so the workflow
sandbox never loads an I/O library (an import-linter contract keeps it that way).
"""

from __future__ import annotations

__all__ = [
    "APPLY",
    "CHECK_HEALTH",
    "EVALUATE",
    "MIRROR_REQUEST",
    "NOTIFY",
    "PLAN_ROLLBACK",
    "POLL_REPOSITORY",
    "RECORD_TRANSITION",
    "REMEMBER_TAG",
    "REQUEST_SLOT",
]

EVALUATE = "evaluate"
APPLY = "apply"
CHECK_HEALTH = "check_health"
REMEMBER_TAG = "remember_tag"
MIRROR_REQUEST = "mirror_request"
RECORD_TRANSITION = "record_transition"
NOTIFY = "notify"
REQUEST_SLOT = "request_slot"
PLAN_ROLLBACK = "plan_rollback"
POLL_REPOSITORY = "poll_repository"
