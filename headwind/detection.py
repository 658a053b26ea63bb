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

from headwind import annotations, policy
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
    "known_digest",
    "match",
]

DIGEST_BASELINE = "digest-baseline"
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
    if sub.repository != pushed.repository:
        return Match(sub, None, "other-repository")
    if not _heeds(sub, path):
        return Match(sub, None, f"event-source is {sub.annotations.event_source.value}")
    if not annotations.tracks(sub.annotations, sub.container, sub.image):
        return Match(sub, None, "not-tracked")
    settings = sub.annotations.policy_settings(sub.container)
    kind = settings.policy.kind
    if kind == PolicyKind.NONE:
        return Match(sub, None, "policy-none")
    if pushed.tag == sub.tag:
        # The same tag again: only a new digest matters, and only to `force` or pinned workloads.
        follows_digest = kind == PolicyKind.FORCE or sub.annotations.pin_digest
        if not (follows_digest and pushed.digest and pushed.digest != known_digest(sub)):
            return Match(sub, None, "same-as-current")
        if pushed.tag in settings.rejected or pushed.tag in settings.failed:
            return Match(sub, None, "rejected-or-failed-earlier")
    else:
        decision = policy.evaluate(settings, sub.tag, [pushed.tag])
        if decision.chosen != pushed.tag:
            verdict = decision.verdict(pushed.tag)
            return Match(sub, None, str(verdict.reason if verdict else decision.reason))
    proposal = Proposal(
        workload=sub.workload,
        container=sub.container,
        tag=pushed.tag,
        digest=pushed.digest,
        source=source,
    )
    return Match(sub, proposal, "proposed")


def known_digest(sub: Subscriber) -> str | None:
    """The digest the subscriber's current tag runs at: pinned in its reference, else the one
    Headwind recorded when it last rolled that tag out (`headwind.sh/digests`)."""
    if sub.digest:
        return sub.digest
    record = sub.annotations.digests.get(sub.container)
    return record.digest if record is not None and record.tag == sub.tag else None


def _follows_digest(sub: Subscriber) -> bool:
    kind = sub.annotations.policy_settings(sub.container).policy.kind
    return kind == PolicyKind.FORCE or sub.annotations.pin_digest


def _screen(sub: Subscriber, repository: str, path: Path) -> str | None:
    """Why a subscriber takes no part in a scan, or None when it does."""
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
        if _screen(sub, repository, Path.POLLING) is not None or not _follows_digest(sub):
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
    if current is None:
        return Match(sub, None, "current-tag-digest-unknown")
    settings = sub.annotations.policy_settings(sub.container)
    if sub.tag in settings.rejected or sub.tag in settings.failed:
        return Match(sub, None, "rejected-or-failed-earlier")
    known = known_digest(sub)
    if known == current:
        return Match(sub, None, "same-digest")
    if known is None and not sub.annotations.pin_digest:
        # A tag reference under `force` does not say which build runs; rolling out every
        # workload on its first poll would be a surprise, so the build seen now is the baseline.
        return Match(sub, None, DIGEST_BASELINE)
    return Match(sub, _proposal(sub, sub.tag, current, source), "proposed")


def _proposal(sub: Subscriber, tag: str, digest: str | None, source: str) -> Proposal:
    return Proposal(
        workload=sub.workload, container=sub.container, tag=tag, digest=digest, source=source
    )
