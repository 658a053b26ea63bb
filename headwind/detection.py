"""From "a tag was pushed to a repository" to the proposals worth starting a workflow for.

Every detection path (webhooks, polling, Helm) ends here, so `headwind.sh/event-source`,
`headwind.sh/images` and the policy are honoured the same way everywhere. This is a pre-filter
on the watcher's cached view; the update workflow judges the candidate again on the live
workload before doing anything.

A webhook reports one pushed tag (`match`); a poll sees a repository's whole tag list
(`choose`), of which each subscriber is offered only the one tag its policy chooses, so a
scan of a repository with 500 tags starts at most one workflow per workload container.
`force` and `headwind.sh/pin-digest` also follow the digest of the current tag: polling asks
the registry for the digests `digests_needed` names (HEAD requests), and a changed digest is a
candidate too.
"""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from headwind import annotations, policy, rebuilds
from headwind.index import Subscriber
from headwind.models import Proposal
from headwind.policy import PolicyKind

__all__ = [
    "DIGEST_BASELINE",
    "Match",
    "Path",
    "PushedTag",
    "choose",
    "digests_needed",
    "match",
]

DIGEST_BASELINE = rebuilds.RebuildReason.BASELINE.value
"""Reason of a `force` subscriber whose current build is unknown: the digest seen now is
recorded as the baseline instead of rolling the workload out on its first poll."""


class Path(enum.StrEnum):
    """Which detection path saw the push; `headwind.sh/event-source` chooses the ones it heeds."""

    WEBHOOK = "webhook"
    POLLING = "polling"


@dataclass(frozen=True)
class PushedTag:
    """A tag (and, when known, its manifest digest) that exists now in a repository."""

    repository: str
    """Normalised `registry/repository` key (see `headwind.images.repository_key`)."""
    tag: str
    digest: str | None = None


@dataclass(frozen=True)
class Match:
    """The verdict for one subscriber: a proposal to start, or why not."""

    subscriber: Subscriber
    proposal: Proposal | None
    reason: str


def _heeds(subscriber: Subscriber, path: Path) -> bool:
    source = subscriber.annotations.event_source
    return source.webhooks if path == Path.WEBHOOK else source.polling


def match(
    pushed: PushedTag, subscribers: Iterable[Subscriber], *, path: Path, source: str
) -> list[Match]:
    """Judge a pushed tag for every subscriber of its repository."""
    matches: list[Match] = []
    for sub in subscribers:
        matches.append(_judge(pushed, sub, path=path, source=source))
    return matches


def _judge(pushed: PushedTag, sub: Subscriber, *, path: Path, source: str) -> Match:
    why_not = _screen(sub, pushed.repository, path)
    if why_not is not None:
        return Match(sub, None, why_not)
    if pushed.tag == sub.tag:
        # The same tag again: only a new build matters, and only to workloads that follow one.
        verdict = _rebuild(sub, pushed.digest, baseline_when_unknown=False)
        if not verdict.is_update:
            return Match(sub, None, str(verdict.reason))
    else:
        settings = sub.annotations.policy_settings(sub.container)
        decision = policy.evaluate(settings, sub.tag, [pushed.tag])
        if decision.chosen != pushed.tag:
            verdict_of_tag = decision.verdict(pushed.tag)
            return Match(
                sub, None, str(verdict_of_tag.reason if verdict_of_tag else decision.reason)
            )
    return Match(sub, _proposal(sub, pushed.tag, pushed.digest, source), "proposed")


def _rebuild(
    sub: Subscriber, seen: str | None, *, baseline_when_unknown: bool
) -> rebuilds.RebuildVerdict:
    return rebuilds.judge(
        sub.annotations,
        sub.container,
        sub.tag,
        pinned=sub.digest,
        seen=seen,
        baseline_when_unknown=baseline_when_unknown,
    )


def _screen(sub: Subscriber, repository: str, path: Path) -> str | None:
    """Why a subscriber takes no part in a push or a scan, or None when it does."""
    if sub.repository != repository:
        return "other-repository"
    if not _heeds(sub, path):
        return f"event-source is {sub.annotations.event_source.value}"
    if not annotations.tracks(sub.annotations, sub.container, sub.image):
        return "not-tracked"
    if sub.annotations.policy_settings(sub.container).policy.kind == PolicyKind.NONE:
        return "policy-none"
    return None


def digests_needed(
    repository: str, tags: Iterable[str], subscribers: Iterable[Subscriber]
) -> set[str]:
    """The listed tags whose digests `choose` needs: the current tag of every `force` or
    pin-digest subscriber, and the tag a pin-digest subscriber's policy chooses (to pin it)."""
    listed = set(tags)
    needed: set[str] = set()
    for sub in subscribers:
        if _screen(sub, repository, Path.POLLING) is not None:
            continue
        if not rebuilds.follows_digest(sub.annotations, sub.container):
            continue
        if sub.tag:
            needed.add(sub.tag)
        settings = sub.annotations.policy_settings(sub.container)
        if sub.annotations.pin_digest and settings.policy.kind != PolicyKind.FORCE:
            chosen = policy.evaluate(settings, sub.tag, sorted(listed)).chosen
            if chosen is not None:
                needed.add(chosen)
    return needed & listed


def choose(
    repository: str,
    tags: Iterable[str],
    subscribers: Iterable[Subscriber],
    *,
    digests: Mapping[str, str],
    source: str,
    path: Path = Path.POLLING,
) -> list[Match]:
    """Judge a repository's whole tag list (`digests`: tag → digest, for `digests_needed`).

    Per subscriber: the tag its policy chooses among all tags, if any; otherwise, under
    `force` or pin-digest, the current tag when its digest changed. `force` itself chooses no
    other tag when polling: it follows pushes, and a tag list has no order of pushes.
    """
    listed = sorted(set(tags))
    matches: list[Match] = []
    for sub in subscribers:
        why_not = _screen(sub, repository, path)
        if why_not is not None:
            matches.append(Match(sub, None, why_not))
            continue
        settings = sub.annotations.policy_settings(sub.container)
        if settings.policy.kind != PolicyKind.FORCE:
            decision = policy.evaluate(settings, sub.tag, listed)
            if decision.chosen is not None:
                proposal = _proposal(sub, decision.chosen, digests.get(decision.chosen), source)
                matches.append(Match(sub, proposal, "proposed"))
                continue
            if not sub.annotations.pin_digest:
                matches.append(Match(sub, None, str(decision.reason)))
                continue
        matches.append(_judge_digest(sub, digests, source))
    return matches


def _judge_digest(sub: Subscriber, digests: Mapping[str, str], source: str) -> Match:
    """Under `force` or pin-digest: is there a new build of the current tag?"""
    current = digests.get(sub.tag) if sub.tag else None
    verdict = _rebuild(sub, current, baseline_when_unknown=True)
    if not verdict.is_update:
        return Match(sub, None, str(verdict.reason))
    return Match(sub, _proposal(sub, sub.tag, current, source), "proposed")


def _proposal(sub: Subscriber, tag: str, digest: str | None, source: str) -> Proposal:
    return Proposal(
        workload=sub.workload, container=sub.container, tag=tag, digest=digest, source=source
    )
