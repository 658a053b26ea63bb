"""A new build of the current tag: when a changed digest is an update, and when it is not.

Under `force`, and with `headwind.sh/pin-digest`, a workload follows the digest of its tag, so
the same tag pushed again with another digest is a candidate. Webhooks, polling and the update
workflow's own evaluation all ask this module, so the rule (who follows digests, which build
runs now, what a refused tag means for its rebuilds) is written once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from headwind.annotations import WorkloadAnnotations
from headwind.policy import PolicyKind

__all__ = ["RebuildReason", "RebuildVerdict", "follows_digest", "judge", "known_digest"]


class RebuildReason(enum.StrEnum):
    """Why a digest of the current tag is, or is not, rolled out."""

    NOT_FOLLOWED = "same-as-current"
    """The workload does not follow digests: the same tag is no update."""
    REFUSED_EARLIER = "rejected-or-failed-earlier"
    """The tag was rejected or rolled back: its rebuilds are not proposed either."""
    DIGEST_UNKNOWN = "current-tag-digest-unknown"
    """The registry did not say which digest the tag has now."""
    SAME_DIGEST = "same-digest"
    BASELINE = "digest-baseline"
    """Which build runs is unknown (a tag reference under `force`, never rolled out by
    Headwind): the digest seen now becomes the baseline rather than a surprise rollout."""
    CHANGED = "digest-changed"


@dataclass(frozen=True)
class RebuildVerdict:
    reason: RebuildReason
    message: str

    @property
    def is_update(self) -> bool:
        return self.reason == RebuildReason.CHANGED


def follows_digest(parsed: WorkloadAnnotations, container: str) -> bool:
    """`force` follows pushes of its tag; pin-digest follows the digest it pins."""
    kind = parsed.policy_settings(container).policy.kind
    if kind == PolicyKind.NONE:
        return False
    return kind == PolicyKind.FORCE or parsed.pin_digest


def known_digest(
    parsed: WorkloadAnnotations, container: str, tag: str, pinned: str | None
) -> str | None:
    """The digest the current tag runs at: pinned in its reference, else the one Headwind
    recorded when it last rolled that tag out (`headwind.sh/digests`)."""
    if pinned:
        return pinned
    record = parsed.digests.get(container)
    return record.digest if record is not None and record.tag == tag else None


def judge(
    parsed: WorkloadAnnotations,
    container: str,
    tag: str,
    *,
    pinned: str | None,
    seen: str | None,
    baseline_when_unknown: bool = False,
) -> RebuildVerdict:
    """Is `seen`, a digest of the current `tag`, a build to roll out?

    `baseline_when_unknown`: a scan (polling) that cannot tell which build runs records the
    one it sees instead of proposing it; a push event is itself news of a new build.
    """
    if not follows_digest(parsed, container):
        return RebuildVerdict(RebuildReason.NOT_FOLLOWED, f"{tag} is the current tag")
    settings = parsed.policy_settings(container)
    if tag in settings.rejected or tag in settings.failed:
        return RebuildVerdict(RebuildReason.REFUSED_EARLIER, f"{tag} was rejected or failed")
    if seen is None:
        return RebuildVerdict(RebuildReason.DIGEST_UNKNOWN, f"no digest known for {tag}")
    known = known_digest(parsed, container, tag, pinned)
    if known == seen:
        return RebuildVerdict(RebuildReason.SAME_DIGEST, f"{tag} already runs {seen}")
    if known is None and baseline_when_unknown and not parsed.pin_digest:
        return RebuildVerdict(RebuildReason.BASELINE, f"{seen} recorded as the build of {tag}")
    return RebuildVerdict(RebuildReason.CHANGED, f"{tag} has a new build: {seen}")
