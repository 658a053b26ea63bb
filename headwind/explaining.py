"""Why a workload was not updated: the registry's tags, judged one by one, for a person.

"Why is this still on 1.4?" is the question owners ask most. The answer is the policy engine's
own verdict for every tag the registry has (or every chart version the HelmRepository has),
with the chosen one marked and the tags Headwind remembers as rejected or failed shown, so
the page, the REST endpoint and the CLI can never disagree with what polling would do: they
all run `headwind.policy.evaluate` on the same inputs. Pure: whoever calls it fetched the tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from headwind import policy
from headwind.index import Subscriber, WatchedWorkload
from headwind.models import WorkloadRef
from headwind.policy.decisions import Reason
from headwind.policy.policies import PolicyKind

__all__ = [
    "CandidateExplanation",
    "ContainerExplanation",
    "Explanation",
    "explain_container",
    "explain_failure",
    "explain_untracked",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class CandidateExplanation(_Model):
    """One tag of the registry and what the policy says of it."""

    tag: str
    eligible: bool
    chosen: bool
    reason: Reason
    message: str
    remembered: Literal["rejected", "failed"] | None = None
    """Whether Headwind remembers this tag as rejected by an approver or failed in a rollout."""


class ContainerExplanation(_Model):
    """The verdicts for one container (or a HelmRelease's chart)."""

    container: str
    image: str
    current: str
    """The current tag (chart version); empty for a digest-only reference."""
    policy: str
    pattern: str | None
    tracked: bool
    """False when `headwind.sh/images` leaves this container out: nothing is proposed for it."""
    chosen: str | None
    """The tag polling would propose now, if any."""
    reason: str
    """`chosen`, or why nothing is (`nothing-eligible`, `policy-none`, `not-tracked`,
    `registry-error`, …)."""
    message: str
    candidates: tuple[CandidateExplanation, ...] = ()
    """Every tag the registry listed, in tag order."""
    rejected: tuple[str, ...] = ()
    """Tags an approver rejected for this container."""
    failed: tuple[str, ...] = ()
    """Tags rolled back after failing for this container."""


class Explanation(_Model):
    """Why a workload runs what it runs: one explanation per tracked container."""

    workload: WorkloadRef
    containers: tuple[ContainerExplanation, ...]


def _explained(
    sub: Subscriber,
    *,
    tracked: bool,
    chosen: str | None,
    reason: str,
    message: str,
    candidates: tuple[CandidateExplanation, ...] = (),
) -> ContainerExplanation:
    settings = sub.annotations.policy_settings(sub.container)
    return ContainerExplanation(
        container=sub.container,
        image=sub.image,
        current=sub.tag,
        policy=str(settings.policy),
        pattern=settings.pattern,
        tracked=tracked,
        chosen=chosen,
        reason=reason,
        message=message,
        candidates=candidates,
        rejected=tuple(sorted(settings.rejected)),
        failed=tuple(sorted(settings.failed)),
    )


def explain_container(
    sub: Subscriber, tags: Iterable[str], *, tracked: bool
) -> ContainerExplanation:
    """Judge every listed tag for `sub` as polling would."""
    settings = sub.annotations.policy_settings(sub.container)
    decision = policy.evaluate(settings, sub.tag, sorted(set(tags)))
    forced = settings.policy.kind is PolicyKind.FORCE
    chosen = None if forced or not tracked else decision.chosen
    candidates = tuple(
        CandidateExplanation(
            tag=verdict.tag,
            eligible=verdict.eligible,
            chosen=chosen is not None and verdict.tag == chosen,
            reason=verdict.reason,
            message=verdict.message,
            remembered=(
                "rejected"
                if verdict.tag in settings.rejected
                else "failed"
                if verdict.tag in settings.failed
                else None
            ),
        )
        for verdict in decision.candidates
    )
    message = decision.message
    if forced:
        message += (
            " (under `force` Headwind follows pushes and new digests of the current tag; a "
            "tag list alone never makes it choose another tag)"
        )
    if not tracked:
        return _explained(
            sub,
            tracked=False,
            chosen=None,
            reason="not-tracked",
            message="headwind.sh/images leaves this container out; nothing is proposed for it",
            candidates=candidates,
        )
    return _explained(
        sub,
        tracked=True,
        chosen=chosen,
        reason=str(decision.reason),
        message=message,
        candidates=candidates,
    )


def explain_failure(sub: Subscriber, error: str, *, tracked: bool) -> ContainerExplanation:
    """The explanation of a container whose tags could not be listed."""
    return _explained(
        sub,
        tracked=tracked,
        chosen=None,
        reason="registry-error",
        message=f"the tags could not be listed: {error}",
    )


def explain_untracked(watched: WatchedWorkload) -> tuple[ContainerExplanation, ...]:
    """Containers no registry event can reach (an unreadable image), with the reason."""
    return tuple(
        ContainerExplanation(
            container=skip.container,
            image=skip.image,
            current="",
            policy=str(watched.annotations.policy),
            pattern=watched.annotations.pattern,
            tracked=False,
            chosen=None,
            reason="not-indexed",
            message=skip.reason,
        )
        for skip in watched.unindexed
    )
