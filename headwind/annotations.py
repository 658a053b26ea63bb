"""The `headwind.sh/*` annotations: one typed, validated view of what a workload's owner asked.

Owners configure Headwind only through annotations, typed by hand into YAML, so bad
values are expected. `parse` never raises: every bad value is replaced by a *safe* value and
returned as an `AnnotationProblem` for the caller to report (Kubernetes Warning Event, metric,
log line). "Safe" means the value least likely to change a workload against its owner's wishes:

- `policy` → `none`: an unreadable policy must not update anything.
- `require-approval` → `true`: a person decides when the owner's intent is unclear.
- `min-update-interval`, `rollback-timeout`, `health-check-retries`, `approval-timeout` → their
  documented defaults (already a rate limit, a watch, a retry budget, an expiry).
- `images` → bad entries are kept and match nothing, so a typo narrows "only `web`" instead of
  widening it to "every container" (which an empty list means).
- `event-source` → `none`: like `policy`, no detection rather than surprise updates.
- `polling-interval` → the operator's global interval.
- `auto-rollback` → `true`: the owner wrote *something*; a wrong `true` reverts a broken
  rollout to the image that ran before, a wrong `false` leaves it broken.
- `prerelease` → `false`: never propose a prerelease by accident.
- `pin-digest` → `false`: keep the form the owner wrote (a tag).
- `min-age` → `24h`, not the default `0`: the owner asked for a soak time, and falling back to
  none would apply a fresh image at once.

Keys Headwind writes (`last-update`, `update-history`, `rejected-tags`, `failed-tags`,
`digests`)
are read here too, tolerantly (`headwind.records`); an unknown `headwind.sh/` key is
reported with the closest known one, because a misspelt key would otherwise be silently ignored.
Headwind's own new keys belong in `WRITTEN_KEYS` for that reason.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from headwind import durations, images, records
from headwind.policy import (
    Policy,
    PolicyError,
    PolicyKind,
    PolicySettings,
    check_settings,
    parse_policy,
)

__all__ = [
    "APPROVAL_TIMEOUT",
    "AUTO_ROLLBACK",
    "DIGESTS",
    "EVENT_SOURCE",
    "FAILED_TAGS",
    "HEALTH_CHECK_RETRIES",
    "IMAGES",
    "LAST_UPDATE",
    "MIN_AGE",
    "MIN_UPDATE_INTERVAL",
    "NOTIFICATION_KEYS",
    "NOTIFY",
    "PATTERN",
    "PIN_DIGEST",
    "POLICY",
    "POLLING_INTERVAL",
    "PREFIX",
    "PRERELEASE",
    "REJECTED_TAGS",
    "REQUIRE_APPROVAL",
    "ROLLBACK_TIMEOUT",
    "SLACK_CHANNEL",
    "UPDATE_HISTORY",
    "USER_KEYS",
    "WRITTEN_KEYS",
    "AnnotationProblem",
    "EventSource",
    "WorkloadAnnotations",
    "parse",
    "parse_bool",
    "tracks",
]

PREFIX = "headwind.sh/"

POLICY = "headwind.sh/policy"
PATTERN = "headwind.sh/pattern"
REQUIRE_APPROVAL = "headwind.sh/require-approval"
MIN_UPDATE_INTERVAL = "headwind.sh/min-update-interval"
IMAGES = "headwind.sh/images"
EVENT_SOURCE = "headwind.sh/event-source"
POLLING_INTERVAL = "headwind.sh/polling-interval"
AUTO_ROLLBACK = "headwind.sh/auto-rollback"
ROLLBACK_TIMEOUT = "headwind.sh/rollback-timeout"
HEALTH_CHECK_RETRIES = "headwind.sh/health-check-retries"
APPROVAL_TIMEOUT = "headwind.sh/approval-timeout"
PRERELEASE = "headwind.sh/prerelease"
PIN_DIGEST = "headwind.sh/pin-digest"
MIN_AGE = "headwind.sh/min-age"

LAST_UPDATE = "headwind.sh/last-update"
"""RFC 3339 time of Headwind's last change to the workload."""
UPDATE_HISTORY = "headwind.sh/update-history"
"""JSON list of `records.HistoryEntry`, newest first, capped per container."""
REJECTED_TAGS = "headwind.sh/rejected-tags"
"""JSON object container → tags an approver rejected; never proposed again."""
FAILED_TAGS = "headwind.sh/failed-tags"
"""JSON object container → tags rolled back after failing health checks; never proposed again."""
DIGESTS = "headwind.sh/digests"
"""JSON object container → {tag, digest}: the build of the current tag Headwind last rolled out
(or first polled), so `force` notices a re-pushed tag once."""

