"""From "a tag was pushed to a repository" to the proposals worth starting a workflow for.

Every detection path (webhooks, polling, Helm) ends here, so `headwind.sh/event-source`,
`headwind.sh/images` and the policy are honoured the same way everywhere. This is a pre-filter
on the watcher's cached view; the update workflow judges the candidate again on the live
workload before doing anything.
"""


import enum
from collections.abc import Iterable
from dataclasses import dataclass

from headwind import annotations, policy
from headwind.index import Subscriber
from headwind.models import Proposal
from headwind.policy import PolicyKind

__all__ = ["Match", "Path", "PushedTag", "match"]


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
        if not (follows_digest and pushed.digest and pushed.digest != sub.digest):
            return Match(sub, None, "same-as-current")
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
