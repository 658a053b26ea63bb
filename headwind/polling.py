"""Which repositories to poll and how often: the pure half of registry polling.

Polling is scheduled durably with one Temporal Schedule per repository (`schedule_id`), shared
by every workload container that runs it, at the shortest interval any of them asks for
(`headwind.sh/polling-interval`, else `HEADWIND_POLLING_INTERVAL`). The leader's polling driver
compares what the image index asks for (`desired`) with the schedules that exist and applies
the difference (`plan`); both are pure so the decisions are unit-tested without Temporal.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from headwind import annotations
from headwind.index import Subscriber
from headwind.policy import PolicyKind

__all__ = [
    "HELM_PREFIX",
    "MIN_INTERVAL",
    "SCHEDULE_PREFIX",
    "PollRequest",
    "PollResult",
    "SchedulePlan",
    "desired",
    "is_chart",
    "jitter",
    "plan",
    "polls",
    "repository_of",
    "schedule_id",
]

SCHEDULE_PREFIX = "headwind-poll/"
"""Schedule IDs (and the IDs of the workflows they start) begin with this."""

HELM_PREFIX = "helm:"
"""Repository keys of Helm charts: `helm:<source namespace>/<source name>/<chart>`."""

MIN_INTERVAL = timedelta(seconds=5)
"""Shorter intervals are raised to this: a typo (`1s`) must not hammer a registry."""

_MAX_JITTER = timedelta(minutes=1)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, extra="ignore")


class PollRequest(_Model):
    """Scan one repository (image or chart) for every subscriber that polls it."""

    repository: str
    """Index key: normalised `registry/repository`, or `helm:<namespace>/<source>/<chart>`."""


class PollResult(_Model):
    """What one scan found; the PollRepository workflow's result, visible in the Web UI."""

    repository: str
    subscribers: int = 0
    """Workload containers that poll this repository (after event-source and images)."""
    tags: int = 0
    """Tags (or chart versions) the registry listed."""
    proposed: tuple[str, ...] = ()
    """Update workflow IDs started or joined for the candidates found."""
    baselines: int = 0
    """`force` containers whose current digest was recorded for the first time."""
    message: str = ""


@dataclass(frozen=True)
class SchedulePlan:
    """What to change so that the schedules match the index."""

    create: Mapping[str, timedelta] = field(default_factory=dict)
    """Repository → interval, for repositories without a schedule."""
    update: Mapping[str, timedelta] = field(default_factory=dict)
    """Repository → new interval, where the schedule's interval differs."""
    delete: tuple[str, ...] = ()
    """Repositories whose schedule no subscriber needs any more."""

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def schedule_id(repository: str) -> str:
    """The Schedule of a repository: `headwind-poll/<repository key>`."""
    return SCHEDULE_PREFIX + repository


def repository_of(schedule: str) -> str | None:
    """The repository of a polling schedule's ID; None for any other schedule."""
    if not schedule.startswith(SCHEDULE_PREFIX) or len(schedule) == len(SCHEDULE_PREFIX):
        return None
    return schedule.removeprefix(SCHEDULE_PREFIX)


def is_chart(repository: str) -> bool:
    return repository.startswith(HELM_PREFIX)


def polls(sub: Subscriber) -> bool:
    """Whether a subscriber wants its repository polled: event-source `polling` or `both`,
    tracked by `headwind.sh/images`, and a policy that can choose something."""
    parsed = sub.annotations
    return (
        parsed.event_source.polling
        and parsed.policy_settings(sub.container).policy.kind != PolicyKind.NONE
        and annotations.tracks(parsed, sub.container, sub.image)
    )


def desired(
    repositories: Mapping[str, Iterable[Subscriber]],
    *,
    default_interval: timedelta,
    enabled: bool = True,
) -> dict[str, timedelta]:
    """Repository → polling interval, from an index snapshot (`ImageIndex.repositories()`).

    The shortest interval any polling subscriber asks for, never under `MIN_INTERVAL`;
    nothing at all when polling is disabled.
    """
    if not enabled:
        return {}
    wanted: dict[str, timedelta] = {}
    for repository, subscribers in repositories.items():
        intervals = [
            sub.annotations.polling_interval or default_interval
            for sub in subscribers
            if polls(sub)
        ]
        if intervals:
            wanted[repository] = max(min(intervals), MIN_INTERVAL)
    return wanted


def plan(wanted: Mapping[str, timedelta], existing: Mapping[str, timedelta | None]) -> SchedulePlan:
    """The changes that turn `existing` schedules (repository → interval, None when unknown)
    into `wanted`; an unknown interval is rewritten."""
    return SchedulePlan(
        create={repo: every for repo, every in sorted(wanted.items()) if repo not in existing},
        update={
            repo: every
            for repo, every in sorted(wanted.items())
            if repo in existing and existing[repo] != every
        },
        delete=tuple(sorted(repo for repo in existing if repo not in wanted)),
    )


def jitter(interval: timedelta) -> timedelta:
    """Random delay Temporal adds to each scan: a tenth of the interval, at most a minute, so
    that schedules created together (a restart, a big deploy) drift apart."""
    return min(interval / 10, _MAX_JITTER)
