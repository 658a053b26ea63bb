"""An in-memory cluster behind activities with the real names, to test workflow logic alone.

Only the workflow layer is under test here; the activities themselves are tested against the
real apiserver in tests/e2e.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import activity

from headwind import names, policy
from headwind.models import (
    ApplyInput,
    ApplyResult,
    EvaluateInput,
    Evaluation,
    HealthInput,
    HealthReport,
    HealthState,
    Notification,
    RememberInput,
    RollbackPlan,
    RollbackRequest,
    TransitionReport,
)


@dataclass
class FakeWorkload:
    image: str
    require_approval: bool = True
    auto_rollback: bool = False
    approval_timeout: float = 3600
    min_update_interval: float = 0
    rollback_timeout: float = 60
    retries: int = 2
    last_update: datetime | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    """(previous, new) pairs, newest last."""


@dataclass
class FakeCluster:
    """Workloads keyed by `kind/namespace/name/container`."""

    workloads: dict[str, FakeWorkload] = field(default_factory=dict)
    health: HealthState = HealthState.HEALTHY
    applies: list[ApplyInput] = field(default_factory=list)
    remembered: dict[str, set[str]] = field(default_factory=dict)
    transitions: list[TransitionReport] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    apply_gate: threading.Event | None = None
    """When set, every apply waits for it: an update held in the middle of its PATCH."""

    @staticmethod
    def key(workload: object, container: str) -> str:
        return f"{workload}/{container}"

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.evaluate,
            self.apply,
            self.check_health,
            self.remember_tag,
            self.plan_rollback,
            self.record_transition,
            self.notify,
        ]

    @activity.defn(name=names.EVALUATE)
    def evaluate(self, request: EvaluateInput) -> Evaluation:
        p = request.proposal
        w = self.workloads[self.key(p.workload, p.container)]
        repo, _, current = w.image.rpartition(":")
        remembered = frozenset(self.remembered.get(self.key(p.workload, p.container), set()))
        settings = policy.PolicySettings(
            policy=policy.parse_policy("minor"), rejected=remembered, failed=remembered
        )
        decision = policy.evaluate(settings, current, [p.tag])
        verdict = decision.candidates[0]
        return Evaluation(
            eligible=decision.chosen == p.tag,
            reason=str(verdict.reason),
            message=verdict.message,
            current_image=w.image,
            new_image=f"{repo}:{p.tag}",
            repository=repo,
            policy="minor",
            require_approval=w.require_approval,
            auto_rollback=w.auto_rollback,
            approval_timeout_seconds=w.approval_timeout,
            min_update_interval_seconds=w.min_update_interval,
            rollback_timeout_seconds=w.rollback_timeout,
            health_check_retries=w.retries,
            last_update=w.last_update,
        )

    @activity.defn(name=names.APPLY)
    def apply(self, request: ApplyInput) -> ApplyResult:
        if self.apply_gate is not None:
            self.apply_gate.wait(timeout=30)
        with self.lock:
            w = self.workloads[self.key(request.workload, request.container)]
            if w.image != request.expected_image:
                return ApplyResult(applied=False, stale=True, message=f"runs {w.image}")
            self.applies.append(request)
            w.history.append((w.image, request.new_image))
            w.image = request.new_image
            return ApplyResult(applied=True, generation=len(self.applies))

    @activity.defn(name=names.CHECK_HEALTH)
    def check_health(self, request: HealthInput) -> HealthReport:
        return HealthReport(state=self.health, message=f"fake {self.health.value}")

    @activity.defn(name=names.REMEMBER_TAG)
    def remember_tag(self, request: RememberInput) -> None:
        self.remembered.setdefault(self.key(request.workload, request.container), set()).add(
            request.tag
        )

    @activity.defn(name=names.PLAN_ROLLBACK)
    def plan_rollback(self, request: RollbackRequest) -> RollbackPlan:
        w = self.workloads[self.key(request.workload, request.container)]
        if not w.history:
            return RollbackPlan(possible=False, message="no history")
        previous, _ = w.history[-1]
        return RollbackPlan(
            possible=True,
            message="ok",
            current_image=w.image,
            target_image=previous,
            abandoned_tag=w.image.rpartition(":")[2],
        )

    @activity.defn(name=names.RECORD_TRANSITION)
    def record_transition(self, report: TransitionReport) -> None:
        self.transitions.append(report)

    @activity.defn(name=names.NOTIFY)
    def notify(self, notification: Notification) -> None:
        self.notifications.append(notification)
