"""Which of two candidates for one container is newer, by the container's own policy.

The container slot (`workflows.slot`) lets a newer candidate supersede a pending older one;
"newer" must mean what the policy means (a `regex:` ordering key, a `glob` natural order), so
the question goes to the one policy engine rather than to a second comparison.
"""

from __future__ import annotations

from headwind import policy
from headwind.models import SlotRequest

__all__ = ["is_newer"]


def is_newer(candidate: SlotRequest, than: SlotRequest) -> bool:
    """True when `candidate` would be chosen over `than` were `than` the current tag.

    Both already passed their own evaluation against the live workload, so prerelease
    filtering is off here: it only decides which of the two goes forward.
    """
    if candidate.tag == than.tag:
        return False
    try:
        parsed = policy.parse_policy(candidate.policy)
    except policy.PolicyError:
        return False
    settings = policy.PolicySettings(policy=parsed, pattern=candidate.pattern, prerelease=True)
    try:
        decision = policy.evaluate(settings, than.tag, [candidate.tag])
    except policy.PolicyError:
        return False
    return decision.chosen == candidate.tag
