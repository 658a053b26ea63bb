"""Properties of the policy engine that must hold for any settings and any tags."""

from __future__ import annotations

import fnmatch
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from headwind import policy, versions
from headwind.policy import PolicyKind, Reason

# A small space of tags so that collisions (same tag, same precedence, same variant) are common.
_number = st.integers(min_value=0, max_value=4)
_suffix = st.sampled_from(
    ["", "-rc.1", "-rc.2", "-rc10", "-beta", "-alpine", "-rc.1-alpine", "+b1", "-slim"]
)


@st.composite
def _version_tag(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "", "v"]))
    parts = draw(st.lists(_number, min_size=1, max_size=3))
    return prefix + ".".join(map(str, parts)) + draw(_suffix)


_other_tag = st.one_of(
    st.sampled_from(["latest", "main", "stable", "sha-1a2b3c"]),
    st.builds("build-{}".format, st.integers(min_value=0, max_value=30)),
)
tags = st.one_of(_version_tag(), _version_tag(), _other_tag)

_policies = st.sampled_from(
    [
        "none",
        "patch",
        "minor",
        "major",
        "all",
        "glob",
        "force",
        "range:>=1 <3",
        "range:~1.2",
        "range:^2",
        "range:!=2.0.0 || 0.x",
        r"regex:^build-(?P<num>\d+)$",
        r"regex:v?(?P<version>\d+(\.\d+)*)(-.*)?",
        r"regex:.*",
    ]
)


@st.composite
def policy_settings(draw: st.DrawFn) -> policy.PolicySettings:
    text = draw(_policies)
    patterns = ["*", "v*", "1.*", "build-*", "*[0-9]"]
    pattern = draw(st.sampled_from(patterns if text == "glob" else [None, None, *patterns]))
    return policy.PolicySettings(
        policy=text,
        pattern=pattern,
        prerelease=draw(st.booleans()),
        rejected=draw(st.frozensets(tags, max_size=2)),
        failed=draw(st.frozensets(tags, max_size=2)),
    )


def _newer(decision_policy: policy.Policy, candidate: str, current: str) -> bool:
    """Whether `candidate` is newer than `current` by the order the policy uses (SPEC §4)."""
    if decision_policy.kind is PolicyKind.REGEX:
        expression = decision_policy.expression()

        def key(tag: str) -> str:
            matched = expression.fullmatch(tag)
            if matched is None:
                return tag
            for group in ("version", "num"):
                if group in expression.groupindex and matched[group] is not None:
                    return str(matched[group])
            return tag

        candidate, current = key(candidate), key(current)
    left, right = versions.parse(candidate), versions.parse(current)
    if left is not None and right is not None:
        return left.is_newer_than(right)
    return versions.natural_key(candidate) > versions.natural_key(current)


_examples = settings(max_examples=200)


@_examples
@given(policy_settings(), tags, st.lists(tags, max_size=8))
def test_chosen_is_eligible_and_newer_except_under_force(
    settings_: policy.PolicySettings, current: str, candidates: list[str]
) -> None:
    decision = policy.evaluate(settings_, current, candidates)
    chosen_verdicts = [v for v in decision.candidates if v.reason is Reason.CHOSEN]
    if decision.chosen is None:
        assert chosen_verdicts == []
        assert not decision.eligible
        assert decision.reason is not Reason.CHOSEN
        return
    assert [v.tag for v in chosen_verdicts] == [decision.chosen]
    assert decision.reason is Reason.CHOSEN
    assert decision.chosen in candidates
    assert decision.chosen not in settings_.rejected | settings_.failed
    if settings_.policy.kind is not PolicyKind.FORCE:
        assert _newer(settings_.policy, decision.chosen, current)


@_examples
@given(policy_settings(), tags, st.lists(tags, max_size=8))
def test_eligible_means_chosen_or_not_greatest(
    settings_: policy.PolicySettings, current: str, candidates: list[str]
) -> None:
    decision = policy.evaluate(settings_, current, candidates)
    for verdict in decision.candidates:
        assert verdict.eligible == (verdict.reason in policy.ELIGIBLE_REASONS)
        assert verdict.message


@_examples
@given(policy_settings(), tags)
def test_a_tag_never_qualifies_against_itself_except_under_force(
    settings_: policy.PolicySettings, current: str
) -> None:
    verdict = policy.evaluate(settings_, current, [current]).candidates[0]
    if settings_.policy.kind is PolicyKind.FORCE:
        pattern = settings_.pattern
        assert verdict.eligible == (
            current not in settings_.rejected | settings_.failed
            and (pattern is None or fnmatch.fnmatchcase(current, pattern))
        )
    else:
        assert not verdict.eligible


@_examples
@given(policy_settings(), tags, st.lists(tags, max_size=8), st.randoms(use_true_random=False))
def test_the_decision_does_not_depend_on_candidate_order_or_duplicates(
    settings_: policy.PolicySettings, current: str, candidates: list[str], random: Random
) -> None:
    shuffled = [*candidates, *candidates[:2]]
    random.shuffle(shuffled)
    assert policy.evaluate(settings_, current, shuffled) == policy.evaluate(
        settings_, current, candidates
    )


@_examples
@given(policy_settings(), tags, st.lists(tags, min_size=1, max_size=8))
def test_eligibility_is_judged_per_candidate(
    settings_: policy.PolicySettings, current: str, candidates: list[str]
) -> None:
    """A tag qualifies among others exactly when it qualifies alone: only the choice is shared."""
    together = policy.evaluate(settings_, current, candidates)
    for verdict in together.candidates:
        alone = policy.evaluate(settings_, current, [verdict.tag]).candidates[0]
        assert alone.eligible == verdict.eligible
        if not verdict.eligible:
            assert alone == verdict


@_examples
@given(policy_settings(), tags, st.lists(tags, min_size=1, max_size=8))
def test_remembered_tags_never_qualify_again(
    settings_: policy.PolicySettings, current: str, candidates: list[str]
) -> None:
    remembered = frozenset(candidates[:2])
    decision = policy.evaluate(
        settings_.model_copy(update={"rejected": remembered}), current, candidates
    )
    assert not set(decision.eligible) & remembered


@_examples
@given(tags, st.lists(tags, max_size=8))
def test_semver_policies_never_choose_a_non_version(current: str, candidates: list[str]) -> None:
    for text in ("patch", "minor", "major", "all", "range:*"):
        decision = policy.evaluate(policy.PolicySettings(policy=text), current, candidates)
        for tag in decision.eligible:
            assert versions.parse(tag) is not None


@_examples
@given(tags, st.lists(tags, max_size=8))
def test_policies_nest_patch_within_minor_within_major(current: str, candidates: list[str]) -> None:
    def eligible(text: str) -> set[str]:
        return set(
            policy.evaluate(policy.PolicySettings(policy=text), current, candidates).eligible
        )

    assert eligible("patch") <= eligible("minor") <= eligible("major") <= eligible("all")
    assert eligible("major") == eligible("range:*")