USER_KEYS = (
    POLICY,
    PATTERN,
    REQUIRE_APPROVAL,
    MIN_UPDATE_INTERVAL,
    IMAGES,
    EVENT_SOURCE,
    POLLING_INTERVAL,
    AUTO_ROLLBACK,
    ROLLBACK_TIMEOUT,
    HEALTH_CHECK_RETRIES,
    APPROVAL_TIMEOUT,
    PRERELEASE,
    PIN_DIGEST,
    MIN_AGE,
)
"""Keys owners write, in the order docs/configuration.md lists them."""

WRITTEN_KEYS = (LAST_UPDATE, UPDATE_HISTORY, REJECTED_TAGS, FAILED_TAGS, DIGESTS)
"""Keys only Headwind writes."""

NOTIFY = "headwind.sh/notify"
SLACK_CHANNEL = "headwind.sh/slack-channel"
NOTIFICATION_KEYS = (NOTIFY, SLACK_CHANNEL)
"""Read (and their problems reported) by `headwind.notifications.routing` when a notification
is sent, not here."""

_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_CONTAINER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
_POSITIVE_INT = re.compile(r"[0-9]+", re.ASCII)


class EventSource(StrEnum):
    """Which detection paths may start an update for a workload."""

    WEBHOOK = "webhook"
    POLLING = "polling"
    BOTH = "both"
    NONE = "none"

    @property
    def webhooks(self) -> bool:
        return self in {EventSource.WEBHOOK, EventSource.BOTH}

    @property
    def polling(self) -> bool:
        return self in {EventSource.POLLING, EventSource.BOTH}


class AnnotationProblem(BaseModel):
    """One annotation value Headwind could not use, and what it used instead."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    key: str
    """The full annotation key (`headwind.sh/require-approval`)."""
    value: str
    """The value as written."""
    message: str
    """What is wrong, for a person: shown in the Warning Event and the log line."""
    used: str
    """The safe value used instead, as it would be written (`true`, `5m`, `none`)."""

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}: {self.message}; using {self.used!r}"


class WorkloadAnnotations(BaseModel):
    """Everything the `headwind.sh/*` annotations say, with their documented defaults."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    policy: Policy = Field(default_factory=Policy)
    """`headwind.sh/policy`: which tags qualify."""
    pattern: str | None = None
    """`headwind.sh/pattern`: the glob of `glob`; an extra filter for every other policy."""
    require_approval: bool = True
    """`headwind.sh/require-approval`: a person approves each update first."""
    min_update_interval: durations.Duration = timedelta(seconds=300)
    """`headwind.sh/min-update-interval`: least time between two updates; early ones wait."""
    images: tuple[str, ...] = ()
    """`headwind.sh/images`: container names or image repositories; empty tracks all."""
    event_source: EventSource = EventSource.WEBHOOK
    """`headwind.sh/event-source`: the detection paths allowed to start an update."""
    polling_interval: durations.Duration | None = None
    """`headwind.sh/polling-interval`: None means the global `HEADWIND_POLLING_INTERVAL`."""
    auto_rollback: bool = False
    """`headwind.sh/auto-rollback`: watch health after each update and roll back on failure."""
    rollback_timeout: durations.Duration = timedelta(seconds=300)
    """`headwind.sh/rollback-timeout`: how long a rollout is watched."""
    health_check_retries: int = Field(default=3, ge=1)
    """`headwind.sh/health-check-retries`: consecutive failed checks before a rollback."""
    approval_timeout: durations.Duration = timedelta(hours=24)
    """`headwind.sh/approval-timeout`: a pending request expires after this."""
    prerelease: bool = False
    """`headwind.sh/prerelease`: allow prerelease candidates."""
    pin_digest: bool = False
    """`headwind.sh/pin-digest`: write `repo:tag@sha256:…`."""
    min_age: durations.Duration = timedelta(0)
    """`headwind.sh/min-age`: a candidate must have been known this long before it applies."""

    last_update: datetime | None = None
    """`headwind.sh/last-update`: when Headwind last changed the workload."""
    history: tuple[records.HistoryEntry, ...] = ()
    """`headwind.sh/update-history`: Headwind's changes, newest first."""
    rejected_tags: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """`headwind.sh/rejected-tags`: per container, tags an approver rejected."""
    failed_tags: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """`headwind.sh/failed-tags`: per container, tags rolled back after failing."""
    digests: dict[str, records.TagDigest] = Field(default_factory=dict)
    """`headwind.sh/digests`: per container, the digest its current tag last rolled out with."""

    def policy_settings(self, container: str) -> PolicySettings:
        """What the policy engine needs to judge candidates for `container`."""
        return PolicySettings(
            policy=self.policy,
            pattern=self.pattern,
            prerelease=self.prerelease,
            rejected=frozenset(self.rejected_tags.get(container, ())),
            failed=frozenset(self.failed_tags.get(container, ())),
        )


