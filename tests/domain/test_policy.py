"""The policy engine, rule by rule: one table row per rule and edge."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from headwind import policy
from headwind.policy import Reason

R = Reason


def case(policy_text: str, current: str, candidate: str, reason: Reason, **settings: Any) -> Any:
    """One candidate judged alone: a row reads `policy: current -> candidate = reason`."""
    extra = "".join(f" {key}={value}" for key, value in sorted(settings.items()))
    name = f"{policy_text}: {current} -> {candidate} = {reason.value}{extra}"
    return pytest.param(policy_text, current, candidate, reason, settings, id=name)


ONE_CANDIDATE = [
    # patch: same major and minor, greater.
    case("patch", "1.2.3", "1.2.4", R.CHOSEN),
    case("patch", "1.2.3", "1.2.10", R.CHOSEN),
    case("patch", "1.2.3", "1.3.0", R.OTHER_MINOR),
    case("patch", "1.2.3", "2.0.0", R.OTHER_MAJOR),
    case("patch", "1.2.3", "2.2.4", R.OTHER_MAJOR),
    case("patch", "1.2.3", "1.2.2", R.NOT_NEWER),
    case("patch", "1.2.3", "1.1.9", R.NOT_NEWER),
    case("patch", "1.2.3", "1.2.3", R.SAME_AS_CURRENT),
    case("patch", "1.2.3", "1.2.3+build.1", R.NOT_NEWER),
    case("patch", "1.2.3", "01.2.3", R.NOT_NEWER),
    case("patch", "1.2.3", "1.2.4-rc.1", R.PRERELEASE),
    case("patch", "1.2.3", "1.2.4-rc.1", R.CHOSEN, prerelease=True),
    case("patch", "1.2.3", "1.2.4-alpine", R.VARIANT_MISMATCH),
    case("patch", "1.2.3", "v1.2.4", R.PREFIX_MISMATCH),
    case("patch", "1.2.3", "1.3", R.SHAPE_MISMATCH),
    case("patch", "1.2.3", "latest", R.NOT_A_VERSION),
    case("patch", "1.2.3", "1.2.3.4.5", R.NOT_A_VERSION),
    case("patch", "1.25", "1.26", R.OTHER_MINOR),
    case("patch", "1.2.3-alpine", "1.2.4-alpine", R.CHOSEN),
    case("patch", "1.2.3-alpine", "1.2.4", R.VARIANT_MISMATCH),
    case("patch", "1.2.3-alpine", "1.2.4-rc.1-alpine", R.PRERELEASE),
    case("patch", "1.2.3-alpine", "1.2.4-rc.1-alpine", R.CHOSEN, prerelease=True),
    case("patch", "1.2.3-alpine", "1.2.4-rc.1", R.VARIANT_MISMATCH, prerelease=True),
    case("patch", "latest", "1.2.4", R.CURRENT_NOT_A_VERSION),
    # minor: same major, greater.
    case("minor", "1.2.3", "1.2.4", R.CHOSEN),
    case("minor", "1.2.3", "1.3.0", R.CHOSEN),
    case("minor", "1.2.3", "1.10.0", R.CHOSEN),
    case("minor", "1.2.3", "2.0.0", R.OTHER_MAJOR),
    case("minor", "1.2.3", "0.9.0", R.NOT_NEWER),
    case("minor", "1.2.3", "1.3.1-rc.1", R.PRERELEASE),
    case("minor", "1.2.3", "2.0.0-rc.1", R.PRERELEASE),
    case("minor", "1.2.3", "2.0.0-rc.1", R.OTHER_MAJOR, prerelease=True),
    case("minor", "v1.2.3", "v1.3.0", R.CHOSEN),
    case("minor", "v1.2.3", "1.3.0", R.PREFIX_MISMATCH),
    case("minor", "v1.2.3", "V1.3.0", R.PREFIX_MISMATCH),
    case("minor", "1.2.3", "v1.3.0", R.PREFIX_MISMATCH),
    case("minor", "1.25", "1.26", R.CHOSEN),
    case("minor", "1.25", "1.26.3", R.SHAPE_MISMATCH),
    case("minor", "1.25", "2.0", R.OTHER_MAJOR),
    case("minor", "1.25.0", "1.26", R.SHAPE_MISMATCH),
    case("minor", "20", "21", R.OTHER_MAJOR),
    case("minor", "1.2.3", "latest", R.NOT_A_VERSION),
    case("minor", "1.2.3", "sha-1a2b3c", R.NOT_A_VERSION),
    case("minor", "main", "1.3.0", R.CURRENT_NOT_A_VERSION),
    case("minor", "1.2.3", "1.3.0-alpine", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-alpine", "1.3.0-slim", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-debian-12", "1.3.0-debian-12", R.CHOSEN),
    case("minor", "1.2.3-debian-12", "1.3.0-debian-13", R.VARIANT_MISMATCH),
    case("minor", "1.2.3", "1.3.0-devel", R.VARIANT_MISMATCH),
    case("minor", "1.2.3", "1.3.0-nextgen", R.VARIANT_MISMATCH),
    # The current tag is a prerelease: newer prereleases of the same version, and finals.
    case("minor", "1.3.0-rc.1", "1.3.0-rc.2", R.CHOSEN),
    case("minor", "1.3.0-rc.1", "1.3.0-rc.10", R.CHOSEN),
    case("minor", "1.3.0-rc2", "1.3.0-rc10", R.CHOSEN),
    case("minor", "1.3.0-rc10", "1.3.0-rc9", R.NOT_NEWER),
    case("minor", "1.3.0-rc.1", "1.3.0-rc1", R.NOT_NEWER),
    case("minor", "1.3.0-rc.1", "1.3.0", R.CHOSEN),
    case("minor", "1.3.0-rc.1", "1.4.0", R.CHOSEN),
    case("minor", "1.3.0-rc.1", "1.3.0-beta.1", R.NOT_NEWER),
    case("minor", "1.3.0-beta.1", "1.3.0-rc.1", R.CHOSEN),
    case("minor", "1.3.0-rc.1", "1.4.0-rc.1", R.PRERELEASE),
    case("minor", "1.3.0-rc.1", "1.4.0-rc.1", R.CHOSEN, prerelease=True),
    case("minor", "1.3.0-rc.1", "1.3.1-rc.1", R.PRERELEASE),
    case("minor", "1.3.0-rc.1", "1.3.0-rc.2-alpine", R.VARIANT_MISMATCH),
    case("minor", "1.3.0-rc.1-alpine", "1.3.0-rc.2-alpine", R.CHOSEN),
    case("minor", "1.3.0-rc.1-alpine", "1.3.0-alpine", R.CHOSEN),
    case("minor", "1.3-rc.1", "1.3", R.CHOSEN),
    # Every prerelease word, and what is not one.
    *(
        case("minor", "1.2.3", f"1.3.0-{word}", R.PRERELEASE)
        for word in (
            "alpha",
            "beta",
            "rc",
            "pre",
            "preview",
            "dev",
            "snapshot",
            "SNAPSHOT",
            "canary",
            "nightly",
            "next",
            "experimental",
            "beta.2",
            "rc1",
            "rc-1",
            "dev-20240101",
        )
    ),
    # Memory: rejected and failed tags never again; a newer one still qualifies.
    case("minor", "1.2.3", "1.3.0", R.REJECTED_EARLIER, rejected=["1.3.0"]),
    case("minor", "1.2.3", "1.3.1", R.CHOSEN, rejected=["1.3.0"]),
    case("minor", "1.2.3", "1.3.0", R.FAILED_EARLIER, failed=["1.3.0"]),
    case("minor", "1.2.3", "1.3.1", R.CHOSEN, failed=["1.3.0"]),
    case("minor", "1.2.3", "2.0.0", R.OTHER_MAJOR, rejected=["2.0.0"]),
    case("minor", "1.2.3", "1.3.0", R.REJECTED_EARLIER, rejected=["1.3.0"], failed=["1.3.0"]),
    # pattern: an extra filter (glob syntax, whole tag, case-sensitive).
    case("minor", "1.2.3", "1.3.0", R.CHOSEN, pattern="1.*"),
    case("minor", "1.2.3", "1.3.0", R.PATTERN_MISMATCH, pattern="1.2.*"),
    case("minor", "1.2.3", "1.3.0", R.CHOSEN, pattern="1.[34].?"),
    case("minor", "1.2.3", "1.3.0", R.PATTERN_MISMATCH, pattern="1.3"),
    case("minor", "v1.2.3", "v1.3.0", R.PATTERN_MISMATCH, pattern="V1.*"),
    case("minor", "1.2.3", "latest", R.PATTERN_MISMATCH, pattern="1.*"),
    case("minor", "1.2.3", "1.3.0", R.CHOSEN, pattern=""),
    # major: any greater version.
    case("major", "1.2.3", "2.0.0", R.CHOSEN),
    case("major", "1.2.3", "10.0.0", R.CHOSEN),
    case("major", "1.2.3", "1.2.4", R.CHOSEN),
    case("major", "1.2.3", "1.2.2", R.NOT_NEWER),
    case("major", "1.2.3", "2.0.0-alpine", R.VARIANT_MISMATCH),
    case("major", "1.2.3", "2.0.0-rc.1", R.PRERELEASE),
    case("major", "1.2.3", "2.0", R.SHAPE_MISMATCH),
    case("major", "1.2.3", "latest", R.NOT_A_VERSION),
    case("major", "latest", "2.0.0", R.CURRENT_NOT_A_VERSION),
    case("major", "2", "3", R.CHOSEN),
    case("major", "v2", "v3", R.CHOSEN),
    # all: variant and prerelease do not restrict; shape and prefix still do; no downgrade.
    case("all", "1.2.3", "1.2.4-alpine", R.CHOSEN),
    case("all", "1.2.3", "2.0.0-rc.1", R.CHOSEN),
    case("all", "1.2.3-alpine", "1.2.4", R.CHOSEN),
    case("all", "1.2.3", "1.2.3-alpine", R.NOT_NEWER),
    case("all", "1.2.3", "1.2.3-rc.1", R.NOT_NEWER),
    case("all", "1.2.3", "1.2.2", R.NOT_NEWER),
    case("all", "1.2.3", "1.3", R.SHAPE_MISMATCH),
    case("all", "1.2.3", "v1.3.0", R.PREFIX_MISMATCH),
    case("all", "1.2.3", "latest", R.NOT_A_VERSION),
    case("all", "latest", "1.2.3", R.CURRENT_NOT_A_VERSION),
    case("all", "1.2.3", "1.3.0", R.REJECTED_EARLIER, rejected=["1.3.0"]),
    # glob: the pattern is the policy; newer in version order when both are versions.
    case("glob", "v1.0.0", "v1.9.9", R.CHOSEN, pattern="v1.*"),
    case("glob", "v1.0.0", "v2.0.0", R.PATTERN_MISMATCH, pattern="v1.*"),
    case("glob", "v1.0.0", "v1.0.0", R.SAME_AS_CURRENT, pattern="v1.*"),
    case("glob", "v1.5.0", "v1.4.0", R.NOT_NEWER, pattern="v1.*"),
    case("glob", "v1.0.0", "v1.10.0", R.CHOSEN, pattern="v1.*"),
    case("glob", "v1.0.0", "v1.9.9-rc.1", R.PRERELEASE, pattern="v1.*"),
    case("glob", "v1.0.0", "v1.9.9-rc.1", R.CHOSEN, pattern="v1.*", prerelease=True),
    case("glob", "v1.0.0", "v1.9.9-alpine", R.VARIANT_MISMATCH, pattern="v1.*"),
    case("glob", "v1.0.0", "v1.9", R.SHAPE_MISMATCH, pattern="v1.*"),
    case("glob", "1.2.3", "1.2.4", R.CHOSEN, pattern="1.2.?"),
    case("glob", "1.2.3", "1.2.10", R.PATTERN_MISMATCH, pattern="1.2.?"),
    case("glob", "1.2.3", "1.3.0", R.CHOSEN, pattern="1.[23].*"),
    case("glob", "1.2.3", "1.4.0", R.PATTERN_MISMATCH, pattern="1.[23].*"),
    case("glob", "v1.0.0", "v1.1.0", R.PATTERN_MISMATCH, pattern="V1.*"),
    case("glob", "v1.0.0", "v1.9.9", R.REJECTED_EARLIER, pattern="v1.*", rejected=["v1.9.9"]),
    case("glob", "v1.0.0", "v1.9.9", R.FAILED_EARLIER, pattern="v1.*", failed=["v1.9.9"]),
    case("glob", "v1.0.0", "v1.9.9", R.MISSING_PATTERN),
    # glob on tags that are not versions: natural order.
    case("glob", "build-9", "build-10", R.CHOSEN, pattern="build-*"),
    case("glob", "build-9", "build-8", R.NOT_NEWER, pattern="build-*"),
    case("glob", "build-9", "build-009", R.NOT_NEWER, pattern="build-*"),
    case("glob", "build-9", "latest", R.PATTERN_MISMATCH, pattern="build-*"),
    case("glob", "main-2024-01-09", "main-2024-01-10", R.CHOSEN, pattern="main-*"),
    case("glob", "build-9", "1.0.0", R.NOT_NEWER, pattern="*"),
    case("glob", "1.0.0", "1.0.0.1", R.SHAPE_MISMATCH, pattern="1.0.*"),
    # range: the greatest matching version above the current one.
    case("range:>=1.20 <1.28", "1.21.0", "1.27.9", R.CHOSEN),
    case("range:>=1.20 <1.28", "1.21.0", "1.28.0", R.OUT_OF_RANGE),
    case("range:>=1.20 <1.28", "1.21.0", "1.20.5", R.NOT_NEWER),
    case("range:>=1.20 <1.28", "1.21.0", "1.28.0-rc.1", R.PRERELEASE),
    case("range:>=1.20 <1.28", "1.21.0", "1.28.0-rc.1", R.OUT_OF_RANGE, prerelease=True),
    case("range:>=1.20 <1.28", "1.21.0", "1.22", R.SHAPE_MISMATCH),
    case("range:>=1.20 <1.28", "1.21.0-alpine", "1.22.0-alpine", R.CHOSEN),
    case("range:>=1.20 <1.28", "1.21.0-alpine", "1.22.0", R.VARIANT_MISMATCH),
    case("range:>=1.20 <1.28", "1.30.0", "1.27.0", R.NOT_NEWER),
    case("range:>=1.20,<1.28", "1.21.0", "1.25.0", R.CHOSEN),
    case("range:~1.26", "1.26.0", "1.26.5", R.CHOSEN),
    case("range:~1.26", "1.26.0", "1.27.0", R.OUT_OF_RANGE),
    case("range:^2", "2.0.0", "2.9.0", R.CHOSEN),
    case("range:^2", "2.0.0", "3.0.0", R.OUT_OF_RANGE),
    case("range:>1.2.3,<=2", "1.2.3", "2.5.1", R.CHOSEN),
    case("range:>1.2.3,<=2", "1.2.3", "3.0.0", R.OUT_OF_RANGE),
    case("range:=1.2.5", "1.2.3", "1.2.5", R.CHOSEN),
    case("range:=1.2.5", "1.2.3", "1.2.4", R.OUT_OF_RANGE),
    case("range:!=1.2.5", "1.2.3", "1.2.5", R.OUT_OF_RANGE),
    case("range:1.2.x", "1.2.0", "1.2.9", R.CHOSEN),
    case("range:1.2.x", "1.2.0", "1.3.0", R.OUT_OF_RANGE),
    case("range:>=1.0", "latest", "1.2.0", R.CURRENT_NOT_A_VERSION),
    case("range:>=1.0", "1.0.0", "latest", R.NOT_A_VERSION),
    case("range:>=1.0", "1.0.0", "1.2.0", R.REJECTED_EARLIER, rejected=["1.2.0"]),
    case("range:>=1.0", "1.0.0", "1.2.0", R.PATTERN_MISMATCH, pattern="1.1.*"),
    # regex: full match; the `version`/`num` group orders; no other rule applies.
    case(r"regex:^build-(?P<num>\d+)$", "build-9", "build-10", R.CHOSEN),
    case(r"regex:^build-(?P<num>\d+)$", "build-9", "build-8", R.NOT_NEWER),
    case(r"regex:^build-(?P<num>\d+)$", "build-9", "build-009", R.NOT_NEWER),
    case(r"regex:^build-(?P<num>\d+)$", "build-9", "build-9", R.SAME_AS_CURRENT),
    case(r"regex:^build-(?P<num>\d+)$", "build-9", "latest", R.REGEX_MISMATCH),
    case(r"regex:build-(?P<num>\d+)", "build-9", "build-10-debug", R.REGEX_MISMATCH),
    case(r"regex:(?P<num>\d+)", "99", "100", R.CHOSEN),
    case(r"regex:(?P<num>\d+)-[a-f0-9]+", "99-abc", "100-012", R.CHOSEN),
    case(
        r"regex:(?P<version>\d+\.\d+\.\d+)-debian-12-r\d+",
        "1.25.3-debian-12-r0",
        "1.25.4-debian-12-r1",
        R.CHOSEN,
    ),
    case(
        r"regex:(?P<version>\d+\.\d+\.\d+)-debian-12-r\d+",
        "1.25.3-debian-12-r0",
        "1.25.3-debian-12-r1",
        R.NOT_NEWER,
    ),
    case(
        r"regex:(?P<version>\d+\.\d+\.\d+)-debian-12-r\d+",
        "1.25.3",
        "1.25.4-debian-12-r0",
        R.CHOSEN,
    ),
    case(r"regex:(?P<version>[a-z]+)-app", "alpha-app", "beta-app", R.CHOSEN),
    case(r"regex:(?P<version>\d+\.\d+\.\d+(-rc\.\d+)?)", "1.2.3", "1.3.0-rc.1", R.CHOSEN),
    case(r"regex:(?P<version>\d+\.\d+\.\d+(-rc\.\d+)?)", "1.2.3", "1.2.2", R.NOT_NEWER),
    case(r"regex:(?P<version>\d+\.\d+\.\d+)", "1.2.3", "1.3", R.REGEX_MISMATCH),
    case(r"regex:v?(?P<version>\d+\.\d+\.\d+)", "1.2.3", "v1.3.0", R.CHOSEN),
    case(r"regex:build-(?P<num>\d+)", "build-9", "build-20", R.PATTERN_MISMATCH, pattern="*-1*"),
    case(r"regex:build-(?P<num>\d+)", "build-9", "build-10", R.CHOSEN, pattern="*-1*"),
    case(r"regex:build-(?P<num>\d+)", "build-9", "build-10", R.FAILED_EARLIER, failed=["build-10"]),
    # force: follow pushes, even downgrades; never the same tag (its digest is the caller's).
    case("force", "latest", "latest", R.SAME_AS_CURRENT),
    case("force", "1.2.3", "1.2.3", R.SAME_AS_CURRENT),
    case("force", "1.2.3", "1.2.2", R.CHOSEN),
    case("force", "1.2.3", "main", R.CHOSEN),
    case("force", "1.2.3", "v9-alpine", R.CHOSEN),
    case("force", "latest", "v1.0.0", R.PATTERN_MISMATCH, pattern="latest"),
    case("force", "latest", "latest", R.SAME_AS_CURRENT, pattern="latest"),
    case("force", "latest", "latest", R.FAILED_EARLIER, failed=["latest"]),
    case("force", "1.2.3", "1.2.2", R.REJECTED_EARLIER, rejected=["1.2.2"]),
    # none: never.
    case("none", "1.2.3", "1.2.4", R.POLICY_NONE),
    case("none", "1.2.3", "1.2.3", R.POLICY_NONE),
    case("none", "latest", "latest", R.POLICY_NONE),
    case("none", "1.2.3", "2.0.0", R.POLICY_NONE, pattern="*"),
]


@pytest.mark.parametrize(
    ("policy_text", "current", "candidate", "reason", "settings"), ONE_CANDIDATE
)
def test_one_candidate(
    policy_text: str, current: str, candidate: str, reason: Reason, settings: dict[str, Any]
) -> None:
    decision = policy.evaluate(
        policy.PolicySettings(policy=policy_text, **settings), current, [candidate]
    )
    verdict = decision.verdict(candidate)
    assert verdict is not None
    assert (verdict.reason, verdict.eligible) == (reason, reason is R.CHOSEN), verdict.message
    assert decision.chosen == (candidate if reason is R.CHOSEN else None)
    assert verdict.message


def choice(
    policy_text: str, current: str, candidates: list[str], chosen: str | None, **settings: Any
) -> Any:
    extra = "".join(f" {key}={value}" for key, value in sorted(settings.items()))
    name = f"{policy_text}: {current} -> {' '.join(candidates)} = {chosen}{extra}"
    return pytest.param(policy_text, current, candidates, chosen, settings, id=name)


CHOICES = [
    choice("minor", "1.2.3", ["1.2.4", "1.3.0", "2.0.0", "1.3.1-rc.1"], "1.3.0"),
    choice("glob", "v1.0.0", ["v1.9.9", "v2.0.0"], "v1.9.9", pattern="v1.*"),
    choice("patch", "1.2.3", ["1.2.9", "1.2.10", "1.3.0"], "1.2.10"),
    choice("major", "1.2.3", ["3.0.0", "2.9.9", "10.0.0", "latest"], "10.0.0"),
    choice("minor", "1.0.0-rc.1", ["1.0.0-rc.2", "1.0.0-rc.10", "1.0.0-rc.9"], "1.0.0-rc.10"),
    choice("minor", "1.0.0-rc.1", ["1.0.0-rc.2", "1.0.0"], "1.0.0"),
    choice("minor", "1.2.3", ["1.3.0-rc.1", "1.2.9"], "1.3.0-rc.1", prerelease=True),
    choice("all", "1.2.3", ["1.4.0-alpine", "1.3.0", "2.0.0-rc.1"], "2.0.0-rc.1"),
    choice("range:<1.28", "1.25.0", ["1.26.1", "1.27.4", "1.28.0", "1.29.0"], "1.27.4"),
    choice(
        r"regex:^build-(?P<num>\d+)$", "build-9", ["build-10", "build-100", "build-11"], "build-100"
    ),
    choice(
        "glob", "build-9", ["build-10", "build-100", "build-11"], "build-100", pattern="build-*"
    ),
    choice("force", "1.0.0", ["1.0.0", "0.5.0", "2.0.0"], "2.0.0"),
    choice("force", "latest", ["latest", "main"], "main"),
    choice("force", "latest", ["latest"], None),
    choice("major", "1.0.0", ["1.2.4", "1.2.4+b1"], "1.2.4+b1"),
    choice("minor", "1.2.3", ["1.3.0", "1.3.0", "1.3.0"], "1.3.0"),
    choice("minor", "1.2.3", ["1.3.0", "1.4.0"], "1.3.0", rejected=["1.4.0"]),
    choice("minor", "1.2.3", ["1.3.0", "1.4.0"], "1.3.0", failed=["1.4.0"]),
    choice("minor", "1.2.3", ["1.2.3", "1.2.2", "2.0.0"], None),
    choice("minor", "1.2.3", [], None),
    choice("none", "1.2.3", ["1.2.4"], None),
]


@pytest.mark.parametrize(("policy_text", "current", "candidates", "chosen", "settings"), CHOICES)
def test_choice(
    policy_text: str,
    current: str,
    candidates: list[str],
    chosen: str | None,
    settings: dict[str, Any],
) -> None:
    decision = policy.evaluate(
        policy.PolicySettings(policy=policy_text, **settings), current, candidates
    )
    assert decision.chosen == chosen
    for verdict in decision.candidates:
        if verdict.tag == chosen:
            assert verdict.reason is R.CHOSEN
        elif verdict.eligible:
            assert verdict.reason is R.NOT_GREATEST
            assert chosen is not None
            assert chosen in verdict.message


def test_the_spec_example_says_why_each_other_candidate_was_not_chosen() -> None:
    decision = policy.evaluate(
        policy.PolicySettings(policy="minor"), "1.2.3", ["1.2.4", "1.3.0", "2.0.0", "1.3.1-rc.1"]
    )
    assert [(v.tag, v.eligible, v.reason) for v in decision.candidates] == [
        ("1.2.4", True, R.NOT_GREATEST),
        ("1.3.0", True, R.CHOSEN),
        ("1.3.1-rc.1", False, R.PRERELEASE),
        ("2.0.0", False, R.OTHER_MAJOR),
    ]
    assert decision.reason is R.CHOSEN
    assert decision.message == "update 1.2.3 to 1.3.0 under policy minor"


DECISION_REASONS = [
    pytest.param("minor", "1.2.3", ["1.3.0"], R.CHOSEN, {}, id="chosen"),
    pytest.param("none", "1.2.3", ["1.3.0"], R.POLICY_NONE, {}, id="policy-none"),
    pytest.param("none", "1.2.3", [], R.POLICY_NONE, {}, id="policy-none-without-candidates"),
    pytest.param("minor", "1.2.3", [], R.NO_CANDIDATES, {}, id="no-candidates"),
    pytest.param("minor", "latest", ["1.3.0"], R.CURRENT_NOT_A_VERSION, {}, id="current-latest"),
    pytest.param("range:^1", "main", ["1.3.0"], R.CURRENT_NOT_A_VERSION, {}, id="range-on-main"),
    pytest.param("glob", "1.2.3", ["1.3.0"], R.MISSING_PATTERN, {}, id="glob-without-pattern"),
    pytest.param("minor", "1.2.3", ["1.2.2", "2.0.0"], R.NOTHING_ELIGIBLE, {}, id="nothing"),
    pytest.param(
        "force", "1.2.3", ["x"], R.NOTHING_ELIGIBLE, {"pattern": "v*"}, id="force-filtered"
    ),
]


@pytest.mark.parametrize(
    ("policy_text", "current", "candidates", "reason", "settings"), DECISION_REASONS
)
def test_decision_reason(
    policy_text: str,
    current: str,
    candidates: list[str],
    reason: Reason,
    settings: dict[str, Any],
) -> None:
    decision = policy.evaluate(
        policy.PolicySettings(policy=policy_text, **settings), current, candidates
    )
    assert decision.reason is reason
    assert (decision.chosen is not None) == (reason is R.CHOSEN)
    assert decision.message


def test_nothing_eligible_summarises_the_reasons() -> None:
    decision = policy.evaluate(
        policy.PolicySettings(policy="minor"), "1.2.3", ["1.2.2", "1.0.0", "2.0.0"]
    )
    assert decision.message == (
        "no update: no candidate qualifies under policy minor (not-newer: 2, other-major: 1)"
    )


def test_force_on_the_current_tag_says_the_digest_decides() -> None:
    decision = policy.evaluate(policy.PolicySettings(policy="force"), "latest", ["latest"])
    assert decision.chosen is None
    verdict = decision.verdict("latest")
    assert verdict is not None
    assert verdict.reason is R.SAME_AS_CURRENT
    assert "digest" in verdict.message


def test_verdicts_come_in_tag_order_whatever_the_input_order() -> None:
    candidates = ["latest", "1.10.0", "1.9.0", "build-10", "1.9.0", "build-9"]
    decision = policy.evaluate(policy.PolicySettings(policy="minor"), "1.0.0", candidates)
    assert [v.tag for v in decision.candidates] == [
        "1.9.0",
        "1.10.0",
        "build-9",
        "build-10",
        "latest",
    ]
    assert decision.eligible == ("1.9.0", "1.10.0")
    assert decision.verdict("nope") is None


def test_decision_serialises_for_workflows_and_the_api() -> None:
    decision = policy.evaluate(policy.PolicySettings(policy="range:^1"), "1.0.0", ["1.1.0"])
    assert policy.Decision.model_validate_json(decision.model_dump_json()) == decision


# text, kind, argument
VALID_POLICIES = [
    ("none", policy.PolicyKind.NONE, None),
    ("patch", policy.PolicyKind.PATCH, None),
    ("minor", policy.PolicyKind.MINOR, None),
    ("major", policy.PolicyKind.MAJOR, None),
    ("all", policy.PolicyKind.ALL, None),
    ("glob", policy.PolicyKind.GLOB, None),
    ("force", policy.PolicyKind.FORCE, None),
    ("Minor", policy.PolicyKind.MINOR, None),
    (" minor\n", policy.PolicyKind.MINOR, None),
    ("range:>=1.20 <1.28", policy.PolicyKind.RANGE, ">=1.20 <1.28"),
    ("RANGE:^2", policy.PolicyKind.RANGE, "^2"),
    ("range:~1.26", policy.PolicyKind.RANGE, "~1.26"),
    (r"regex:^build-(?P<num>\d+)$", policy.PolicyKind.REGEX, r"^build-(?P<num>\d+)$"),
    ("regex:a:(?P<num>b)", policy.PolicyKind.REGEX, "a:(?P<num>b)"),
]


@pytest.mark.parametrize(
    ("text", "kind", "argument"), VALID_POLICIES, ids=[repr(t) for t, _, _ in VALID_POLICIES]
)
def test_parse_policy(text: str, kind: policy.PolicyKind, argument: str | None) -> None:
    parsed = policy.parse_policy(text)
    assert (parsed.kind, parsed.argument) == (kind, argument)
    assert policy.parse_policy(str(parsed)) == parsed


INVALID_POLICIES = [
    ("minr", "unknown policy 'minr'; valid policies: none, patch, minor, major, all, glob"),
    ("", "unknown policy an empty value"),
    ("semver", "range:<constraint>, regex:<expression>"),
    ("range", "policy 'range' needs an argument: range:<constraint>"),
    ("range:", "policy 'range' needs an argument"),
    ("range:>=abc", "invalid range in policy 'range:>=abc': invalid comparator '>=abc'"),
    ("range:1.x.3", "number after a wildcard"),
    ("regex", "policy 'regex' needs an argument: regex:<expression>"),
    ("regex:(unclosed", "invalid regular expression in policy 'regex:(unclosed'"),
    ("minor:1", "policy 'minor' takes no argument"),
    ("glob:v1.*", "its pattern comes from headwind.sh/pattern"),
]


@pytest.mark.parametrize(
    ("text", "message"), INVALID_POLICIES, ids=[repr(t) for t, _ in INVALID_POLICIES]
)
def test_parse_policy_explains_bad_values(text: str, message: str) -> None:
    with pytest.raises(policy.PolicyError) as raised:
        policy.parse_policy(text)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_policy_model_cannot_be_built_invalid() -> None:
    with pytest.raises(pydantic.ValidationError, match="invalid range"):
        policy.Policy(kind=policy.PolicyKind.RANGE, argument=">=abc")
    with pytest.raises(pydantic.ValidationError, match="takes no argument"):
        policy.Policy(kind=policy.PolicyKind.MINOR, argument="1")


def test_settings_accept_policy_text_and_treat_an_empty_pattern_as_unset() -> None:
    settings = policy.PolicySettings(policy="range:^2", pattern="", rejected=["1.0.0"])
    assert settings.policy == policy.Policy(kind=policy.PolicyKind.RANGE, argument="^2")
    assert settings.pattern is None
    assert settings.rejected == frozenset({"1.0.0"})
    assert policy.PolicySettings().policy.kind is policy.PolicyKind.NONE


def test_settings_refuse_bad_policy_text() -> None:
    with pytest.raises(pydantic.ValidationError, match="unknown policy"):
        policy.PolicySettings(policy="sometimes")


def test_check_settings_wants_a_pattern_for_glob() -> None:
    with pytest.raises(policy.PolicyError, match="needs a pattern"):
        policy.check_settings(policy.PolicySettings(policy="glob"))
    policy.check_settings(policy.PolicySettings(policy="glob", pattern="v1.*"))
    policy.check_settings(policy.PolicySettings(policy="minor"))


def test_a_single_string_is_not_taken_for_a_list_of_candidates() -> None:
    with pytest.raises(TypeError, match="not one string"):
        policy.evaluate(policy.PolicySettings(policy="minor"), "1.2.3", "1.2.4")
