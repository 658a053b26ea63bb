"""The typed messages that cross process boundaries: workflow and activity inputs and outputs.

Temporal serialises every workflow and activity argument; one pydantic model in and one out per
call means a field can be added later without breaking workflows already running. They live in
the domain core so that workflows, activities, the API and the CLI all speak the same types.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TERMINAL_PHASES",
    "ApplyInput",
    "ApplyResult",
    "ApprovalIn",
    "EvaluateInput",
    "Evaluation",
    "HealthInput",
    "HealthReport",
    "HealthState",
    "Notification",
    "NotificationResult",
    "Phase",
    "Proposal",
    "RejectIn",
    "RememberInput",
    "RollbackPlan",
    "RollbackRequest",
    "RollbackResult",
    "SlackThread",
    "SlotGrant",
    "SlotRelease",
    "SlotRequest",
    "TimelineEntry",
    "TransitionReport",
    "UpdateStatus",
    "WorkloadKind",
    "WorkloadRef",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, extra="ignore")


_API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "CronJob": "batch/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
}


class WorkloadKind(enum.StrEnum):
    """The kinds of resources Headwind updates."""

    DEPLOYMENT = "Deployment"
    STATEFULSET = "StatefulSet"
    DAEMONSET = "DaemonSet"
    CRONJOB = "CronJob"
    HELMRELEASE = "HelmRelease"

    @property
    def is_chart(self) -> bool:
        """A HelmRelease: its "image" is `<chart source>:<version>`, not an image reference."""
        return self is WorkloadKind.HELMRELEASE

    @property
    def api_version(self) -> str:
        """`apps/v1`, `batch/v1`, `helm.toolkit.fluxcd.io/v2`."""
        return _API_VERSIONS[self.value]

    @classmethod
    def parse(cls, text: str) -> WorkloadKind:
        """Accept any case and the plural forms users type (`deployments`, `deploy`)."""
        wanted = text.strip().lower()
        aliases = {
            "deploy": cls.DEPLOYMENT,
            "sts": cls.STATEFULSET,
            "ds": cls.DAEMONSET,
            "cj": cls.CRONJOB,
            "hr": cls.HELMRELEASE,
        }
        if wanted in aliases:
            return aliases[wanted]
        for kind in cls:
            if wanted in (kind.value.lower(), kind.value.lower() + "s"):
                return kind
        valid = ", ".join(k.value for k in cls)
        raise ValueError(f"unknown workload kind {text!r}; expected one of {valid}")


class Phase(enum.StrEnum):
    """Where an update stands. The last eight are terminal."""

    EVALUATING = "Evaluating"
    WAITING = "Waiting"
    PENDING = "Pending"
    APPROVED = "Approved"
    APPLYING = "Applying"
    MONITORING = "Monitoring"
    COMPLETED = "Completed"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"
    REJECTED = "Rejected"
    EXPIRED = "Expired"
    SUPERSEDED = "Superseded"
    STALE = "Stale"
    SKIPPED = "Skipped"


TERMINAL_PHASES = frozenset(
    {
        Phase.COMPLETED,
        Phase.ROLLED_BACK,
        Phase.FAILED,
        Phase.REJECTED,
        Phase.EXPIRED,
        Phase.SUPERSEDED,
        Phase.STALE,
        Phase.SKIPPED,
    }
)


class WorkloadRef(_Model):
    """A workload by kind, namespace and name."""

    kind: WorkloadKind
    namespace: str = Field(min_length=1, max_length=63)
    name: str = Field(min_length=1, max_length=253)

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.namespace}/{self.name}"


class Proposal(_Model):
    """A candidate tag offered for one workload container, by a detector or a user."""

    workload: WorkloadRef
    container: str = Field(min_length=1, max_length=253)
    """Container name; `chart` for a HelmRelease."""
    tag: str = Field(min_length=1, max_length=128)
    digest: str | None = None
    """Digest of the pushed manifest, when the source knows it (needed by `force` and pinning)."""
    source: str = "manual"
    """Who found it: `manual`, `webhook:<registry kind>`, `polling`, `helm`."""
    proposed_by: str | None = None


class EvaluateInput(_Model):
    """Ask for a policy decision on one candidate against the live workload."""

    proposal: Proposal
    known_since: datetime
    """When Headwind first saw this candidate (the workflow's start), for `min-age`."""


class Evaluation(_Model):
    """The policy decision for one candidate, with what the workflow needs to carry it out."""

    eligible: bool
    reason: str
    """Reason code of the policy engine (`chosen`, `not-newer`, `rejected-earlier`, …)."""
    message: str
    current_image: str = ""
    new_image: str = ""
    repository: str = ""
    """Normalised repository key (`registry/repository`) or chart name."""
    policy: str = "none"
    pattern: str | None = None
    prerelease: bool = False
    require_approval: bool = True
    auto_rollback: bool = False
    min_update_interval_seconds: float = 300
    min_age_seconds: float = 0
    approval_timeout_seconds: float = 86400
    rollback_timeout_seconds: float = 300
    health_check_retries: int = 3
    last_update: datetime | None = None
    problems: tuple[str, ...] = ()
    """Bad annotation values found on the way, already reported on the safe side."""
    notify: bool = True
    """Whether any notification sink hears of this workload (its routing annotations over the
    configured sinks, or a bad routing annotation to report): without one, the workflow
    schedules no notification at all."""
    routing: dict[str, str] | None = None
    """The workload's routing annotations as read (`headwind.sh/notify`, `…/slack-channel`),
    handed to every notification so that sending one reads nothing from the cluster."""
    snapshot: dict[str, Any] | None = None
    """The workload as read (without status and managed fields), so that an apply that follows
    at once can write with its version instead of reading it again."""


class ApplyInput(_Model):
    """Change one container's image (or a chart version) if it still runs the expected one."""

    workload: WorkloadRef
    container: str
    expected_image: str
    new_image: str
    workflow_id: str
    action: Literal["update", "rollback"] = "update"
    """Recorded in the history annotation (`headwind.records.HistoryKind`)."""
    actor: str | None = None
    manual: bool = False
    """A rollback a user asked for (counted apart from automatic ones)."""
    reason: str | None = None
    """Why, recorded in the history entry (the policy decision, the failed health check)."""
    digest: str | None = None
    """Manifest digest of the new tag, when the proposal knew it: recorded in
    `headwind.sh/digests`; with an unchanged image it means "roll out the new build"."""
    snapshot: dict[str, Any] | None = None
    """The workload as the evaluation read it: the first attempt writes against its version
    (one request); a concurrent change fails that guard and the decision is made again on a
    fresh read."""


class ApplyResult(_Model):
    applied: bool
    stale: bool = False
    """The workload no longer ran `expected_image`: nothing was written."""
    message: str = ""
    generation: int = 0
    """metadata.generation after the write, so health checks judge only the new revision."""


class HealthState(enum.StrEnum):
    HEALTHY = "healthy"
    """The new revision is fully rolled out and ready."""
    PROGRESSING = "progressing"
    """Not done yet, nothing wrong so far."""
    FAILING = "failing"
    """A failure signal: crash loop, image pull error, progress deadline exceeded, …"""


class HealthInput(_Model):
    workload: WorkloadRef
    container: str
    new_image: str
    generation: int


class HealthReport(_Model):
    state: HealthState
    message: str


class RememberInput(_Model):
    """Remember a tag that must never be proposed again for this workload container."""

    workload: WorkloadRef
    container: str
    tag: str
    why: Literal["rejected", "failed"]


class ApprovalIn(_Model):
    """Body of an approval."""

    approver: str | None = Field(default=None, max_length=253)


class RejectIn(_Model):
    """Body of a rejection."""

    approver: str | None = Field(default=None, max_length=253)
    reason: str | None = Field(default=None, max_length=1024)


class TimelineEntry(_Model):
    at: datetime
    phase: Phase
    message: str


class UpdateStatus(_Model):
    """What the update workflow reports about itself (its query, and the REST view)."""

    workflow_id: str
    request_name: str
    workload: WorkloadRef
    container: str
    tag: str
    phase: Phase
    reason: str = ""
    message: str = ""
    current_image: str = ""
    new_image: str = ""
    policy: str = ""
    require_approval: bool = True
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejected_by: str | None = None
    rejected_at: datetime | None = None
    expires_at: datetime | None = None
    waiting_for: str = ""
    timeline: tuple[TimelineEntry, ...] = ()
    running: bool = True
    """Whether the workflow is still open (set by readers from Temporal, not by the workflow)."""


class TransitionReport(_Model):
    """One phase change: turned into a Kubernetes Event, a log line and metrics."""

    status: UpdateStatus
    previous_phase: Phase | None = None


class NotificationEvent(enum.StrEnum):
    """What a notification reports; the values are part of every sink's payload."""

    DETECTED = "update.detected"
    REQUEST_CREATED = "request.created"
    APPROVED = "update.approved"
    REJECTED = "update.rejected"
    COMPLETED = "update.completed"
    FAILED = "update.failed"
    ROLLBACK_TRIGGERED = "rollback.triggered"
    ROLLBACK_COMPLETED = "rollback.completed"
    ROLLBACK_FAILED = "rollback.failed"
    EXPIRED = "request.expired"
    SUPERSEDED = "request.superseded"


class Notification(_Model):
    """One notification per transition; sinks (Slack, Teams, webhooks) read this."""

    event: NotificationEvent
    status: UpdateStatus
    routing: dict[str, str] | None = None
    """The workload's routing annotations as the evaluation read them; None: read them."""
    slack_thread: SlackThread | None = None
    """The update's first Slack message, as an earlier notification returned it: later
    transitions reply in its thread and re-render it. None: post a message of its own."""


class SlackThread(_Model):
    """A posted Slack message: its channel ID and timestamp (Slack's message id)."""

    channel: str
    ts: str


class NotificationResult(_Model):
    """What one notification reached; the workflow keeps `slack_thread` for the next ones."""

    sent: tuple[str, ...] = ()
    """Sinks that took the notification (`slack`, `teams`, `webhook`)."""
    failed: tuple[str, ...] = ()
    """Sinks that still refused it on the last attempt (counted, logged, an Event)."""
    slack_thread: SlackThread | None = None


class SlotRequest(_Model):
    """An update asks to be the one pending or applying update of its container."""

    workflow_id: str
    slot_id: str
    """The slot workflow's ID (one per workload container)."""
    tag: str
    policy: str
    pattern: str | None = None
    prerelease: bool = False
    preempt: bool = False
    """A user's manual rollback: wins over any update that is only waiting or pending."""
    busy: bool = False
    """The requester applies as soon as it is granted (nothing to wait for, no approval): the
    slot counts it as applying from the grant, so it needs no separate "busy" signal."""


class OrderingInput(_Model):
    """Two candidates for one container: is `candidate` newer than `than` by the policy?"""

    candidate: SlotRequest
    than: SlotRequest


class SlotGrant(_Model):
    """The slot's answer to a request."""

    granted: bool
    superseded_by: str | None = None
    """Set when the request lost to a newer candidate."""
    pending: bool = False
    """The request waits for the holder: the answer comes later, by signal."""


class SlotRelease(_Model):
    """An update is done with its container's slot."""

    slot_id: str
    workflow_id: str


class RollbackRequest(_Model):
    """A manual rollback of one container to an earlier image."""

    workload: WorkloadRef
    container: str
    to: str | None = None
    """Image (or tag) to go back to; default the previous image in the history annotation."""
    requested_by: str | None = None
    override: bool = False
    """Allow a `to` that the container's recorded history never ran (audited by callers)."""


class RollbackPlan(_Model):
    """Where a manual rollback goes, read from the live workload and its history."""

    possible: bool
    message: str
    current_image: str = ""
    target_image: str = ""
    abandoned_tag: str = ""
    """The tag rolled back from, remembered as failed."""


class RollbackResult(_Model):
    """The outcome of a manual rollback."""

    workflow_id: str
    workload: WorkloadRef
    container: str
    rolled_back: bool
    message: str
    from_image: str = ""
    to_image: str = ""
    requested_by: str | None = None