def parse(
    annotations: Mapping[str, str] | None,
) -> tuple[WorkloadAnnotations, list[AnnotationProblem]]:
    """Read every `headwind.sh/*` annotation; bad values become safe values plus problems.

    An absent key, or one whose value is empty or only whitespace, takes its default silently.
    """
    values: dict[str, Any] = {}
    problems: list[AnnotationProblem] = []
    for key, raw in (annotations or {}).items():
        if not key.startswith(PREFIX):
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            continue
        if key in WRITTEN_KEYS or key in NOTIFICATION_KEYS:
            continue
        reader = _READERS.get(key)
        if reader is None:
            problems.append(_unknown_key(key, raw))
            continue
        field, read, fallback, shown = reader
        try:
            values[field] = read(text)
        except _KeepValue as kept:
            values[field] = kept.value
            problems.append(AnnotationProblem(key=key, value=raw, message=str(kept), used=text))
        except ValueError as error:
            values[field] = fallback
            problems.append(AnnotationProblem(key=key, value=raw, message=str(error), used=shown))
    _read_records(annotations or {}, values, problems)
    parsed = WorkloadAnnotations(**values)
    problems.extend(_check_combination(parsed, annotations or {}))
    return parsed, problems


def tracks(
    annotations: WorkloadAnnotations, container_name: str, image: str | images.ImageRef
) -> bool:
    """Whether `headwind.sh/images` selects this container, by name or by repository.

    An entry selects a container with that name, or any container whose image is in that
    repository (`nginx` selects `docker.io/library/nginx:1.25`; tags in entries are ignored).
    """
    if not annotations.images or container_name in annotations.images:
        return True
    try:
        ref = image if isinstance(image, images.ImageRef) else images.parse(image)
    except images.ImageReferenceError:
        return False
    return any(_entry_key(entry) == ref.repository_key for entry in annotations.images)


def parse_bool(text: str) -> bool:
    """`true/false/yes/no/1/0` in any case; raise `ValueError` for anything else."""
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"{text.strip()!r} is not a boolean (true/false/yes/no/1/0)") from None


def _entry_key(entry: str) -> str | None:
    try:
        return images.parse(entry).repository_key
    except images.ImageReferenceError:
        return None


def _read_policy(text: str) -> Policy:
    return parse_policy(text)


def _read_images(text: str) -> tuple[str, ...]:
    entries = tuple(dict.fromkeys(entry.strip() for entry in text.split(",") if entry.strip()))
    bad = [e for e in entries if not _CONTAINER_NAME.fullmatch(e) and _entry_key(e) is None]
    if bad:
        # Keep the bad entries: they match nothing, so a typo narrows tracking instead of
        # widening it to every container (which an empty tuple would mean).
        raise _KeepValue(
            entries,
            f"{', '.join(map(repr, bad))} is neither a container name nor an image repository; "
            "it matches nothing",
        )
    return entries


def _read_event_source(text: str) -> EventSource:
    try:
        return EventSource(text.lower())
    except ValueError:
        valid = ", ".join(source.value for source in EventSource)
        raise ValueError(f"unknown event source {text!r} (valid: {valid})") from None


def _duration_reader(*, positive: bool) -> Callable[[str], timedelta]:
    def read(text: str) -> timedelta:
        value = durations.parse(text)
        if positive and value <= timedelta(0):
            raise ValueError(f"{text!r} must be longer than zero")
        return value

    return read


def _read_retries(text: str) -> int:
    if not _POSITIVE_INT.fullmatch(text) or int(text) < 1:
        raise ValueError(f"{text!r} is not a whole number of at least 1")
    return int(text)


