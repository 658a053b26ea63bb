"""What the engine answers: a verdict with a reason for every candidate, and the choice.

Users ask "why was this not updated?", so the answer is per candidate and machine-readable:
a stable reason code (a string enum, safe to store in workflow histories, CR status and JSON
output) plus a message written for a person. docs/policy.md explains every code with examples.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict

from headwind.policy.policies import Policy

__all__ = ["ELIGIBLE_REASONS", "Decision", "Reason", "Verdict"]


class Reason(enum.StrEnum):
    """Why a candidate qualifies or not, and why a decision chose something or nothing."""

    # A candidate that qualifies.
    CHOSEN = "chosen"
    """The candidate the decision picked: the greatest eligible one (also a decision reason)."""
    NOT_GREATEST = "not-greatest"
    """Qualifies, but a greater eligible candidate was chosen."""

    # A candidate that does not qualify, in the order the rules are checked.
    POLICY_NONE = "policy-none"
    """Policy `none` never updates (also a decision reason)."""
    SAME_AS_CURRENT = "same-as-current"
    """The candidate is the current tag; a tag never qualifies against itself except under force."""
    MISSING_PATTERN = "missing-pattern"
    """Policy `glob` without a pattern (also a decision reason)."""
    PATTERN_MISMATCH = "pattern-mismatch"
    """Does not match `headwind.sh/pattern` (the glob itself under `glob`)."""
    CURRENT_NOT_A_VERSION = "current-not-a-version"
    """The current tag is not a version, so a semver policy cannot compare (also a decision
    reason)."""
    NOT_A_VERSION = "not-a-version"
    """The candidate is not a version; semver policies only consider versions."""
    PREFIX_MISMATCH = "prefix-mismatch"
    """The `v`/`V` prefix differs from the current tag's."""
    SHAPE_MISMATCH = "shape-mismatch"
    """A different number of numeric parts than the current tag (`1.26.3` for `1.25`)."""
    VARIANT_MISMATCH = "variant-mismatch"
    """A different variant suffix than the current tag (`-alpine` for a plain tag)."""
    REGEX_MISMATCH = "regex-mismatch"
    """Does not fully match the `regex:` expression."""
    NOT_NEWER = "not-newer"
    """Not newer than the current tag (equal or lower): no downgrades."""
    PRERELEASE = "prerelease"
    """A prerelease while prereleases are off (and not a newer prerelease of the current one)."""
    OTHER_MAJOR = "other-major"
    """Newer, but in another major version than `patch`/`minor` allow."""
    OTHER_MINOR = "other-minor"
    """Newer, but in another minor version than `patch` allows."""
    OUT_OF_RANGE = "out-of-range"
    """Newer, but outside the `range:` constraint."""
    REJECTED_EARLIER = "rejected-earlier"
    """Would qualify, but an approver rejected this tag for this container before."""
    FAILED_EARLIER = "failed-earlier"
    """Would qualify, but this tag was rolled back after failing before."""

    # Decision reasons only.
    NO_CANDIDATES = "no-candidates"
    """There was nothing to judge."""
    NOTHING_ELIGIBLE = "nothing-eligible"
    """Candidates were judged and none qualifies; see each candidate's reason."""


ELIGIBLE_REASONS = frozenset({Reason.CHOSEN, Reason.NOT_GREATEST})


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class Verdict(_Model):
    """The engine's answer for one candidate tag."""

    tag: str
    eligible: bool
    """Whether the tag qualifies under the policy (the chosen one and `not-greatest` ones)."""
    reason: Reason
    message: str
    """The reason for a person, naming the values involved."""


class Decision(_Model):
    """The engine's answer for one evaluation: every candidate judged, at most one chosen."""

    policy: Policy
    current: str
    """The current tag the candidates were judged against."""
    chosen: str | None
    """The tag to update to, or None for "no update". Always an eligible candidate."""
    reason: Reason
    """`chosen`, or why nothing was: `policy-none`, `no-candidates`, `current-not-a-version`,
    `missing-pattern`, `nothing-eligible`."""
    message: str
    candidates: tuple[Verdict, ...]
    """One verdict per distinct candidate, in tag order (`versions.compare_tags`), so the same
    set of candidates always gives the same decision whatever order they arrived in."""

    def verdict(self, tag: str) -> Verdict | None:
        """The verdict for one candidate, or None if it was not a candidate."""
        return next((verdict for verdict in self.candidates if verdict.tag == tag), None)

    @property
    def eligible(self) -> tuple[str, ...]:
        return tuple(verdict.tag for verdict in self.candidates if verdict.eligible)
