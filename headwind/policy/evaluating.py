"""Judging candidate tags against the current one: every rule of the version policy, in one place.

Webhooks, polling, Helm charts, the workflow's re-check before applying, the API's "why not
updated" and `headwind policy check` all call `evaluate`, so they cannot disagree. The function
is pure and total: bad settings (a `glob` without a pattern) give "no update" with a reason
instead of an exception, because a workload's annotations must never crash anything.

Rules are checked in a fixed order and the first one that fails names the reason, so the reason
is the most basic obstacle: `same-as-current`, then `pattern-mismatch`, then what the tag *is*
(`not-a-version`, prefix, shape, variant), then how it *compares* (`not-newer`, `prerelease`,
`other-major`, `out-of-range`), and only then memory (`rejected-earlier`, `failed-earlier`), so
"rejected earlier" is only said of a tag that would otherwise qualify.

No policy ever chooses the current tag, and every policy but `force` only chooses a tag that is
newer by one order without cycles, so following the engine's choices can never loop. Under
`force` the current tag is judged last of all (after the pattern and the memory), because what
may be new about it is a digest the engine does not see; callers compare digests themselves.
Two tags are compared as versions when both are versions, in natural order when neither is, and
not at all when one is and the other is not: mixing the two orders would let `a < b < c < a`.
"""

from __future__ import annotations

import collections
import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from headwind import ranges, versions
from headwind.policy.decisions import Decision, Reason, Verdict
from headwind.policy.policies import KEY_GROUPS, PolicyKind, PolicySettings

__all__ = ["evaluate"]

_Finding = tuple[Reason, str]
"""Why a candidate does not qualify; None stands for "qualifies"."""


@dataclass(frozen=True)
class _Context:
    """One evaluation's inputs, parsed once."""

    settings: PolicySettings
    kind: PolicyKind
    policy: str
    """The policy as users write it, for messages."""
    current: str
    current_version: versions.Version | None
    constraint: ranges.Constraint | None
    expression: re.Pattern[str] | None


def evaluate(settings: PolicySettings, current: str, candidates: Iterable[str]) -> Decision:
    """Judge every candidate tag against the current tag and choose the update, if any.

    The decision depends only on the *set* of candidates: duplicates collapse, verdicts come
    back in tag order, and ties are broken by the tag text, never by arrival order.
    """
    if isinstance(candidates, str):
        # A lone tag is an iterable of characters; judging "1", ".", "2" would be nonsense.
        raise TypeError("candidates must be a collection of tags, not one string")
    policy = settings.policy
    context = _Context(
        settings=settings,
        kind=policy.kind,
        policy=str(policy),
        current=current,
        current_version=versions.parse(current),
        constraint=policy.constraint() if policy.kind is PolicyKind.RANGE else None,
        expression=policy.expression() if policy.kind is PolicyKind.REGEX else None,
    )
    tags = sorted(set(candidates), key=versions.tag_sort_key)
    findings = {tag: _judge(context, tag) for tag in tags}
    eligible = [tag for tag in tags if findings[tag] is None]
    chosen = _greatest(context, eligible) if eligible else None
    verdicts = tuple(_verdict(context, tag, findings[tag], chosen) for tag in tags)
    reason, message = _outcome(context, verdicts, chosen)
    return Decision(
        policy=policy,
        current=current,
        chosen=chosen,
        reason=reason,
        message=message,
        candidates=verdicts,
    )