class _KeepValue(ValueError):
    """A reader's value is usable as it stands but still worth reporting."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value


_Reader = tuple[str, Callable[[str], Any], Any, str]
"""(model field, read text or raise ValueError, safe value, safe value as written)."""

_DEFAULTS = WorkloadAnnotations()

_READERS: dict[str, _Reader] = {
    POLICY: ("policy", _read_policy, Policy(kind=PolicyKind.NONE), "none"),
    PATTERN: ("pattern", str, None, ""),
    REQUIRE_APPROVAL: ("require_approval", parse_bool, True, "true"),
    MIN_UPDATE_INTERVAL: (
        "min_update_interval",
        _duration_reader(positive=False),
        _DEFAULTS.min_update_interval,
        durations.to_text(_DEFAULTS.min_update_interval),
    ),
    IMAGES: ("images", _read_images, (), ""),
    EVENT_SOURCE: ("event_source", _read_event_source, EventSource.NONE, "none"),
    POLLING_INTERVAL: ("polling_interval", _duration_reader(positive=True), None, "global"),
    AUTO_ROLLBACK: ("auto_rollback", parse_bool, True, "true"),
    ROLLBACK_TIMEOUT: (
        "rollback_timeout",
        _duration_reader(positive=True),
        _DEFAULTS.rollback_timeout,
        durations.to_text(_DEFAULTS.rollback_timeout),
    ),
    HEALTH_CHECK_RETRIES: ("health_check_retries", _read_retries, 3, "3"),
    APPROVAL_TIMEOUT: (
        "approval_timeout",
        _duration_reader(positive=True),
        _DEFAULTS.approval_timeout,
        durations.to_text(_DEFAULTS.approval_timeout),
    ),
    PRERELEASE: ("prerelease", parse_bool, False, "false"),
    PIN_DIGEST: ("pin_digest", parse_bool, False, "false"),
    MIN_AGE: ("min_age", _duration_reader(positive=False), timedelta(hours=24), "24h"),
}


def _unknown_key(key: str, value: str) -> AnnotationProblem:
    close = difflib.get_close_matches(key, (*USER_KEYS, *WRITTEN_KEYS), n=1, cutoff=0.8)
    hint = f"; did you mean {close[0]}?" if close else ""
    return AnnotationProblem(
        key=key, value=value, message=f"unknown Headwind annotation{hint}", used="ignored"
    )


def _read_records(
    annotations: Mapping[str, str], values: dict[str, Any], problems: list[AnnotationProblem]
) -> None:
    """Read the keys Headwind writes; garbage in them is reported and ignored."""
    last_update = (annotations.get(LAST_UPDATE) or "").strip()
    if last_update:
        try:
            values["last_update"] = records.parse_timestamp(last_update)
        except ValueError:
            problems.append(
                AnnotationProblem(
                    key=LAST_UPDATE,
                    value=last_update,
                    message="not an RFC 3339 timestamp with a time zone",
                    used="",
                )
            )
    history, problem = records.parse_history(annotations.get(UPDATE_HISTORY))
    values["history"] = history
    if problem:
        problems.append(_record_problem(annotations, UPDATE_HISTORY, problem))
    for key, field in ((REJECTED_TAGS, "rejected_tags"), (FAILED_TAGS, "failed_tags")):
        remembered, problem = records.parse_remembered(annotations.get(key))
        values[field] = remembered
        if problem:
            problems.append(_record_problem(annotations, key, problem))
    digests, problem = records.parse_digests(annotations.get(DIGESTS))
    values["digests"] = digests
    if problem:
        problems.append(_record_problem(annotations, DIGESTS, problem))


def _record_problem(annotations: Mapping[str, str], key: str, message: str) -> AnnotationProblem:
    return AnnotationProblem(key=key, value=annotations.get(key, ""), message=message, used="")


def _check_combination(
    parsed: WorkloadAnnotations, annotations: Mapping[str, str]
) -> list[AnnotationProblem]:
    """Values valid one by one that cannot work together (`glob` without a pattern).

    The policy engine already answers "no update" for these; reporting them here tells the
    owner why before any candidate arrives.
    """
    try:
        check_settings(parsed.policy_settings(""))
    except PolicyError as error:
        return [
            AnnotationProblem(
                key=POLICY,
                value=annotations.get(POLICY, ""),
                message=str(error),
                used=f"{parsed.policy} (chooses nothing)",
            )
        ]
    return []
