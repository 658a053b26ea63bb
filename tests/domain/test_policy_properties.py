"""Properties of the policy engine that must hold for any settings and any tags: above all, that
following its choices never goes down (except under `force`) and never goes round in circles."""

from __future__ import annotations

from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from headwind import policy, versions
from headwind.policy import PolicyKind, Reason

# A small space of tags so that collisions (same tag, same precedence, same variant) are common,
# drawn from every scheme the engine reads: prereleases and variants, revisions, four parts,
# dates with dashes, differently spelled equal versions, and tags that are not versions.
_number = st.integers(min_value=0, max_value=4)
_suffix = st.sampled_from(
    [
        *("", "-rc.1", "-rc.2", "-rc10", "-RC9", "-beta", "-prerelease", "-alpine", "-slim"),
        *("-rc.1-alpine", "-rc1-alpine-r2", "+b1", "-devel", "-1", "-2", "-10", "-ls9"),
        *("-ls10", "-r0", "-r5", "-alpine-r1", "-debian-12-r3", "-debian-12-r4"),
    ]
)


@st.composite
def _version_tag(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "", "v", "V"]))
    parts = draw(st.lists(_number, min_size=1, max_size=4))
    written = [str(part).zfill(draw(st.sampled_from([1, 1, 2]))) for part in parts]
    return prefix + ".".join(written) + draw(_suffix)


@st.composite
def _date_tag(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "v"]))
    month, day = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return f"{prefix}2026-{month:02}-{day:02}" + draw(st.sampled_from(["", "-alpine", "-1"]))


_other_tag = st.one_of(
    st.sampled_from(["latest", "main", "stable", "sha-1a2b3c", "1.0.0-_a", "3.13.0rc2"]),
    st.builds("build-{}".format, st.integers(min_value=0, max_value=30)),
)
tags = st.one_of(_version_tag(), _version_tag(), _date_tag(), _other_tag)

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
        r"regex:(?P<version>.*)",
        r"regex:(?P<num>\d+)|(?P<version>[a-z]+)",
    ]
)


@st.composite
def policy_settings(draw: st.DrawFn) -> policy.PolicySettings:
    text = draw(_policies)
    patterns = ["*", "v*", "1.*", "build-*", "*[0-9]", "2026-*"]
    pattern = draw(st.sampled_from(patterns if text == "glob" else [None, None, *patterns]))
    return policy.PolicySettings(
        policy=text,
        pattern=pattern,
        prerelease=draw(st.booleans()),
        rejected=draw(st.frozensets(tags, max_size=2)),
        failed=draw(st.frozensets(tags, max_size=2)),
    )


def _newer(decision_policy: policy.Policy, candidate: str, current: str) -> bool:
    """Whether `candidate` is newer than `current` by the order the policy uses: versions by
    precedence, other tags naturally, a version and another tag never."""
    if decision_policy.kind is PolicyKind.REGEX:
        expression = decision_policy.expression()

        def key(tag: str) -> str:
            matched = expression.fullmatch(tag)
            if matched is None:
                return tag
            for group in policy.KEY_GROUPS:
                if group in expression.groupindex and matched[group] is not None:
                    return str(matched[group])
            return tag

        candidate, current = key(candidate), key(current)
    left, right = versions.parse(candidate), versions.parse(current)
    if left is not None and right is not None:
        return left.is_newer_than(right)
    if left is not None or right is not None:
        return False
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
@given(policy_settings(), tags, st.lists(tags, max_size=8))
def test_a_tag_never_qualifies_against_itself(
    settings_: policy.PolicySettings, current: str, others: list[str]
) -> None:
    decision = policy.evaluate(settings_, current, [current, *others])
    verdict = decision.verdict(current)
    assert verdict is not None
    assert not verdict.eligible
    assert decision.chosen != current


@_examples
@given(policy_settings(), st.lists(tags, min_size=2, max_size=6, unique=True))
def test_following_choices_never_goes_round_in_circles_except_under_force(
    settings_: policy.PolicySettings, pool: list[str]
) -> None:
    """Among any tags, "would be chosen over" has no cycle: whichever tag a workload runs,
    following the engine's choices can never bring it back to a tag it left."""
    if settings_.policy.kind is PolicyKind.FORCE:
        return
    steps = {
        current: {tag for tag in pool if policy.evaluate(settings_, current, [tag]).chosen == tag}
        for current in pool
    }
    for start in pool:
        reached: set[str] = set()
        frontier = steps[start]
        while frontier:
            reached |= frontier
            frontier = set().union(*(steps[tag] for tag in frontier)) - reached
        assert start not in reached


@_examples
@given(tags, tags)
def test_semver_policies_never_choose_a_downgrade_or_an_equal_version(
    current: str, candidate: str
) -> None:
    for text in ("patch", "minor", "major", "all", "range:*"):
        chosen = policy.evaluate(policy.PolicySettings(policy=text), current, [candidate]).chosen
        if chosen is not None:
            chosen_version, current_version = versions.parse(chosen), versions.parse(current)
            assert chosen_version is not None
            assert current_version is not None
            assert chosen_version.compare(current_version) > 0


@_examples
@given(st.sampled_from(["patch", "minor", "major", "all", "range:*"]), tags, tags)
def test_equal_versions_never_replace_each_other(text: str, current: str, candidate: str) -> None:
    current_version, candidate_version = versions.parse(current), versions.parse(candidate)
    if current_version is None or candidate_version is None:
        return
    if current_version.compare(candidate_version) == 0:
        settings_ = policy.PolicySettings(policy=text, prerelease=True)
        assert policy.evaluate(settings_, current, [candidate]).chosen is None
        assert policy.evaluate(settings_, candidate, [current]).chosen is None


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