def _judge(context: _Context, tag: str) -> _Finding | None:
    settings = context.settings
    force = context.kind is PolicyKind.FORCE
    if context.kind is PolicyKind.NONE:
        return Reason.POLICY_NONE, "policy none never updates"
    if tag == context.current and not force:
        return Reason.SAME_AS_CURRENT, "this is the current tag"
    if context.kind is PolicyKind.GLOB and settings.pattern is None:
        return Reason.MISSING_PATTERN, "policy glob needs a pattern (headwind.sh/pattern)"
    if settings.pattern is not None and not fnmatch.fnmatchcase(tag, settings.pattern):
        return Reason.PATTERN_MISMATCH, f"{tag} does not match the pattern {settings.pattern!r}"
    finding = _RULES[context.kind](context, tag)
    if finding is not None:
        return finding
    if tag in settings.rejected:
        return Reason.REJECTED_EARLIER, f"{tag} was rejected earlier for this container"
    if tag in settings.failed:
        return Reason.FAILED_EARLIER, f"{tag} failed and was rolled back earlier"
    if tag == context.current:
        return (
            Reason.SAME_AS_CURRENT,
            "this is the current tag: under force a new build of it is rolled out when its "
            "digest changes, which is judged by digest, not by the tag",
        )
    return None


_WITHIN_MAJOR = frozenset({PolicyKind.PATCH, PolicyKind.MINOR})


def _semver_rule(context: _Context, tag: str) -> _Finding | None:
    """patch, minor, major, all and range: versions only, of the current tag's kind."""
    current = context.current_version
    if current is None:
        return (
            Reason.CURRENT_NOT_A_VERSION,
            f"the current tag {context.current} is not a version, "
            f"so policy {context.policy} cannot compare with it",
        )
    candidate = versions.parse(tag)
    if candidate is None:
        return (
            Reason.NOT_A_VERSION,
            f"{tag} is not a version; policy {context.policy} only considers versions",
        )
    # `all` lifts the variant and prerelease restrictions, not the shape and prefix ones.
    finding = _version_rules(
        context, current, candidate, suffix_rules=context.kind is not PolicyKind.ALL
    )
    if finding is not None:
        return finding
    if context.kind in _WITHIN_MAJOR and candidate.major != current.major:
        return (
            Reason.OTHER_MAJOR,
            f"{tag} is in major version {candidate.major}; "
            f"policy {context.policy} stays in {current.major}",
        )
    if context.kind is PolicyKind.PATCH and candidate.minor != current.minor:
        return (
            Reason.OTHER_MINOR,
            f"{tag} is in {candidate.major}.{candidate.minor}; "
            f"policy patch stays in {current.major}.{current.minor}",
        )
    if context.constraint is not None and not context.constraint.matches(candidate):
        return Reason.OUT_OF_RANGE, f"{tag} is outside the range {context.constraint.text!r}"
    return None


def _version_rules(
    context: _Context,
    current: versions.Version,
    candidate: versions.Version,
    *,
    suffix_rules: bool,
) -> _Finding | None:
    """The rules every version candidate meets: same kind of tag, newer, no unwanted prerelease."""
    tag = candidate.text
    if candidate.prefix != current.prefix:
        return (
            Reason.PREFIX_MISMATCH,
            f"{tag} is written {_prefix_words(candidate)}, "
            f"the current tag {_prefix_words(current)}",
        )
    if (candidate.shape, candidate.dashed_date) != (current.shape, current.dashed_date):
        return (
            Reason.SHAPE_MISMATCH,
            f"{tag} {_shape_words(candidate)}, the current tag {_shape_words(current)}",
        )
    if suffix_rules and candidate.flavour != current.flavour:
        return Reason.VARIANT_MISMATCH, _flavour_words(candidate, current)
    if not candidate.is_newer_than(current):
        return Reason.NOT_NEWER, _not_newer_words(candidate, current)
    if suffix_rules and candidate.is_prerelease and not _prerelease_allowed(context, candidate):
        return Reason.PRERELEASE, _prerelease_words(candidate, current)
    return None


def _prerelease_allowed(context: _Context, candidate: versions.Version) -> bool:
    # "Newer prereleases of the same version": the same numeric parts as a current prerelease
    # (compared by value); newer-ness was checked already.
    current = context.current_version
    return context.settings.prerelease or (
        current is not None
        and current.is_prerelease
        and candidate.precedence[0] == current.precedence[0]
    )


