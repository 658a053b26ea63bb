"""The tag schemes registries really publish, rule by rule, as docs/policy.md lists them.

Revisions (`3.9.1-1`, `-ls30`, `-debian-12-r5`), prerelease words and combined suffixes,
natural counters, calendar and four-part versions, no loops, and the decisions docs/policy.md
settles: every rule has its rows here, each read `policy: current -> candidate = reason`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from headwind import ordering, policy, ranges, versions
from headwind.models import SlotRequest
from headwind.policy import Reason

R = Reason


def case(policy_text: str, current: str, candidate: str, reason: Reason, **settings: Any) -> Any:
    """One candidate judged alone: a row reads `policy: current -> candidate = reason`."""
    extra = "".join(f" {key}={value}" for key, value in sorted(settings.items()))
    name = f"{policy_text}: {current} -> {candidate} = {reason.value}{extra}"
    return pytest.param(policy_text, current, candidate, reason, settings, id=name)


def _judge(
    policy_text: str, current: str, candidate: str, settings: dict[str, Any]
) -> policy.Verdict:
    decision = policy.evaluate(
        policy.PolicySettings(policy=policy_text, **settings), current, [candidate]
    )
    verdict = decision.verdict(candidate)
    assert verdict is not None
    assert decision.chosen == (candidate if verdict.eligible else None)
    return verdict


# tag -> prefix, parts, prerelease, variant, revision, dashed date
READ_AS = [
    # Revisions: a build counter ends the suffix.
    ("3.9.1-1", "", (3, 9, 1), None, None, "1", False),
    ("3.9.1-12", "", (3, 9, 1), None, None, "12", False),
    ("1.2.3-ls30", "", (1, 2, 3), None, None, "ls30", False),
    ("1.25.3-debian-12-r5", "", (1, 25, 3), None, "debian-12", "r5", False),
    ("3.18.4-r0", "", (3, 18, 4), None, None, "r0", False),
    ("1.2.3-alpine-ls7", "", (1, 2, 3), None, "alpine", "ls7", False),
    ("1.2.3-rc1-ls5", "", (1, 2, 3), "rc1", None, "ls5", False),
    ("7.0.0-rc1-alpine-r2", "", (7, 0, 0), "rc1", "alpine", "r2", False),
    ("v2.1-r3", "v", (2, 1), None, None, "r3", False),
    # ...and what is not one.
    ("1.25.3-debian-12", "", (1, 25, 3), None, "debian-12", None, False),
    ("1.2.3-alpine-1", "", (1, 2, 3), None, "alpine-1", None, False),
    ("1.2.3-R5", "", (1, 2, 3), None, "R5", None, False),
    ("1.2.3-LS5", "", (1, 2, 3), None, "LS5", None, False),
    ("1.2.3-ls", "", (1, 2, 3), None, "ls", None, False),
    ("1.2.3-r2d2", "", (1, 2, 3), None, "r2d2", None, False),
    ("1.2.3-rc-1", "", (1, 2, 3), "rc-1", None, None, False),
    # Prerelease words: whole words, any case, followed only by a counter.
    ("1.2.3-rc1", "", (1, 2, 3), "rc1", None, None, False),
    ("1.2.3-RC.2", "", (1, 2, 3), "RC.2", None, None, False),
    ("1.2.3-beta", "", (1, 2, 3), "beta", None, None, False),
    ("1.2.3-Beta3", "", (1, 2, 3), "Beta3", None, None, False),
    ("1.0-SNAPSHOT", "", (1, 0), "SNAPSHOT", None, None, False),
    ("1.2.3-preview2", "", (1, 2, 3), "preview2", None, None, False),
    ("1.2.3-prerelease", "", (1, 2, 3), "prerelease", None, None, False),
    ("1.2.3-Canary.4", "", (1, 2, 3), "Canary.4", None, None, False),
    ("12.2.0-devel", "", (12, 2, 0), None, "devel", None, False),
    ("29.0.0-nextcloud", "", (29, 0, 0), None, "nextcloud", None, False),
    ("1.2.3-betamax", "", (1, 2, 3), None, "betamax", None, False),
    ("1.2.3-rcx", "", (1, 2, 3), None, "rcx", None, False),
    # A prerelease and a variant.
    ("7.0.0-rc1-alpine", "", (7, 0, 0), "rc1", "alpine", None, False),
    ("7.0.0-RC1-alpine", "", (7, 0, 0), "RC1", "alpine", None, False),
    ("7.0.0-beta.2-slim-bookworm", "", (7, 0, 0), "beta.2", "slim-bookworm", None, False),
    # Calendar and four-part versions.
    ("21.0.2.13", "", (21, 0, 2, 13), None, None, None, False),
    ("v1.2.3.4-alpine", "v", (1, 2, 3, 4), None, "alpine", None, False),
    ("2024.01.05", "", (2024, 1, 5), None, None, None, False),
    ("2026-01-30", "", (2026, 1, 30), None, None, None, True),
    ("v2026-01-30", "v", (2026, 1, 30), None, None, None, True),
    ("2026-01-30-alpine", "", (2026, 1, 30), None, "alpine", None, True),
    ("2026-01-30-1", "", (2026, 1, 30), None, None, "1", True),
    ("2026-1-30", "", (2026,), None, "1-30", None, False),
]


@pytest.mark.parametrize(
    ("tag", "prefix", "parts", "prerelease", "variant", "revision", "dashed"),
    READ_AS,
    ids=[f"{row[0]} reads as {row[2:6]}" for row in READ_AS],
)
def test_a_tag_reads_as(
    tag: str,
    prefix: str,
    parts: tuple[int, ...],
    prerelease: str | None,
    variant: str | None,
    revision: str | None,
    dashed: bool,
) -> None:
    version = versions.parse(tag)
    assert version is not None
    assert (version.prefix, version.parts, version.prerelease, version.variant) == (
        prefix,
        parts,
        prerelease,
        variant,
    )
    assert (version.revision, version.dashed_date) == (revision, dashed)
    # A revision never makes a prerelease.
    assert version.is_prerelease == (prerelease is not None)


@pytest.mark.parametrize("tag", ["1.2.3.4.5", "21.0.2.13.1", "v2026_01_30", "1.0.0-_a"])
def test_not_a_version(tag: str) -> None:
    assert versions.parse(tag) is None


# Each list is strictly ascending in precedence.
ASCENDING = {
    "bare-revisions": ["3.9.1", "3.9.1-1", "3.9.1-2", "3.9.1-10", "3.9.2-1"],
    "linuxserver-revisions": ["1.2.3-ls9", "1.2.3-ls10", "1.2.3-ls100", "1.2.4-ls1"],
    "bitnami-revisions": ["1.25.3-debian-12-r5", "1.25.3-debian-12-r6", "1.25.4-debian-12-r0"],
    "prerelease-then-final-then-revision": ["1.2.3-rc9-r3", "1.2.3-rc10-r1", "1.2.3-r0"],
    "natural-counters": ["1.0.0-beta2", "1.0.0-beta10", "1.0.0-rc9", "1.0.0-rc10", "1.0.0-rc.11"],
    "four-parts": ["21.0.2", "21.0.2.1", "21.0.2.9", "21.0.2.13", "21.0.3", "21.1"],
    "calendar": ["2025-12-31", "2026.01.05", "2026-01-30", "2026.1.31", "2026-02-01"],
}


@pytest.mark.parametrize("tags", ASCENDING.values(), ids=ASCENDING.keys())
def test_precedence(tags: list[str]) -> None:
    parsed = [versions.parse(tag) for tag in tags]
    for lower, higher in itertools.pairwise(parsed):
        assert lower is not None
        assert higher is not None
        assert higher.is_newer_than(lower), (higher.text, lower.text)
        assert not lower.is_newer_than(higher)


EQUAL = [
    ("2024.01.05", "2024.1.5"),
    ("2026-01-30", "2026.1.30"),
    ("21.0.2", "21.0.2.0"),
    ("1.0.0-rc.1", "1.0.0-RC01"),
    ("1.2.3-ls5", "1.2.3-r5"),
    ("1.2.3-alpine-r1", "1.2.3-slim-r1"),
    ("3.9.1-1", "3.9.1-1+b2"),
]


@pytest.mark.parametrize(("left", "right"), EQUAL, ids=[f"{a} == {b}" for a, b in EQUAL])
def test_equal_precedence(left: str, right: str) -> None:
    left_version, right_version = versions.parse(left), versions.parse(right)
    assert left_version is not None
    assert right_version is not None
    assert left_version.compare(right_version) == 0


ONE_CANDIDATE = [
    # 1. Revisions: a higher revision of the same version and variant is newer.
    case("patch", "3.9.1-1", "3.9.1-2", R.CHOSEN),
    case("patch", "3.9.1-2", "3.9.1-1", R.NOT_NEWER),
    case("patch", "3.9.1-1", "3.9.2-1", R.CHOSEN),
    case("patch", "3.9.1-1", "3.9.2", R.VARIANT_MISMATCH),
    case("patch", "3.9.1", "3.9.1-1", R.VARIANT_MISMATCH),
    case("patch", "3.9.1-1", "3.9.1-1+b2", R.NOT_NEWER),
    case("minor", "1.2.3-ls30", "1.2.3-ls31", R.CHOSEN),
    case("minor", "1.2.3-ls30", "1.3.0-ls1", R.CHOSEN),
    case("minor", "1.2.3-ls30", "1.2.3-ls29", R.NOT_NEWER),
    case("minor", "1.2.3-ls30", "1.2.3-r31", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-ls30", "1.2.3-31", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-ls30", "1.2.4", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-ls30", "2.0.0-ls1", R.OTHER_MAJOR),
    case("patch", "1.25.3-debian-12-r5", "1.25.3-debian-12-r6", R.CHOSEN),
    case("patch", "1.25.3-debian-12-r5", "1.25.4-debian-12-r0", R.CHOSEN),
    case("patch", "1.25.3-debian-12-r5", "1.25.3-debian-12-r4", R.NOT_NEWER),
    case("patch", "1.25.3-debian-12-r5", "1.25.3-debian-13-r6", R.VARIANT_MISMATCH),
    case("patch", "1.25.3-debian-12-r5", "1.25.4-debian-12", R.VARIANT_MISMATCH),
    case("patch", "1.25.3-debian-12-r5", "1.25.4-r0", R.VARIANT_MISMATCH),
    case("patch", "1.25.3-debian-12-r5", "1.26.0-debian-12-r0", R.OTHER_MINOR),
    case("minor", "3.18.4-r0", "3.18.4-r1", R.CHOSEN),
    case("minor", "3.18.4-r0", "3.19.0-r0", R.CHOSEN),
    case("major", "1.2.3-1", "2.0.0-1", R.CHOSEN),
    case("minor", "1.2.3-alpine-ls7", "1.2.3-alpine-ls8", R.CHOSEN),
    case("minor", "1.2.3-alpine-ls7", "1.2.3-ls8", R.VARIANT_MISMATCH),
    case("minor", "1.2.3-rc1-ls5", "1.2.3-rc1-ls6", R.CHOSEN),
    case("minor", "1.2.3-rc1-ls5", "1.2.3-ls1", R.CHOSEN),
    case("minor", "1.2.3-ls5", "1.2.4-rc1-ls1", R.PRERELEASE),
    case("all", "1.2.3-ls30", "1.2.3-ls31", R.CHOSEN),
    case("all", "1.2.3-ls30", "1.2.3-r31", R.CHOSEN),
    case("all", "1.2.3-ls30", "1.2.3-r30", R.NOT_NEWER),
    case("range:~1.25", "1.25.3-debian-12-r5", "1.25.3-debian-12-r6", R.CHOSEN),
    case("range:<=1.25.3", "1.25.3-debian-12-r5", "1.25.3-debian-12-r6", R.CHOSEN),
    case("range:<=1.25.3", "1.25.3-debian-12-r5", "1.25.4-debian-12-r0", R.OUT_OF_RANGE),
    case("glob", "1.2.3-ls30", "1.2.3-ls31", R.CHOSEN, pattern="1.2.3-ls*"),
    case("glob", "1.2.3-ls30", "1.2.3-ls29", R.NOT_NEWER, pattern="1.2.3-ls*"),
    # 2. Prerelease words: whole words, any case, then only a counter; with a variant after.
    case("minor", "1.2.3", "1.3.0-rc1", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-RC.2", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-Beta", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-SNAPSHOT", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-preview2", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-prerelease", R.PRERELEASE),
    case("minor", "1.2.3", "1.3.0-prerelease", R.CHOSEN, prerelease=True),
    case("minor", "1.2.3", "1.3.0-devel", R.VARIANT_MISMATCH),
    case("minor", "1.2.3", "1.3.0-nextcloud", R.VARIANT_MISMATCH),
    case("minor", "12.2.0-devel", "12.3.0-devel", R.CHOSEN),
    case("minor", "29.0.0-nextcloud", "29.1.0-nextcloud", R.CHOSEN),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-alpine", R.CHOSEN),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-rc2-alpine", R.CHOSEN),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-RC2-alpine", R.CHOSEN),
    case("minor", "7.0.0-rc1-alpine", "7.0.0", R.VARIANT_MISMATCH),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-bookworm", R.VARIANT_MISMATCH),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-rc2", R.VARIANT_MISMATCH),
    case("minor", "7.0.0-rc1-alpine", "7.0.1-rc1-alpine", R.PRERELEASE),
    case("minor", "7.0.0-rc1-alpine", "7.0.0-beta1-alpine", R.NOT_NEWER),
    case("minor", "7.0.0-alpine", "7.1.0-rc1-alpine", R.PRERELEASE),
    case("minor", "7.0.0-alpine", "7.1.0-rc1-alpine", R.CHOSEN, prerelease=True),
    case("minor", "1.0-SNAPSHOT", "1.0", R.CHOSEN),
    # 3. Counters order naturally, dotted or not.
    case("minor", "1.0.0-rc9", "1.0.0-rc10", R.CHOSEN),
    case("minor", "1.0.0-rc.9", "1.0.0-rc.10", R.CHOSEN),
    case("minor", "1.0.0-rc9", "1.0.0-rc.10", R.CHOSEN),
    case("minor", "1.0.0-rc10", "1.0.0-rc9", R.NOT_NEWER),
    case("minor", "1.0.0-beta2", "1.0.0-beta10", R.CHOSEN),
    case("minor", "1.0.0-beta10", "1.0.0-beta2", R.NOT_NEWER),
    case("minor", "1.0.0-preview9", "1.0.0-preview10", R.CHOSEN),
    case("minor", "1.0.0-rc.1", "1.0.0-rc01", R.NOT_NEWER),
    case("minor", "1.2.3-ls9", "1.2.3-ls10", R.CHOSEN),
    case("minor", "1.2.3-r99", "1.2.3-r100", R.CHOSEN),
    case("minor", "1.2.3-9", "1.2.3-10", R.CHOSEN),
    case("minor", "1.2.3-10", "1.2.3-9", R.NOT_NEWER),
    # 4. Calendar and four-part versions.
    case("patch", "21.0.2.13", "21.0.2.14", R.CHOSEN),
    case("patch", "21.0.2.13", "21.0.3.1", R.CHOSEN),
    case("patch", "21.0.2.13", "21.1.0.1", R.OTHER_MINOR),
    case("patch", "21.0.2.13", "21.0.2.9", R.NOT_NEWER),
    case("minor", "21.0.2.13", "21.0.2", R.SHAPE_MISMATCH),
    case("minor", "21.0.2", "21.0.2.1", R.SHAPE_MISMATCH),
    case("major", "21.0.2.13", "22.0.0.1", R.CHOSEN),
    case("major", "21.0.2.13", "1.2.3.4.5", R.NOT_A_VERSION),
    case("minor", "v1.2.3.4", "v1.2.3.5", R.CHOSEN),
    case("minor", "2024.01.05", "2024.1.5", R.NOT_NEWER),
    case("minor", "2024.1.5", "2024.01.05", R.NOT_NEWER),
    case("minor", "2024.01.05", "2024.01.06", R.CHOSEN),
    case("minor", "2024.01.05", "2024.02.01", R.CHOSEN),
    case("minor", "2024.12.31", "2025.01.01", R.OTHER_MAJOR),
    case("minor", "2026-01-30", "2026-02-15", R.CHOSEN),
    case("patch", "2026-01-30", "2026-01-31", R.CHOSEN),
    case("patch", "2026-01-30", "2026-02-01", R.OTHER_MINOR),
    case("minor", "2026-01-30", "2026-01-29", R.NOT_NEWER),
    case("major", "2026-01-30", "2027-01-01", R.CHOSEN),
    case("minor", "2026-01-30", "2026.02.15", R.SHAPE_MISMATCH),
    case("minor", "2026.01.30", "2026-02-15", R.SHAPE_MISMATCH),
    case("minor", "v2026-01-30", "v2026-02-15", R.CHOSEN),
    case("minor", "v2026-01-30", "2026-02-15", R.PREFIX_MISMATCH),
    case("minor", "2026-01-30", "2026-01-31-alpine", R.VARIANT_MISMATCH),
    case("minor", "2026-01-30-alpine", "2026-02-01-alpine", R.CHOSEN),
    case("minor", "2026-01-30-1", "2026-01-30-2", R.CHOSEN),
    case("glob", "2026-01-30", "2026-02-15", R.CHOSEN, pattern="2026-*"),
    case("range:>=2026.2", "2026-01-30", "2026-02-15", R.CHOSEN),
    case("range:>=21.0.2.14", "21.0.2.13", "21.0.2.14", R.CHOSEN),
    case("range:>=21.0.2.15", "21.0.2.13", "21.0.2.14", R.OUT_OF_RANGE),
    # 5. No loops: newer by the policy's own order, and never the current tag itself.
    case("force", "latest", "latest", R.SAME_AS_CURRENT),
    case("force", "1.2.3", "1.2.3", R.SAME_AS_CURRENT),
    case("force", "latest", "latest", R.SAME_AS_CURRENT, pattern="latest"),
    case("force", "latest", "latest", R.REJECTED_EARLIER, rejected=["latest"]),
    case("force", "1.2.3", "1.2.2", R.CHOSEN),
    case("all", "1.2.3", "1.2.3-alpine", R.NOT_NEWER),
    case("minor", "1.2.3", "v1.2.3", R.PREFIX_MISMATCH),
    case("glob", "1.0.0", "latest", R.NOT_NEWER, pattern="*"),
    case("glob", "latest", "1.0.0", R.NOT_NEWER, pattern="*"),
    case("glob", "1.0.0", "1.0.0-_a", R.NOT_NEWER, pattern="*"),
    case("glob", "1.0.0-_a", "1.0.0-rc.1", R.NOT_NEWER, pattern="*"),
    case("glob", "build-07", "build-7", R.NOT_NEWER, pattern="build-*"),
    case(r"regex:(?P<version>\d+\.\d+\.\d+)(-.*)?", "1.2.3-b", "1.2.3-a", R.NOT_NEWER),
    case(r"regex:(?P<version>\d+\.\d+\.\d+)(-.*)?", "1.2.3-a", "1.2.4-a", R.CHOSEN),
    case("regex:(?P<version>.+)", "1.0.0", "1.0.0-_a", R.NOT_NEWER),
    case("regex:(?P<version>.+)", "1.0.0-_a", "1.0.0-rc.1", R.NOT_NEWER),
    case("regex:(?P<version>.+)", "1.0.0-rc.1", "1.0.0", R.CHOSEN),
    case(r"regex:(?P<num>\d+)|(?P<version>[a-z]+)", "9", "10", R.CHOSEN),
    case(r"regex:(?P<num>\d+)|(?P<version>[a-z]+)", "9", "abc", R.NOT_NEWER),
    # 6. Settled where the contract is silent, one row each.
    # Shape under `all`, `range:` and `glob`.
    case("all", "1.25", "1.26.0", R.SHAPE_MISMATCH),
    case("range:>=1.20", "1.25", "1.26.3", R.SHAPE_MISMATCH),
    case("glob", "1.25", "1.26.3", R.SHAPE_MISMATCH, pattern="1.*"),
    # Prerelease and variant rules under `glob` and `range:`.
    case("glob", "1.0.0", "1.1.0-rc.1", R.PRERELEASE, pattern="1.*"),
    case("glob", "1.0.0", "1.1.0-alpine", R.VARIANT_MISMATCH, pattern="1.*"),
    case("range:^1", "1.0.0", "1.1.0-rc.1", R.PRERELEASE),
    case("range:^1", "1.0.0", "1.1.0-alpine", R.VARIANT_MISMATCH),
    case("range:^1", "1.1.0-rc.1", "1.1.0-rc.2", R.CHOSEN),
    # `v` and `V` are different prefix styles.
    case("minor", "V1.2.3", "v1.3.0", R.PREFIX_MISMATCH),
    case("minor", "V1.2.3", "V1.3.0", R.CHOSEN),
    # A current tag that does not match the `regex:` is its own key.
    case(r"regex:^build-(?P<num>\d+)$", "latest", "build-10", R.NOT_NEWER),
    case(r"regex:(?P<version>\d+\.\d+\.\d+)", "1.2.3-custom", "1.3.0", R.CHOSEN),
    case(r"regex:(?P<version>\d+\.\d+\.\d+)", "1.2.3-custom", "1.2.0", R.NOT_NEWER),
    # Equal versions of different variants never replace each other under `all`.
    case("all", "1.2.3-alpine", "1.2.3-slim", R.NOT_NEWER),
    case("all", "1.2.3-alpine", "1.2.4-slim", R.CHOSEN),
]


@pytest.mark.parametrize(
    ("policy_text", "current", "candidate", "reason", "settings"), ONE_CANDIDATE
)
def test_one_candidate(
    policy_text: str, current: str, candidate: str, reason: Reason, settings: dict[str, Any]
) -> None:
    verdict = _judge(policy_text, current, candidate, settings)
    assert (verdict.reason, verdict.eligible) == (reason, reason is R.CHOSEN), verdict.message
    assert verdict.message


def choice(
    policy_text: str, current: str, candidates: list[str], chosen: str | None, **settings: Any
) -> Any:
    extra = "".join(f" {key}={value}" for key, value in sorted(settings.items()))
    name = f"{policy_text}: {current} -> {' '.join(candidates)} = {chosen}{extra}"
    return pytest.param(policy_text, current, candidates, chosen, settings, id=name)


CHOICES = [
    choice("minor", "1.0.0-rc1", ["1.0.0-rc2", "1.0.0-rc9", "1.0.0-rc10"], "1.0.0-rc10"),
    choice("minor", "1.2.3-ls9", ["1.2.3-ls10", "1.2.3-ls100", "1.2.3-ls11"], "1.2.3-ls100"),
    choice(
        "patch",
        "1.25.3-debian-12-r5",
        ["1.25.3-debian-12-r6", "1.25.4-debian-12-r0", "1.25.4-debian-13-r9", "1.26.0-debian-12"],
        "1.25.4-debian-12-r0",
    ),
    choice("patch", "3.9.1-1", ["3.9.1-2", "3.9.1-10", "3.9.2"], "3.9.1-10"),
    choice(
        "minor", "7.0.0-rc1-alpine", ["7.0.0-rc2-alpine", "7.0.0-alpine", "7.0.0"], "7.0.0-alpine"
    ),
    choice("minor", "2026-01-30", ["2026-02-15", "2026.03.01", "2026-12-31"], "2026-12-31"),
    choice("patch", "21.0.2.13", ["21.0.2.14", "21.0.3", "21.0.3.1"], "21.0.3.1"),
    choice("minor", "2024.01.05", ["2024.1.5", "2024.01.05"], None),
    choice("force", "latest", ["latest"], None),
    choice("force", "1.0.0", ["1.0.0"], None),
    choice("force", "latest", ["latest", "main"], "main"),
    choice("force", "2.0.0", ["2.0.0", "1.0.0"], "1.0.0"),
    choice("glob", "1.0.0", ["1.1.0", "latest", "stable"], "1.1.0", pattern="*"),
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


def test_under_force_the_current_tag_says_its_digest_decides() -> None:
    verdict = _judge("force", "latest", "latest", {})
    assert verdict.reason is R.SAME_AS_CURRENT
    assert "digest" in verdict.message


# A cycle of tags each newer than the last, under every order the engine has used for some pair
# of them: version order, natural order, and mixed pairs. None of them may close.
CYCLES = [
    pytest.param("glob", ["1.0.0", "1.0.0-_a", "1.0.0-rc.1"], {"pattern": "*"}, id="glob-mixed"),
    pytest.param("regex:(?P<version>.+)", ["1.0.0", "1.0.0-_a", "1.0.0-rc.1"], {}, id="regex"),
    pytest.param("all", ["1.2.3", "1.2.3-alpine", "1.2.3-slim"], {}, id="all-variants"),
    pytest.param("all", ["1.2.3-ls5", "1.2.3-r5", "1.2.3-5"], {}, id="all-revision-styles"),
    pytest.param("minor", ["2024.01.05", "2024.1.5", "2024.01.5"], {}, id="minor-spellings"),
]


@pytest.mark.parametrize(("policy_text", "tags", "settings"), CYCLES)
def test_no_chain_of_choices_returns_to_its_start(
    policy_text: str, tags: list[str], settings: dict[str, Any]
) -> None:
    judged = policy.PolicySettings(policy=policy_text, **settings)
    steps = {
        (current, candidate)
        for current in tags
        for candidate in tags
        if policy.evaluate(judged, current, [candidate]).chosen == candidate
    }
    for first in tags:
        reachable: set[str] = set()
        frontier = {first}
        while frontier:
            frontier = {b for a, b in steps if a in frontier} - reachable
            reachable |= frontier
        assert first not in reachable, sorted(steps)


INVALID_REGEX = [
    "regex:.*",
    r"regex:\d+\.\d+\.\d+",
    r"regex:build-(\d+)",
    r"regex:build-(?P<number>\d+)",
    "regex:a:b",
]


@pytest.mark.parametrize("text", INVALID_REGEX, ids=INVALID_REGEX)
def test_a_regex_without_a_key_group_is_refused_when_parsed(text: str) -> None:
    with pytest.raises(policy.PolicyError, match="no named group 'version' or 'num'"):
        policy.parse_policy(text)


def test_a_pending_force_push_gives_way_to_the_newest_push_even_if_lower() -> None:
    def request(tag: str) -> SlotRequest:
        return SlotRequest(workflow_id=f"wf-{tag}", slot_id="slot", tag=tag, policy="force")

    assert ordering.is_newer(request("1.0.0"), than=request("2.0.0"))
    assert ordering.is_newer(request("2.0.0"), than=request("1.0.0"))
    assert not ordering.is_newer(request("1.0.0"), than=request("1.0.0"))


RANGE_MATCHES = [
    (">=21.0.2.13", "21.0.2.13", True),
    (">=21.0.2.13", "21.0.2.12", False),
    ("<21.0.3", "21.0.2.99", True),
    ("~21.0", "21.0.2.13", True),
    ("=1.2.3", "1.2.3-r5", True),
    ("<1.2.3", "1.2.3-ls5", False),
    ("=1.2.3", "1.2.3.1", False),
    ("^2026", "2026-01-30", True),
]


@pytest.mark.parametrize(
    ("constraint", "tag", "expected"),
    RANGE_MATCHES,
    ids=[f"{c} {'has' if m else 'lacks'} {t}" for c, t, m in RANGE_MATCHES],
)
def test_ranges_read_four_parts_and_ignore_revisions(
    constraint: str, tag: str, expected: bool
) -> None:
    version = versions.parse(tag)
    assert version is not None
    assert ranges.parse(constraint).matches(version) is expected


def test_a_range_comparator_cannot_name_a_revision() -> None:
    with pytest.raises(ranges.RangeError, match="names a revision"):
        ranges.parse(">=1.2.3-r5")