def _glob_rule(context: _Context, tag: str) -> _Finding | None:
    """glob: the pattern matched already; versions obey the version rules, other tags must be
    newer in natural order, and a version never replaces another kind of tag or back."""
    current, candidate = context.current_version, versions.parse(tag)
    if current is not None and candidate is not None:
        return _version_rules(context, current, candidate, suffix_rules=True)
    if (current is None) != (candidate is None):
        return Reason.NOT_NEWER, _kinds_words(tag, candidate, context.current)
    if versions.natural_key(tag) <= versions.natural_key(context.current):
        return Reason.NOT_NEWER, f"{tag} is not newer than {context.current} in natural order"
    return None


def _regex_rule(context: _Context, tag: str) -> _Finding | None:
    """regex: full match, then newer by the ordering key; no other rule applies (escape hatch)."""
    assert context.expression is not None
    if context.expression.fullmatch(tag) is None:
        expression = context.expression.pattern
        return Reason.REGEX_MISMATCH, f"{tag} does not fully match the expression {expression!r}"
    key, current_key = _regex_key(context, tag), _regex_key(context, context.current)
    compared = _compare_keys(key, current_key)
    if compared is None:
        return (
            Reason.NOT_NEWER,
            f"{tag} is not newer than {context.current}: of the ordering keys {key!r} and "
            f"{current_key!r} one is a version and the other is not, and such keys are never "
            "compared",
        )
    if compared <= 0:
        return (
            Reason.NOT_NEWER,
            f"{tag} is not newer than {context.current} "
            f"(ordering key {key!r}, current {current_key!r})",
        )
    return None


def _force_rule(context: _Context, tag: str) -> _Finding | None:
    return None


_RULES: dict[PolicyKind, Callable[[_Context, str], _Finding | None]] = {
    PolicyKind.PATCH: _semver_rule,
    PolicyKind.MINOR: _semver_rule,
    PolicyKind.MAJOR: _semver_rule,
    PolicyKind.ALL: _semver_rule,
    PolicyKind.RANGE: _semver_rule,
    PolicyKind.GLOB: _glob_rule,
    PolicyKind.REGEX: _regex_rule,
    PolicyKind.FORCE: _force_rule,
}


def _regex_key(context: _Context, tag: str) -> str:
    """The ordering key of a tag: the `version` (else `num`) group of a full match; the whole
    tag when the group did not take part, or the tag does not match (a current tag from before
    the policy was set)."""
    if context.expression is None:
        return tag
    matched = context.expression.fullmatch(tag)
    if matched is None:
        return tag
    for group in KEY_GROUPS:
        if group in context.expression.groupindex and matched[group] is not None:
            return str(matched[group])
    return tag


def _compare_keys(left: str, right: str) -> int | None:
    """Version order when both keys are versions (an all-digit key is a one-part version, so
    numeric keys compare as numbers), natural order when neither is; None when one is a version
    and the other is not, since no order joins the two without cycles."""
    left_version, right_version = versions.parse(left), versions.parse(right)
    if left_version is not None and right_version is not None:
        return left_version.compare(right_version)
    if left_version is not None or right_version is not None:
        return None
    return _natural_compare(left, right)


def _greatest(context: _Context, eligible: list[str]) -> str:
    """The eligible tag to choose, by one order over the whole set so that the choice does not
    depend on arrival order: version order when every key is a version, natural order when one
    is not (only `force` mixes them); ties (`1.2.3` against `1.2.3+b1`) by natural order then
    text."""
    use_key = context.kind is PolicyKind.REGEX
    keys = {tag: _regex_key(context, tag) if use_key else tag for tag in eligible}
    parsed = {tag: versions.parse(key) for tag, key in keys.items()}
    by_version = {tag: version.precedence for tag, version in parsed.items() if version}
    if len(by_version) == len(eligible):
        return max(eligible, key=lambda tag: (by_version[tag], versions.natural_key(tag), tag))
    return max(
        eligible,
        key=lambda tag: (versions.natural_key(keys[tag]), versions.natural_key(tag), tag),
    )


def _verdict(context: _Context, tag: str, finding: _Finding | None, chosen: str | None) -> Verdict:
    if finding is not None:
        reason, message = finding
        return Verdict(tag=tag, eligible=False, reason=reason, message=message)
    if tag != chosen:
        return Verdict(
            tag=tag,
            eligible=True,
            reason=Reason.NOT_GREATEST,
            message=f"{tag} qualifies, but {chosen} is greater",
        )
    if context.kind is PolicyKind.FORCE:
        message = f"{tag} is applied under force, newer or not"
    else:
        message = f"{tag} is the greatest candidate that qualifies"
    return Verdict(tag=tag, eligible=True, reason=Reason.CHOSEN, message=message)


def _outcome(
    context: _Context, verdicts: tuple[Verdict, ...], chosen: str | None
) -> tuple[Reason, str]:
    if chosen is not None:
        return Reason.CHOSEN, f"update {context.current} to {chosen} under policy {context.policy}"
    if context.kind is PolicyKind.NONE:
        return Reason.POLICY_NONE, "no update: policy none never updates"
    if not verdicts:
        return Reason.NO_CANDIDATES, "no update: there are no candidate tags"
    if context.kind.is_semver and context.current_version is None:
        return (
            Reason.CURRENT_NOT_A_VERSION,
            f"no update: the current tag {context.current} is not a version, so policy "
            f"{context.policy} cannot compare with it (glob, regex: or force can)",
        )
    if context.kind is PolicyKind.GLOB and context.settings.pattern is None:
        return Reason.MISSING_PATTERN, "no update: policy glob needs a pattern"
    counts = collections.Counter(verdict.reason.value for verdict in verdicts)
    summary = ", ".join(f"{reason}: {count}" for reason, count in sorted(counts.items()))
    return (
        Reason.NOTHING_ELIGIBLE,
        f"no update: no candidate qualifies under policy {context.policy} ({summary})",
    )


def _natural_compare(left: str, right: str) -> int:
    left_key, right_key = versions.natural_key(left), versions.natural_key(right)
    return (left_key > right_key) - (left_key < right_key)


def _prefix_words(version: versions.Version) -> str:
    return f"with a {version.prefix!r} prefix" if version.prefix else "without a prefix"


def _shape_words(version: versions.Version) -> str:
    if version.dashed_date:
        return "is a date written with dashes"
    return f"has {version.shape} numeric part" + ("" if version.shape == 1 else "s")


def _flavour_words(candidate: versions.Version, current: versions.Version) -> str:
    """Names what differs: the variant, else how the revision is written."""
    words = _variant_words if candidate.variant != current.variant else _revision_words
    return f"{candidate.text} {words(candidate)}, the current tag {words(current)}"


def _variant_words(version: versions.Version) -> str:
    return f"is variant {version.variant!r}" if version.variant else "has no variant"


def _revision_words(version: versions.Version) -> str:
    marker = version.revision_marker
    if marker is None:
        return "has no revision"
    return f"has an {marker}<N> revision" if marker else "has a bare-number revision"


def _not_newer_words(candidate: versions.Version, current: versions.Version) -> str:
    if candidate.compare(current) == 0:
        return (
            f"{candidate.text} is the same version as {current.text}; "
            "equal versions never replace each other"
        )
    return f"{candidate.text} is older than {current.text}"


def _kinds_words(tag: str, candidate: versions.Version | None, current: str) -> str:
    which = ("is a version", "is not") if candidate is not None else ("is not a version", "is")
    return (
        f"{tag} {which[0]} and the current tag {current} {which[1]}: "
        "a version and another kind of tag never replace each other"
    )


def _prerelease_words(candidate: versions.Version, current: versions.Version) -> str:
    if current.is_prerelease:
        release = ".".join(str(part) for part in current.parts)
        return (
            f"{candidate.text} is a prerelease of another version; without prereleases enabled "
            f"only newer prereleases of {release} qualify"
        )
    return f"{candidate.text} is a prerelease and prereleases are not enabled"
